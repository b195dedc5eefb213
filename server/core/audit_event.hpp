// One entry of the audit trail before it is chained: who did what to which
// subject, with what outcome. Written for publishes, deliveries, acknowledgements,
// rejections, failed authentications, queries and configuration reloads.
// Build events with audit::event (audit/event.hpp); every action is one of
// the constants below, never a string literal elsewhere.
#pragma once

#include "core/types.hpp"

#include <string>
#include <string_view>

namespace liaison::core {

struct audit_event {
  time_point at{};
  std::string actor;         // principal id, "tls:ADDRESS" before authentication, or "server"
  std::string actor_member;  // member code of the actor, empty when none
  std::string action;        // one of audit_action
  std::string subject;       // alert id, consumer name, ... (may be empty)
  std::string outcome;       // "ok" or an error code name such as "BAD_SIGNATURE"
  std::string detail;        // a JSON object, stored byte for byte as written
};

// Every action the server writes. docs/AUDIT.md lists what each one's
// subject and detail hold; docs/ARCHITECTURE.md says how to add one.
namespace audit_action {
inline constexpr std::string_view server_start = "server.start";
inline constexpr std::string_view config_reload = "config.reload";
inline constexpr std::string_view authenticate = "auth.connect";
// Failed authentications of strangers, one row per port, source address,
// outcome and minute, with the count (audit::failure_tally).
inline constexpr std::string_view authentication_failures = "auth.failures";
inline constexpr std::string_view publish = "alert.publish";
inline constexpr std::string_view subscribe = "consumer.subscribe";
inline constexpr std::string_view deliver = "consumer.deliver";
inline constexpr std::string_view withhold = "consumer.withhold";
inline constexpr std::string_view ack = "consumer.ack";
inline constexpr std::string_view protocol_error = "protocol.error";
inline constexpr std::string_view stream_open = "stream.open";
inline constexpr std::string_view stream_close = "stream.close";
inline constexpr std::string_view http_denied = "http.denied";
inline constexpr std::string_view audit_query = "audit.query";
// Rapid response: a recipient's signed receipt (recorded, a duplicate, or
// refused); a read deadline passed (reminder, sender told, fallback told);
// a FLASH or URGENT went to members with no desk on duty; a member's duty
// state changed.
inline constexpr std::string_view receipt = "receipt.record";
inline constexpr std::string_view deadline_escalate = "deadline.escalate";
inline constexpr std::string_view no_desk_on_duty = "deadline.no_desk_on_duty";
inline constexpr std::string_view presence_change = "presence.change";

// Every action above, for checks of what a query may ask for.
inline constexpr std::string_view all[] = {server_start,
                                           config_reload,
                                           authenticate,
                                           authentication_failures,
                                           publish,
                                           subscribe,
                                           deliver,
                                           withhold,
                                           ack,
                                           protocol_error,
                                           stream_open,
                                           stream_close,
                                           http_denied,
                                           audit_query,
                                           receipt,
                                           deadline_escalate,
                                           no_desk_on_duty,
                                           presence_change};
}  // namespace audit_action

}  // namespace liaison::core
