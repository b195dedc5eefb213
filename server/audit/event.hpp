// The one way to build an audit event: an action from core::audit_action,
// the actor (a principal, a TLS peer before authentication, or the server),
// the subject, the outcome, and a JSON detail object serialised one way.
// Pure; no clock: the caller passes the time.
#pragma once

#include "core/audit_event.hpp"
#include "core/error.hpp"
#include "core/types.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace liaison::audit {

class event {
 public:
  // The actor is "server" until by() or from_peer() says otherwise; the
  // outcome is "ok" until outcome() or refused() says otherwise.
  event(core::time_point at, std::string_view action);

  // The acting principal (id and member).
  event& by(const core::principal& who);
  event& by(std::string id, std::string member);
  // A connection's actor: the principal when known (non-null, non-empty id),
  // else "tls:PEER"; the peer address always goes into detail.peer.
  event& from_peer(std::string_view peer, const core::principal* who = nullptr);
  event& subject(std::string s);
  event& outcome(std::string_view o);
  // Outcome the error's code name, detail.reason its message.
  event& refused(const core::error& why);
  // detail[key] = value.
  event& with(std::string_view key, nlohmann::json value);
  // Every key of `object` (a JSON object) into the detail.
  event& with_all(const nlohmann::json& object);

  // The event; the builder is spent (build once).
  core::audit_event build();

 private:
  core::audit_event event_;
  nlohmann::json detail_ = nlohmann::json::object();
};

// Compact JSON that never throws: invalid UTF-8 in a string is replaced.
// The one serialisation of audit details and of stored JSON text.
std::string dump_json(const nlohmann::json& j);

}  // namespace liaison::audit
