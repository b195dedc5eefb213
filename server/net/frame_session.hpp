// The per-connection protocol state shared by the native and WebSocket
// transports: who is connected, the outbox, the durable consumers and the
// in-flight publishes. Decoded requests go to the exchange; answers and
// deliveries go to the outbox, which the transport's single writer drains.
// Lives on the connection's strand; only the outbox is touched from other
// threads.
#pragma once

#include "broker/exchange.hpp"
#include "net/outbox.hpp"
#include "protocol/codec.hpp"
#include "protocol/messages.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace liaison::net {

struct frame_limits {
  std::uint32_t max_frame_bytes = 1 << 20;
  std::size_t max_in_flight_publishes = 256;
  std::size_t outbox_max_bytes = 8 << 20;
  std::size_t max_consumers = 16;
};

// Writes an audit row about a connection (actor "tls:PEER" until the
// principal is known). `detail` is a JSON object; "peer" is added.
void audit_connection(broker::exchange& exchange, const core::principal* who,
                      const std::string& peer, std::string_view action, std::string subject,
                      std::string outcome, nlohmann::json detail);

class frame_session : public std::enable_shared_from_this<frame_session> {
 public:
  // `wake_writer` is called from any thread when the outbox receives a frame
  // while the writer waits; it must post the wake-up to the writer's strand.
  frame_session(broker::exchange& exchange, boost::asio::any_io_executor strand,
                core::principal who, std::string peer, protocol::wire_format format,
                frame_limits limits, std::string server_name, std::function<void()> wake_writer);

  const std::shared_ptr<outbox>& out() const { return out_; }
  const core::principal& who() const { return who_; }
  const std::string& peer() const { return peer_; }
  bool greeted() const { return greeted_; }

  // Handles one request. Beyond the in-flight publish limit it waits (on the
  // strand, without blocking it) for a slot: the transport stops reading
  // meanwhile, so TCP pushes back on the client.
  boost::asio::awaitable<void> dispatch(protocol::request request);

  // Queues `why` as the last frame (the writer ends the connection after it)
  // and writes a protocol.error audit row.
  void fail(std::uint64_t correlation_id, const core::error& why);
  bool failed() const { return failed_; }

  // After the writer wrote `batch`: records the deliveries (disclosures) for
  // the audit log, retires consumers that failed, and lets consumers waiting
  // for room read on. Deliveries are written to the audit log per consumer at
  // most every delivery_audit_interval (and when the connection ends), so that
  // a busy stream costs a few audit rows a second, not one per write.
  void written(const std::vector<outgoing>& batch);
  static constexpr auto delivery_audit_interval = std::chrono::milliseconds(250);
  // Retires consumers the outbox reported as failed (taken over, database lost).
  void retire_failed_consumers();

  // The connection is over: unsubscribes every consumer, closes the outbox
  // and releases a dispatch waiting for a publish slot.
  void end();
  bool ended() const { return ended_; }

  void audit(std::string_view action, std::string subject, std::string outcome,
             nlohmann::json detail);

 private:
  void on_hello(std::uint64_t cid, const protocol::hello& h);
  boost::asio::awaitable<void> on_publish(std::uint64_t cid, protocol::publish p);
  void on_subscribe(std::uint64_t cid, const protocol::subscribe& s);
  void on_ack(std::uint64_t cid, const protocol::ack& a);
  void reply(std::uint64_t cid, const protocol::reply_body& body) { out_->push_reply(cid, body); }
  void flush_deliveries();

  broker::exchange& exchange_;
  boost::asio::any_io_executor strand_;
  core::principal who_;
  std::string peer_;
  frame_limits limits_;
  std::string server_name_;
  std::shared_ptr<outbox> out_;
  boost::asio::steady_timer capacity_;  // "a publish slot is free"
  std::size_t in_flight_ = 0;
  bool waiting_for_capacity_ = false;
  bool greeted_ = false;
  bool failed_ = false;
  bool ended_ = false;
  std::map<std::string, std::shared_ptr<broker::consumer>> consumers_;
  std::map<std::string, std::vector<std::uint64_t>> delivered_;  // not yet in the audit log
  std::size_t delivered_count_ = 0;
  boost::asio::steady_timer delivery_flush_;
  bool flush_scheduled_ = false;
};

}  // namespace liaison::net
