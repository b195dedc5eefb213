#include "liaison/consumer.hpp"

#include <boost/asio/post.hpp>

#include <charconv>
#include <stdexcept>

namespace liaison::bench {
namespace {

constexpr auto ack_interval = std::chrono::milliseconds(100);

// "t=<steady ns>" as the publisher wrote it; 0 when absent.
std::uint64_t publish_time_of(const std::string& case_reference) {
  std::uint64_t ns = 0;
  if (case_reference.size() > 2 && case_reference.starts_with("t="))
    std::from_chars(case_reference.data() + 2, case_reference.data() + case_reference.size(), ns);
  return ns;
}

}  // namespace

consumer::consumer(std::unique_ptr<frame_link> link, std::string member, std::string name,
                   std::size_t ack_every, const run_clock& clock)
    : link_(std::move(link)),
      member_(std::move(member)),
      name_(std::move(name)),
      ack_every_(std::max<std::size_t>(ack_every, 1)),
      clock_(clock),
      ack_timer_(link_->executor()) {
  liaison::v1::Frame f;
  f.mutable_subscribe()->set_consumer(name_);
  f.mutable_subscribe()->mutable_only_new();
  auto answer = link_->call_blocking(std::move(f));
  if (!answer.has_subscribed())
    throw std::runtime_error(member_ + " cannot subscribe as '" + name_ +
                             "': " + answer.error().message());
}

void consumer::start() {
  link_->start([this](const liaison::v1::Frame& f) { on_frame(f); },
               [this](const std::string& why) { note_error(why); });
  boost::asio::post(ack_timer_.get_executor(), [this] { arm_ack_timer(); });
}

void consumer::close() {
  boost::asio::post(ack_timer_.get_executor(), [this] {
    closed_ = true;
    ack_timer_.cancel();
    link_->close();
  });
}

void consumer::on_frame(const liaison::v1::Frame& f) {
  if (f.has_error()) {
    note_error(f.error().message());
    return;
  }
  if (!f.has_deliver()) return;
  const auto now = steady::now();
  const auto& d = f.deliver();
  if (d.seq() <= last_seq_) out_of_order_.fetch_add(1);
  last_seq_ = std::max(last_seq_, d.seq());
  if (alert_.ParseFromString(d.envelope().payload())) {
    const std::uint64_t t = publish_time_of(alert_.case_reference());
    const steady::time_point published{
        std::chrono::duration_cast<steady::duration>(std::chrono::nanoseconds(t))};
    if (t != 0 && clock_.in_window(published)) latency_.record(elapsed_ns(published, now));
  }
  if (clock_.in_window(now)) in_window_.fetch_add(1, std::memory_order_relaxed);
  delivered_.fetch_add(1, std::memory_order_relaxed);
  if (++unacked_ >= ack_every_) send_ack();
}

void consumer::send_ack() {
  if (last_seq_ <= acked_seq_ || closed_) return;
  liaison::v1::Frame f;
  f.mutable_ack()->set_consumer(name_);
  f.mutable_ack()->set_up_to_seq(last_seq_);
  link_->send(f);
  acked_seq_ = last_seq_;
  unacked_ = 0;
}

void consumer::arm_ack_timer() {
  ack_timer_.expires_after(ack_interval);
  ack_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || closed_) return;
    send_ack();
    arm_ack_timer();
  });
}

void consumer::note_error(const std::string& why) {
  std::lock_guard lock(error_mutex_);
  if (error_.empty()) error_ = member_ + " consumer: " + why;
}

std::string consumer::first_error() const {
  std::lock_guard lock(error_mutex_);
  return error_;
}

}  // namespace liaison::bench
