// What the writer commits for rapid response, besides alerts: a passed read
// deadline's escalation and a node's desks on duty. Domain types only.
#pragma once

#include "core/audit_event.hpp"
#include "core/rapid.hpp"
#include "core/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace liaison::store {

// One passed deadline's escalation (rapid::plan_escalation), committed only
// if the deadline is still open at `expected_level`: whichever node or
// restart tries first does it, the others find nothing to do.
struct escalation_request {
  std::uint64_t alert_seq = 0;
  std::string member;
  std::uint32_t expected_level = 0;
  std::uint32_t new_level = 0;
  std::optional<core::time_point> next_due;
  std::vector<core::notice> notices;
  core::audit_event audit;
};

// A node's desks of one member.
struct presence_row {
  std::string member;
  std::uint32_t connected = 0;
  std::uint32_t on_duty = 0;
};

// Writes this node's rows (seen now) and recomputes the combined state of
// the members they name (or of every member, for `all_members`), counting
// only rows seen within `expiry`. A member whose combined state changes gets
// a presence.change audit row (detail: the cause) and a PRESENCE notice to
// `audience`.
struct presence_update {
  std::string node;
  std::vector<presence_row> rows;
  bool all_members = false;          // a heartbeat: refresh every row of the node, recompute all
  std::vector<std::string> members;  // every member code (for all_members)
  core::duration expiry{};
  core::audience audience;
  std::string cause;  // e.g. the principal whose connection changed, "heartbeat"
};

}  // namespace liaison::store
