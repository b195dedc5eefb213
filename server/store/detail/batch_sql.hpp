// Private to store/: the writer's queued work and the one transaction that
// writes a group-commit batch (see writer.hpp for the rules it implements).
#pragma once

#include "core/audit_event.hpp"
#include "core/records.hpp"

#include <pqxx/pqxx>

#include <functional>
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
  std::uint64_t up_to = 0;
  core::audit_event event;
  std::function<void(core::result<void>)> done;
};

struct batch_outcome {
  std::vector<core::result<core::publish_outcome>> publishes;  // one per publish item
  std::vector<core::result<void>> acks;                        // one per ack item
  std::vector<core::stored_alert_ptr> created;                 // new alerts, in seq order
  std::size_t audit_rows = 0;
};

// Declares the writer's fixed statements on a new connection.
void prepare_batch_statements(pqxx::connection& c);

// Writes publishes, audit rows (publishes', then `audits`, then the acks')
// and cursor updates in ONE transaction that assigns seqs and extends the
// audit chain under the log_head and audit_head row locks, and commits it.
// Nothing is committed unless it returns. Throws the database's exceptions.
batch_outcome write_batch(pqxx::connection& c, const std::vector<publish_item>& publishes,
                          const std::vector<audit_item>& audits, const std::vector<ack_item>& acks,
                          const std::function<core::time_point()>& now);

}  // namespace liaison::store::detail
