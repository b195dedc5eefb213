// The rules of one connection, for both transports (native frames over TLS
// and the WebSocket stream), as a state machine without I/O, threads or a
// clock: Hello first, what each request may do and when, durable consumers
// and their take-over, acknowledgements, publishes in flight, deadlines
// (Hello, idle, keep-alive), the limits and the reason each one closes the
// connection, and the audit rows of disclosures.
//
// Inputs: decoded requests, what the transport saw (a frame too large, a
// frame that does not decode, traffic), the time (every input carries `now`;
// on_tick when next_deadline() passes), and the exchange's answers (through
// exchange_port completions). Outputs: frames and keep-alives in the outbox,
// requests and audit events to the exchange_port, reading() (the transport
// stops reading while it is false, so TCP pushes back), next_deadline() and
// closing(). A thin driver per transport (net/native_session.cpp,
// net/ws_session.cpp) runs it; tests/unit/session drives it with a fake
// exchange and a manual clock.
//
// Not thread-safe: every input, and every exchange_port completion, must
// run on the connection's executor (net/strand_port.hpp sees to that).
#pragma once

#include <nlohmann/json.hpp>
#include "broker/exchange_port.hpp"
#include "protocol/messages.hpp"
#include "session/outbox.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liaison::session {

using steady_time = std::chrono::steady_clock::time_point;

struct limits {
  std::uint32_t max_frame_bytes = 1 << 20;  // announced in Welcome
  std::size_t max_in_flight_publishes = 256;
  std::size_t max_consumers = 16;
  core::duration hello_timeout = std::chrono::seconds(10);  // from the start to Hello
  core::duration idle_timeout = std::chrono::seconds(120);  // no activity for this long
  // Nothing written for this long: push a keep-alive (zero: never).
  core::duration keepalive_interval{};
  // Deliveries are audited per consumer, one row per interval or per
  // max_seqs deliveries, whichever comes first, and at the end.
  core::duration delivery_row_interval = std::chrono::milliseconds(250);
  std::size_t delivery_row_max_seqs = 4096;
  // A desk on duty that sends nothing for this long stops counting as on
  // duty; it is pinged after a third of it (native: a Ping frame; the
  // WebSocket transport pings by itself).
  core::duration stall_after = std::chrono::seconds(45);
  // Receipts and queries in flight on one connection; beyond, RESOURCE_EXHAUSTED.
  std::size_t max_in_flight_requests = 64;
};

// Where the two transports differ, as data.
struct transport_profile {
  // The audit action of a close decided by a limit (too large, wrong message
  // type, over capacity, a timeout).
  std::string_view limit_close_action;
  // A frame that does not decode ends the connection (native: the byte
  // stream cannot be trusted any more) or is answered and skipped
  // (WebSocket: messages stay framed).
  bool bad_frame_ends_connection = true;
  // Whether an Error frame explains a limit's close (native), or the
  // transport's own close (a WebSocket close code and reason) does.
  // Timeouts never send one: the client is gone or stalled.
  bool error_frame_on_limit_close = true;
  // Whether a quiet desk on duty is pinged with a Ping frame (native), or
  // the transport's own keep-alive pings it (WebSocket).
  bool ping_frames = true;
};

enum class close_reason {
  protocol_error,      // a request broke the protocol; an Error frame says how
  too_large,           // a frame or message over the limit
  wrong_message_type,  // a WebSocket text message on the binary subprotocol, or the reverse
  bad_framing,    // the transport's framing is broken (a WebSocket frame header the RFC forbids)
  over_capacity,  // the transport has no room for this connection
  hello_timeout,  // no Hello within limits::hello_timeout
  idle_timeout,   // nothing from the client within limits::idle_timeout
};
std::string_view to_string(close_reason r);

struct close_decision {
  close_reason reason;
  core::error error;  // the code and the reason in words
};

class machine : public std::enable_shared_from_this<machine> {
 public:
  // `notify` runs (on the executor, from inside an input or a completion)
  // when reading() turns true, closing() is decided, or next_deadline() moves
  // before the deadline last returned by arm().
  machine(broker::exchange_port& port, core::principal who, std::string peer, limits lim,
          transport_profile profile, std::string server_name, std::shared_ptr<outbox> out,
          std::function<void()> notify, steady_time now);

