// Private to store/: the rapid-response part of a group-commit batch. Runs
// inside the writer's transaction, under the log_head and audit_head locks,
// so that receipt and notice ids increase in commit order on every node and
// each escalation happens once. Throws the database's exceptions.
#pragma once

#include "core/audit_event.hpp"
#include "core/rapid.hpp"
#include "core/records.hpp"
#include "store/rapid_records.hpp"

#include <pqxx/pqxx>

#include <functional>
#include <vector>

namespace liaison::store::detail {

struct receipt_item {
  core::receipt_request request;
  std::function<void(core::result<core::receipt_outcome>)> done;
};
struct escalation_item {
  escalation_request request;
  std::function<void(core::result<bool>)> done;
};
struct presence_item {
  presence_update update;
  std::function<void(core::result<std::vector<core::member_presence>>)> done;
};

struct rapid_effects {
  std::vector<core::result<core::receipt_outcome>> receipts;  // one per receipt item
  std::vector<core::result<bool>> escalations;                // escalated (false: nothing to do)
  std::vector<core::result<std::vector<core::member_presence>>> presence;
  std::vector<core::audit_event> audit;  // to chain
  std::vector<core::notice> notices;     // to insert after the alerts
};

void prepare_rapid_statements(pqxx::connection& c);

// Judges and records the receipts, applies the escalations and presence
// updates. Refusals are outcomes (with their audit rows), not exceptions.
rapid_effects apply_rapid(pqxx::work& tx, const std::vector<receipt_item>& receipts,
                          const std::vector<escalation_item>& escalations,
                          const std::vector<presence_item>& presence, core::time_point now);

// After the batch's alerts are inserted: read deadlines for the new alerts
// that have a window, and the deadlines of alerts withdrawn by new
// WITHDRAWAL alerts closed.
void write_deadlines(pqxx::work& tx, const std::vector<const core::publish_request*>& requests,
                     const std::vector<core::stored_alert_ptr>& created, core::time_point now);

// Inserts the notices (ids assigned in order) and sends the liaison_notice
// notification (delivered by PostgreSQL only if the transaction commits).
void insert_notices(pqxx::work& tx, std::vector<core::notice>& notices);

}  // namespace liaison::store::detail
