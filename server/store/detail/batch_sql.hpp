// Private to store/: the writer's queued work and the one transaction that
// writes a group-commit batch (see writer.hpp for the rules it implements).
#pragma once

#include "core/audit_event.hpp"
#include "core/records.hpp"
#include "store/detail/rapid_sql.hpp"

#include <pqxx/pqxx>

#include <functional>
#include <optional>
#include <vector>

namespace liaison::store::detail {

struct publish_item {
  core::publish_request request;
  core::publish_handler done;
};

struct audit_item {
  core::audit_event event;
  int attempts = 0;  // failed batches it was part of (not counting lost connections)
};

struct ack_item {
  core::consumer_key consumer;
  std::optional<core::priority> lane;  // one lane's cursor, or all of them
  std::uint64_t up_to = 0;
  core::audit_event event;
  std::function<void(core::result<void>)> done;
};

struct batch_outcome {
  std::vector<core::result<core::publish_outcome>> publishes;  // one per publish item
  std::vector<core::result<void>> acks;                        // one per ack item
  std::vector<core::stored_alert_ptr> created;                 // new alerts, in seq order
  rapid_effects rapid;                                         // receipts, escalations, presence
  std::size_t audit_rows = 0;
  std::size_t notices = 0;
};

// Everything one batch writes.
struct batch_input {
  std::vector<publish_item> publishes;
  std::vector<audit_item> audits;
  std::vector<ack_item> acks;
  std::vector<receipt_item> receipts;
  std::vector<escalation_item> escalations;
  std::vector<presence_item> presence;

  bool empty() const {
    return publishes.empty() && audits.empty() && acks.empty() && receipts.empty() &&
           escalations.empty() && presence.empty();
  }
};

// Declares the writer's fixed statements on a new connection.
void prepare_batch_statements(pqxx::connection& c);

// Writes publishes (with their deadlines and notices), audit rows
// (publishes', then `audits`, the acks', the rapid items'), cursor updates,
// receipts, escalations and presence in ONE transaction that assigns seqs
// and ids and extends the audit chain under the log_head and audit_head row
// locks, and commits it. Nothing is committed unless it returns. Throws the
// database's exceptions.
batch_outcome write_batch(pqxx::connection& c, const batch_input& in,
                          const std::function<core::time_point()>& now);

}  // namespace liaison::store::detail
