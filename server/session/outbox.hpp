// A connection's outbound queue: encoded frames waiting for the single writer
// of the connection. Answers (PublishResult, Error, Pong...) are always
// accepted — the in-flight limits bound their number — and notices up to a
// bound of their own (beyond it they are dropped and counted: the client
// reads them back with FetchNotices). Deliveries wait in one queue per
// priority lane, each bounded in bytes: a full lane refuses them and the
// consumer falls back to the database. The writer takes answers and notices
// first, then FLASH, URGENT and ROUTINE deliveries in that order. A delivery
// is this consumer's few bytes plus the bytes every consumer of the alert
// shares (encoded once per alert). Thread-safe; no I/O.
#pragma once

#include "broker/delivery_sink.hpp"
#include "core/records.hpp"
#include "protocol/codec.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace liaison::session {

struct outgoing {
  enum class kind {
    frame,      // an answer or a delivery: write bytes, then *shared if set
    keepalive,  // the transport's own keep-alive (a WebSocket ping)
    close,      // nothing more: end the connection (see machine::closing())
  };
  kind what = kind::frame;
  std::string bytes;
  const std::string* shared = nullptr;  // deliveries: lives as long as `alert`
  core::stored_alert_ptr alert;         // deliveries
  std::string consumer;                 // deliveries: who it is for...
  std::uint64_t seq = 0;                // ...and which alert (0 for answers)
  bool close_after = false;             // the connection ends once this is written

  std::size_t size() const { return bytes.size() + (shared ? shared->size() : 0); }
};

class outbox final : public broker::delivery_sink, public broker::notice_sink {
 public:
  // `wake` is called (from any thread, outside the lock) when an item arrives
  // while the writer waits; it must hand the wake-up to the writer's executor.
  outbox(std::size_t max_delivery_bytes, protocol::wire_format format, std::function<void()> wake);

  // An answer; `close_after` ends the connection once it is written.
  void push_reply(std::uint64_t correlation_id, const protocol::reply_body& reply,
                  bool close_after = false);
  // Ends the connection once what is queued is written.
  void push_close();
  // Asks the transport for a keep-alive of its own.
  void push_keepalive();

  // broker::delivery_sink
  bool offer(const std::string& consumer, const core::stored_alert_ptr& alert,
             core::priority lane) override;
  bool wants_more(core::priority lane) const override;
  void consumer_failed(const std::string& consumer, const core::error& why) override;
  // broker::notice_sink
  void offer_notice(const core::notice_ptr& notice) override;
  std::uint64_t notices_dropped() const;

  // Writer side: up to `max_bytes` of queued items (at least one if any), in
  // order, never past one that closes. When none are queued it returns empty
  // and arms the wake-up.
  std::vector<outgoing> take(std::size_t max_bytes);
  // Nothing more is accepted; take() drains what is queued.
  void close();
  bool closed() const;
  // Consumers whose deliveries must stop (taken over, database lost), for the
  // session to retire on its own executor.
  std::vector<std::string> take_failed_consumers();

 private:
  // Queue 0: answers, notices, keep-alives and closes; 1 to 3: deliveries
  // of lanes FLASH, URGENT, ROUTINE.
  static constexpr std::size_t queue_count = 1 + core::lane_count;
  static std::size_t queue_of(core::priority lane) { return 1 + core::lane_index(lane); }
  void push_locked(std::size_t queue, outgoing item, std::unique_lock<std::mutex>& lock);

  const std::size_t max_delivery_bytes_;
  const protocol::wire_format format_;
  std::function<void()> wake_;
  mutable std::mutex mutex_;
  std::array<std::deque<outgoing>, queue_count> queues_;
  std::array<std::size_t, queue_count> bytes_{};
  std::uint64_t notices_dropped_ = 0;
  bool writer_waiting_ = false;
  bool closed_ = false;
  std::vector<std::string> failed_;
};

}  // namespace liaison::session
