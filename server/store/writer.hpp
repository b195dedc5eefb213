// The database writer: one thread, one connection, group commit. It drains
// its queue and writes each batch (alerts, recipients, audit rows, cursor
// updates) in ONE transaction that assigns gapless seqs and extends the audit
// hash chain under row locks, commits with synchronous_commit on, and only
// then completes the waiting callers. Asio threads never block on it.
#pragma once

#include "config/server_config.hpp"
#include "core/audit_event.hpp"
#include "core/records.hpp"
#include "store/rapid_records.hpp"

#include <array>
#include <functional>
#include <memory>
#include <optional>

namespace liaison::store {

struct writer_stats {
  std::uint64_t batches = 0;
  std::uint64_t alerts_committed = 0;
  std::uint64_t audit_rows = 0;
  // Audit events lost: refused because the queue was full, or dropped after
  // failing in two batches (not for a lost connection: those wait).
  std::uint64_t audit_dropped = 0;
  std::uint64_t failed_batches = 0;
  std::uint64_t receipts = 0;  // receipts judged (recorded, duplicate or refused)
  std::uint64_t notices = 0;   // notices stored
  // Group commit: committed batches by the requests they carried
  // (publishes, acks, receipts, audit events, ...), counted in buckets of at
  // most batch_size_bounds[i] requests (the last: more than the bound before).
  static constexpr std::array<std::uint64_t, 8> batch_size_bounds{1, 2, 4, 8, 16, 64, 256, 1024};
  std::array<std::uint64_t, batch_size_bounds.size() + 1> batch_sizes{};
  std::uint64_t batch_requests = 0;  // their sum
  std::size_t queued = 0;            // requests waiting for the writer now
};

class writer {
 public:
  using clock_fn = std::function<core::time_point()>;
  // Called on the writer thread after each commit with the alerts it created,
  // in seq order (never duplicates of earlier commits).
  using commit_listener = std::function<void(const std::vector<core::stored_alert_ptr>&)>;

  writer(config::database_section options, clock_fn now, commit_listener on_commit);
  ~writer();  // stop()
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  // Starts the thread, which connects (and reconnects with back-off).
  void start();
  // Completes everything still queued with UNAVAILABLE, then joins the thread.
  void stop();

  // Queues a publish. `done` runs once, on the writer thread:
  //  - after the commit: {seq, received_at, duplicate=false}, or the original
  //    {seq, received_at, duplicate=true} when (origin, id) was committed before
  //    with the same payload, signature and key id;
  //  - DUPLICATE_CONFLICT when (origin, id) exists with different bytes;
  //  - UNAVAILABLE when the database is unreachable or the commit's outcome is
  //    unknown (nothing is acknowledged that might not be committed);
  //  - RESOURCE_EXHAUSTED at once when the queue is full.
  // Each outcome writes an audit row ("alert.publish") in the same transaction
  // as the alert, except RESOURCE_EXHAUSTED and UNAVAILABLE.
  // Thread-safe; never blocks.
  void publish(core::publish_request request, core::publish_handler done);

  // Queues an audit row for the next batch. Returns false (and counts it) when
  // the queue is full. Thread-safe; never blocks.
  bool audit(core::audit_event event);
  // Queues a summary row (e.g. failed authentications of one address in a
  // minute) apart from queue_max, so that summaries can never make a
  // publish wait or be refused; the caller bounds how many it sends (at most
  // 4096 wait, beyond them they are dropped and counted). Thread-safe.
  bool audit_summary(core::audit_event event);

  // Advances a consumer's cursor of one lane (or of every lane) to
  // max(cursor, up_to_seq) together with the event's audit row; `done` runs
  // on the writer thread after the commit, with UNAVAILABLE when the
  // database is unreachable. Thread-safe; never blocks.
  void ack(core::consumer_key consumer, std::optional<core::priority> lane, std::uint64_t up_to_seq,
           core::audit_event event, std::function<void(core::result<void>)> done);

  // Records an admitted receipt (rapid::admit_receipt) if the alert exists,
  // was addressed to the receipt's member and the state does not go back
  // (rapid::judge_receipt), with its audit row and a notice to the sender;
  // READ and ACTIONED close the member's read deadline. `done` runs after
  // the commit: the outcome, or NOT_FOUND, PERMISSION_DENIED,
  // INVALID_ARGUMENT (SHA-256 mismatch), FAILED_PRECONDITION (backwards),
  // all audited; UNAVAILABLE or RESOURCE_EXHAUSTED as for publish.
  void record_receipt(core::receipt_request request,
                      std::function<void(core::result<core::receipt_outcome>)> done);

  // Commits an escalation if its deadline is still open at the expected
  // level: `done(true)`; `done(false)` when another node or an earlier run
  // did it, or the deadline closed. Thread-safe; never blocks.
  void escalate(escalation_request request, std::function<void(core::result<bool>)> done);

  // Writes a node's desks on duty and returns the combined state of the
  // members concerned (see presence_update). Apart from queue_max: presence
  // never waits behind publishes and is never refused for a full queue.
  void update_presence(presence_update update,
                       std::function<void(core::result<std::vector<core::member_presence>>)> done);

  // True while the writer holds a working connection.
  bool connected() const;
  writer_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::store
