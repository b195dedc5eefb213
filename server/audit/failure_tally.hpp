// Failed authentications summarised: strangers cost a counter, not an audit
// row each. Failures are counted per (port, source address, outcome) over a
// window (one minute by default) and turned into one audit row per key and
// window ("auth.failures", with the count and the reasons seen), so that a
// flood of silent sockets leaves a handful of rows. Bounded: at most
// max_keys keys per window; failures beyond them are counted under the
// address "other". Totals by kind feed the metrics. Thread-safe; time is
// passed in; no I/O.
#pragma once

#include "core/audit_event.hpp"
#include "core/error.hpp"
#include "core/types.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace liaison::audit {

// Why a connection did not become a session; a bounded label set.
enum class auth_failure {
  handshake_timeout,  // no (complete) TLS handshake in time
  tls,                // the handshake failed: no certificate, unknown CA, expired, revoked, ...
  unregistered,       // a valid certificate whose name is not a principal
  capacity,           // no pending slot for the source address or the port
  protocol,           // a connection without a principal broke the protocol or ran out of time
};
inline constexpr std::size_t auth_failure_kinds = 5;
std::string_view to_string(auth_failure kind);  // "handshake_timeout", ...
core::errc outcome_of(auth_failure kind);       // DEADLINE_EXCEEDED, UNAUTHENTICATED, ...

class failure_tally {
 public:
  explicit failure_tally(core::duration window = std::chrono::minutes(1),
                         std::size_t max_keys = 256);

  // One failure on `port` ("native", "https") from `address` (no port
  // number), with the reason in words (at most 8 distinct ones are kept
  // per key, with their counts).
  // `outcome` replaces the kind's own outcome (outcome_of) when given.
  void record(std::string_view port, std::string_view address, auth_failure kind,
              std::string_view reason, core::time_point now,
              std::optional<core::errc> outcome = std::nullopt);

  // The summary rows of every key whose window ended at or before `now`
  // (and of all keys when `flush_all`), in key order; those keys are reset.
  std::vector<core::audit_event> take_due(core::time_point now, bool flush_all = false);

  // Failures counted since start, by kind (monotonic; for metrics).
  std::array<std::uint64_t, auth_failure_kinds> totals() const;

 private:
  struct tally {
    core::time_point from;
    core::time_point last;
    std::uint64_t count = 0;
    std::map<std::string, std::uint64_t> reasons;
  };
  using key = std::tuple<std::string, std::string, core::errc>;  // port, address, outcome

  const core::duration window_;
  const std::size_t max_keys_;
  mutable std::mutex mutex_;
  std::map<key, tally> open_;
  std::array<std::uint64_t, auth_failure_kinds> totals_{};
};

}  // namespace liaison::audit
