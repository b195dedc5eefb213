// Private to store/: the pure decisions of a group-commit batch. Given the
// batch's publishes in queue order, the rows already committed under their
// idempotency keys and the log head, decides each outcome (new seq,
// duplicate, conflict) and writes the audit event of each publish. No SQL,
// no clock: the caller passes `now`.
#pragma once

#include "core/audit_event.hpp"
#include "core/records.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace liaison::store::detail {

// The idempotency key: (origin, alert_id).
using alert_key = std::pair<std::string, std::string>;

// A committed alert found under one of the batch's keys.
struct existing_alert {
  std::uint64_t seq = 0;
  core::time_point received_at{};
  core::envelope signed_bytes;
};

struct publish_plan {
  // One per request, in request order.
  std::vector<core::result<core::publish_outcome>> outcomes;
  std::vector<core::audit_event> audit;
  // The alerts to insert, in seq order, with the index of their request.
  std::vector<std::pair<std::size_t, core::stored_alert_ptr>> created;
  std::uint64_t last_seq = 0;  // the log head after the batch
};

// Request i gets seq last_seq + k for the k-th new key; a key committed
// before or seen earlier in the batch is a duplicate (same payload, signature
// and key id: the original seq and received_at) or a DUPLICATE_CONFLICT.
//
// `withdrawn` holds the (origin, alert id) of alerts withdrawn before the
// batch: a new withdrawal or correction of one of them (or of one withdrawn
// earlier in the batch) is FAILED_PRECONDITION. The exchange checked this
// before queueing; here it holds under the log lock, so two withdrawals
// racing on two nodes cannot both commit.
publish_plan plan_publishes(const std::vector<const core::publish_request*>& requests,
                            const std::map<alert_key, existing_alert>& existing,
                            std::set<alert_key> withdrawn, std::uint64_t last_seq,
                            core::time_point now);

// The "alert.publish" audit detail: a JSON object (sorted keys).
nlohmann::json publish_detail(const core::publish_request& request, std::uint64_t seq,
                              bool duplicate);

}  // namespace liaison::store::detail
