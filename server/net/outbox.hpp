// A connection's outbound queue: encoded frames waiting for the single writer
// of the connection. Answers (PublishResult, Error, Pong...) are always
// accepted — their number is bounded by the in-flight limits — while
// deliveries are bounded in bytes: a full outbox refuses them and the consumer
// falls back to the database. Thread-safe; used by both transports.
#pragma once

#include "broker/delivery_sink.hpp"
#include "protocol/codec.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace liaison::net {

struct outgoing {
  std::string bytes;
  std::string consumer;      // for deliveries: who it is for...
  std::uint64_t seq = 0;     // ...and which alert (0 for answers)
  bool close_after = false;  // the connection ends once this frame is written
};

class outbox final : public broker::delivery_sink {
 public:
  // `wake` is called (from any thread, outside the lock) when a frame arrives
  // while the writer waits; it must hand the wake-up to the writer's executor.
  outbox(std::size_t max_delivery_bytes, protocol::wire_format format, std::function<void()> wake);

  void push_reply(std::uint64_t correlation_id, const protocol::reply_body& reply,
                  bool close_after = false);
  // Asks the writer to end the connection once what is queued is written.
  void push_close();

  // broker::delivery_sink
  bool offer(const std::string& consumer, const core::stored_alert_ptr& alert) override;
  bool wants_more() const override;
  void consumer_failed(const std::string& consumer, const core::error& why) override;

  // Writer side: up to `max_bytes` of queued frames (at least one if any),
  // in order. When none are queued it returns empty and arms the wake-up.
  std::vector<outgoing> take(std::size_t max_bytes);
  // Nothing more is accepted; take() drains what is queued.
  void close();
  bool closed() const;
  std::size_t queued_bytes() const;
  // Consumers whose deliveries were refused or that must be told about a
  // failure are collected here for the session (on its executor).
  std::vector<std::string> take_failed_consumers();

 private:
  void push_locked(outgoing item, std::unique_lock<std::mutex>& lock);

  const std::size_t max_delivery_bytes_;
  const protocol::wire_format format_;
  std::function<void()> wake_;
  mutable std::mutex mutex_;
  std::deque<outgoing> queue_;
  std::size_t bytes_ = 0;
  bool writer_waiting_ = false;
  bool closed_ = false;
  std::vector<std::string> failed_;
};

}  // namespace liaison::net
