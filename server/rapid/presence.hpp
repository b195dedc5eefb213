// Desks on duty, as one node sees them: which desk connections of each
// member are open and which of them count as on duty (declared so, and
// answering). A member is ON_DUTY with at least one such desk, OFF_DUTY with
// desks connected but none on duty, UNREACHABLE with none connected.
// Not thread-safe; the exchange serialises its calls.
#pragma once

#include "core/rapid.hpp"
#include "core/types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace liaison::rapid {

// A member's desks on one node.
struct desk_counts {
  std::uint32_t connected = 0;
  std::uint32_t on_duty = 0;
  friend bool operator==(const desk_counts&, const desk_counts&) = default;
};

core::duty_state state_of(const desk_counts& c);

// The state across nodes: the sum of the nodes' counts.
core::duty_state combined_state(const std::vector<desk_counts>& nodes);

// Whether the desks on duty are told of a change (a PRESENCE notice): only
// when the member gains or loses its last desk on duty. OFF_DUTY and
// UNREACHABLE differ for the audit log, not for the person on duty; a desk
// that publishes through short connections must not page everybody twice
// for each alert.
bool notify_duty_change(core::duty_state from, core::duty_state to);

class presence_board {
 public:
  // A desk connection's state: open (connected) and counted on duty, or gone
  // (connected false). Returns the member's new counts when they changed.
  std::optional<desk_counts> update(std::uint64_t connection, const std::string& member,
                                    bool connected, bool on_duty);

  desk_counts counts(const std::string& member) const;
  // Every member with a desk connection on this node.
  std::map<std::string, desk_counts> all() const;

 private:
  struct desk {
    std::string member;
    bool on_duty = false;
  };
  std::map<std::uint64_t, desk> desks_;
  std::map<std::string, desk_counts> members_;
};

}  // namespace liaison::rapid