  // --- inputs ---
  void on_request(protocol::request request, steady_time now);
  // A frame that did not decode.
  void on_bad_frame(const core::error& why, steady_time now);
  // A frame or message announced or grew beyond max_frame_bytes (size 0:
  // the transport does not say how large).
  void on_too_large(std::uint64_t size);
  void on_wrong_message_type(std::string message);
  void on_bad_framing(std::string message);
  // Traffic that is not a request (WebSocket control frames, bytes of a
  // message still arriving): counts for the idle timeout where the transport
  // says so.
  void on_activity(steady_time now);
  // The transport ends the connection for a reason of its own.
  void end_with(close_reason reason, core::error why);
  void on_tick(steady_time now);
  // The writer wrote `batch`.
  void on_written(const std::vector<outgoing>& batch, steady_time now);
  // The connection is over: every consumer is let go, pending delivery rows
  // are written, the outbox closes. Idempotent.
  void on_end();

  // --- outputs ---
  const std::shared_ptr<outbox>& out() const { return out_; }
  // False while a publish waits for a free slot, and once closing or ended.
  bool reading() const;
  // When on_tick is next needed.
  steady_time next_deadline() const;
  // next_deadline(), remembered: notify() runs when a later input makes
  // the deadline come sooner.
  steady_time arm();
  const std::optional<close_decision>& closing() const { return closing_; }
  bool greeted() const { return greeted_; }
  bool ended() const { return ended_; }
  const core::principal& who() const { return who_; }
  const std::string& peer() const { return peer_; }
  std::size_t consumers() const { return consumers_.size(); }
  std::size_t in_flight() const { return in_flight_; }
  // Declared on duty, and counted so (not stalled).
  bool on_duty_declared() const { return duty_declared_; }
  bool on_duty_counted() const { return duty_declared_ && !stalled_; }

  // An audit row about this connection (actor: the principal; detail.peer).
  void audit(std::string_view action, std::string subject, std::string_view outcome,
             nlohmann::json detail);

 private:
  struct parked_publish {
    std::uint64_t cid;
    core::alert alert;
    core::envelope envelope;
  };

  void dispatch(std::uint64_t cid, protocol::request_body& body);
  void on_hello(std::uint64_t cid, const protocol::hello& h);
  void on_publish(std::uint64_t cid, protocol::publish& p);
  void submit(parked_publish p);
  void on_published(std::uint64_t cid, const std::string& alert_id,
                    core::result<core::publish_outcome> r);
  void on_subscribe(std::uint64_t cid, const protocol::subscribe& s);
  void on_subscribed(std::uint64_t cid, const std::string& name,
                     core::result<broker::subscription> r);
  void on_ack(std::uint64_t cid, const protocol::ack& a);
  void on_set_duty(std::uint64_t cid, const protocol::set_duty& d);
  void on_send_receipt(std::uint64_t cid, const protocol::send_receipt& r);
  void on_fetch_notices(std::uint64_t cid, const protocol::fetch_notices& f);
  void on_query_status(std::uint64_t cid, const protocol::query_status& q);
  void on_query_presence(std::uint64_t cid);
  // Counts a receipt or query in flight; false (and answers) over the limit.
  bool take_request_slot(std::uint64_t cid);
  // Answers a receipt or query, freeing its slot.
  void answer(std::uint64_t cid, const protocol::reply_body& body);
  // Traffic from the client: the idle clock restarts, a stalled desk counts again.
  void touched(steady_time now);
  void update_duty();
  void reply(std::uint64_t cid, const protocol::reply_body& body) { out_->push_reply(cid, body); }
  // Ends the connection after an Error frame (protocol errors).
  void fail(std::uint64_t cid, const core::error& why);
  void close_for(close_reason reason, core::error why);
  void retire_failed_consumers();
  void flush_deliveries();
  // Runs notify_ if reading() turned true or the deadline came sooner.
  void after_input(bool was_reading);

  broker::exchange_port& port_;
  const core::principal who_;
  const std::string peer_;
  const limits limits_;
  const transport_profile profile_;
  const std::string server_name_;
  const std::shared_ptr<outbox> out_;
  const std::function<void()> notify_;
  const steady_time started_;

  bool greeted_ = false;
  bool ended_ = false;
  std::optional<close_decision> closing_;
  steady_time last_activity_;
  steady_time last_write_;
  steady_time armed_ = steady_time::max();
  bool keepalive_queued_ = false;

  std::size_t in_flight_ = 0;
  std::deque<parked_publish> parked_;  // waiting for a free slot, in order

  std::map<std::string, std::shared_ptr<broker::subscription_handle>> consumers_;
  std::unique_ptr<broker::connection_handle> attachment_;  // after Hello
  std::size_t requests_in_flight_ = 0;
  bool duty_declared_ = false;
  bool stalled_ = false;
  bool duty_counted_ = false;  // as last told to the exchange
  bool duty_ping_queued_ = false;
  std::uint64_t ping_nonce_ = 0;
  std::map<std::string, std::vector<std::uint64_t>> delivered_;  // not yet in the audit log
  std::size_t delivered_count_ = 0;
  std::optional<steady_time> flush_due_;
};

}  // namespace liaison::session
