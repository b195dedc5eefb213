// The log line of an audit event, so that the operators' log (stderr, the
// journal) tells the same story as the audit trail without anyone querying
// it: event name = the audit action, fields principal, member, alert_id or
// consumer (the subject), error_code, and the detail's own fields.
//
// Levels: a refusal at info (a rate-limit refusal at debug: a client over
// its rate makes one per request); connections, subscriptions, escalations
// and duty changes at info; the steady traffic (deliveries, acks, receipts
// recorded) at debug. Pure level choice; the writing is spdlog's.
#pragma once

#include "core/audit_event.hpp"
#include "runtime/log.hpp"

namespace liaison::broker {

runtime::log_level log_level_of(const core::audit_event& e);
// Writes `e` to the log at its level (nothing when that level is off).
void log_audit_event(const core::audit_event& e);

}  // namespace liaison::broker
