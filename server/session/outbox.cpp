#include "session/outbox.hpp"

namespace liaison::session {
namespace {
// Notices waiting beyond this many bytes are dropped (and counted).
constexpr std::size_t max_notice_bytes = 1 << 20;
}  // namespace

outbox::outbox(std::size_t max_delivery_bytes, protocol::wire_format format,
               std::function<void()> wake)
    : max_delivery_bytes_(max_delivery_bytes), format_(format), wake_(std::move(wake)) {}

void outbox::push_locked(std::size_t queue, outgoing item, std::unique_lock<std::mutex>& lock) {
  bytes_[queue] += item.size();
  queues_[queue].push_back(std::move(item));
  if (writer_waiting_) {
    writer_waiting_ = false;
    lock.unlock();
    wake_();
  }
}

void outbox::push_reply(std::uint64_t correlation_id, const protocol::reply_body& reply,
                        bool close_after) {
  outgoing item;
  item.bytes = protocol::encode_reply(correlation_id, reply, format_);
  item.close_after = close_after;
  std::unique_lock lock(mutex_);
  if (closed_) return;
  push_locked(0, std::move(item), lock);
}

void outbox::push_close() {
  outgoing item;
  item.what = outgoing::kind::close;
  item.close_after = true;
  std::unique_lock lock(mutex_);
  if (closed_) return;
  push_locked(0, std::move(item), lock);
}

void outbox::push_keepalive() {
  outgoing item;
  item.what = outgoing::kind::keepalive;
  std::unique_lock lock(mutex_);
  if (closed_) return;
  push_locked(0, std::move(item), lock);
}

bool outbox::offer(const std::string& consumer, const core::stored_alert_ptr& alert,
                   core::priority lane) {
  const std::size_t q = queue_of(lane);
  {
    // Cheap early refusal before encoding.
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    if (bytes_[q] > 0 && bytes_[q] >= max_delivery_bytes_) return false;
  }
  auto parts = protocol::encode_deliver_parts(*alert, consumer, format_);
  outgoing item;
  item.bytes = std::move(parts.head);
  item.shared = parts.shared;
  item.alert = alert;
  item.consumer = consumer;
  item.seq = alert->seq;
  std::unique_lock lock(mutex_);
  if (closed_) return false;
  if (bytes_[q] > 0 && bytes_[q] + item.size() > max_delivery_bytes_) return false;
  push_locked(q, std::move(item), lock);
  return true;
}

bool outbox::wants_more(core::priority lane) const {
  std::lock_guard lock(mutex_);
  return !closed_ && bytes_[queue_of(lane)] < max_delivery_bytes_ / 2;
}

void outbox::consumer_failed(const std::string& consumer, const core::error& why) {
  outgoing item;
  item.bytes = protocol::encode_reply(0, why, format_);
  std::unique_lock lock(mutex_);
  if (closed_) return;
  failed_.push_back(consumer);
  push_locked(0, std::move(item), lock);
}

void outbox::offer_notice(const core::notice_ptr& notice) {
  outgoing item;
  item.bytes = protocol::encode_notice(*notice, format_);
  std::unique_lock lock(mutex_);
  if (closed_) return;
  if (bytes_[0] + item.size() > max_notice_bytes) {
    ++notices_dropped_;
    return;
  }
  push_locked(0, std::move(item), lock);
}

std::uint64_t outbox::notices_dropped() const {
  std::lock_guard lock(mutex_);
  return notices_dropped_;
}

std::vector<outgoing> outbox::take(std::size_t max_bytes) {
  std::lock_guard lock(mutex_);
  std::vector<outgoing> out;
  std::size_t taken = 0;
  // Answers first, then the lanes in priority order; never past an item
  // that closes the connection.
  for (std::size_t q = 0; q < queue_count; ++q) {
    auto& queue = queues_[q];
    std::size_t from_here = 0;
    while (!queue.empty() && (out.empty() || taken + queue.front().size() <= max_bytes)) {
      taken += queue.front().size();
      from_here += queue.front().size();
      bool last = queue.front().close_after;
      out.push_back(std::move(queue.front()));
      queue.pop_front();
      if (last) {
        bytes_[q] -= from_here;
        writer_waiting_ = false;
        return out;
      }
    }
    bytes_[q] -= from_here;
    if (!queue.empty()) break;  // the batch is full
  }
  writer_waiting_ = out.empty() && !closed_;
  return out;
}

void outbox::close() {
  std::unique_lock lock(mutex_);
  closed_ = true;
  if (writer_waiting_) {
    writer_waiting_ = false;
    lock.unlock();
    wake_();
  }
}

bool outbox::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::vector<std::string> outbox::take_failed_consumers() {
  std::lock_guard lock(mutex_);
  return std::exchange(failed_, {});
}

}  // namespace liaison::session
