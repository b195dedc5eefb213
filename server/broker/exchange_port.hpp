// What a connection may ask of the exchange, as an interface: the protocol
// engine (session/) talks to this, never to the concrete exchange, so that a
// unit test drives a session with a fake and a manual clock. Completions may
// run on any thread; net/ wraps the port so that they run on the
// connection's strand.
#pragma once

#include "broker/delivery_sink.hpp"
#include "core/audit_event.hpp"
#include "core/error.hpp"
#include "core/rapid.hpp"
#include "core/records.hpp"
#include "core/types.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace liaison::broker {

struct start_position {
  enum class kind { stored_cursor, from_seq, only_new } from = kind::stored_cursor;
  std::uint64_t seq = 0;  // for from_seq: the first seq to deliver
  bool lanes = false;     // one stream per priority lane (Subscribe.lanes)
};

// Who may open a consumer that another live connection holds.
struct claim_rule {
  bool take_over = false;       // always (the holder is told it lost it)
  std::string client_instance;  // when equal to the holder's (non-empty)
};

// A durable consumer held by one connection: the capability to start it,
// to tell it the outbox has room, to acknowledge and to let it go.
class subscription_handle {
 public:
  virtual ~subscription_handle() = default;
  // Begins delivering (backlog, then live). Call once, after the client was
  // told Subscribed.
  virtual void start() = 0;
  // The outbox drained below its low-water mark.
  virtual void on_room() = 0;
  // Cumulative acknowledgement up to `up_to_seq`, within `lane` for a
  // consumer with lanes (required there, refused without): INVALID_ARGUMENT
  // beyond what was delivered; at or below the cursor it completes at once;
  // otherwise `done` runs after the commit. `done` runs exactly once.
  virtual void ack(std::optional<core::priority> lane, std::uint64_t up_to_seq,
                   std::function<void(core::result<void>)> done) = 0;
  // No more deliveries; releases the consumer name. Idempotent.
  virtual void close() = 0;
};

struct subscription {
  std::shared_ptr<subscription_handle> handle;  // not started yet
  std::uint64_t cursor = 0;                     // stored last acknowledged seq (lowest lane's)
  std::uint64_t resume_after = 0;               // deliveries start after this seq (lowest lane's)
  struct lane_position {
    core::priority lane;
    std::uint64_t cursor = 0;
    std::uint64_t resume_after = 0;
  };
  std::vector<lane_position> lanes;  // with start_position::lanes
};

// A greeted connection as the exchange knows it: notices addressed to its
// principal (or its member's desks) reach its notice_sink, and a desk
// counts in its member's presence. Destroying it detaches the connection.
class connection_handle {
 public:
  virtual ~connection_handle() = default;
  // A desk's connection counts as on duty (declared and answering) or not.
  virtual void set_on_duty(bool counted) = 0;
};

class exchange_port {
 public:
  virtual ~exchange_port() = default;

  // The wall-clock time for audit rows.
  virtual core::time_point now() const = 0;

  // Admits and queues a publish; `done` runs exactly once, with the commit's
  // outcome or why it was refused (every refusal is audited).
  virtual void publish(const core::principal& who, const core::alert& decoded,
                       const core::envelope& signed_alert, core::publish_handler done) = 0;
  // Audits a publish that could not even be decoded (the caller answers it).
  virtual void reject_publish(const core::principal& who, const core::error& why) = 0;
  // A dry run: the same checks as publish (refusals audited the same way),
  // then who would receive it. Stores and delivers nothing; `done` runs
  // exactly once.
  virtual void preview(const core::principal& who, const core::alert& decoded,
                       const core::envelope& signed_alert,
                       std::function<void(core::result<core::recipient_preview>)> done) = 0;

  // Opens the durable consumer `name` of `who` with deliveries going to
  // `sink`. A consumer of the same name held by another live connection is
  // refused (FAILED_PRECONDITION) unless `claim` allows taking it over (the
  // holder's sink then hears consumer_failed). `done` runs exactly once.
  virtual void subscribe(const core::principal& who, const std::string& name, start_position start,
                         claim_rule claim, std::shared_ptr<delivery_sink> sink,
                         std::function<void(core::result<subscription>)> done) = 0;

  // Queues an audit row. Never blocks.
  virtual void audit(core::audit_event event) = 0;
  // The transport wrote the delivery of an alert committed at `committed_at`
  // (its received_at, stamped in the committing transaction) at `written_at`
  // (for the commit-to-delivery histogram). Never blocks.
  virtual void delivered(core::time_point committed_at, core::time_point written_at) = 0;

  // --- rapid response ---

  // Attaches a greeted connection (see connection_handle); a desk starts
  // counted on duty if `on_duty`.
  virtual std::unique_ptr<connection_handle> attach(const core::principal& who,
                                                    std::shared_ptr<notice_sink> notices,
                                                    bool on_duty) = 0;
  // Verifies and records a recipient's signed receipt (rapid::admit_receipt,
  // then store::writer::record_receipt); `done` runs exactly once. Every
  // refusal is audited.
  virtual void send_receipt(const core::principal& who, const core::receipt& decoded,
                            const core::signed_receipt& signed_receipt,
                            std::function<void(core::result<core::receipt_outcome>)> done) = 0;
  // Audits a receipt that could not even be decoded (the caller answers it).
  virtual void reject_receipt(const core::principal& who, const core::error& why) = 0;
  // The notices addressed to `who` (or its member's desks) after `after_id`.
  virtual void fetch_notices(const core::principal& who, std::uint64_t after_id, std::size_t limit,
                             std::function<void(core::result<std::vector<core::notice>>)> done) = 0;
  // An alert's status as `who` may see it (PERMISSION_DENIED / NOT_FOUND).
  virtual void query_status(const core::principal& who, std::string alert_id, std::string origin,
                            std::function<void(core::result<core::alert_status>)> done) = 0;
  // Every member's duty state.
  virtual void query_presence(
      const core::principal& who,
      std::function<void(core::result<std::vector<core::member_presence>>)> done) = 0;
};

}  // namespace liaison::broker
