#include "audit/failure_tally.hpp"

#include "audit/event.hpp"
#include "core/time_text.hpp"

namespace liaison::audit {

std::string_view to_string(auth_failure kind) {
  switch (kind) {
    case auth_failure::handshake_timeout:
      return "handshake_timeout";
    case auth_failure::tls:
      return "tls";
    case auth_failure::unregistered:
      return "unregistered";
    case auth_failure::capacity:
      return "capacity";
    case auth_failure::protocol:
      return "protocol";
  }
  return "tls";
}

core::errc outcome_of(auth_failure kind) {
  switch (kind) {
    case auth_failure::handshake_timeout:
      return core::errc::deadline_exceeded;
    case auth_failure::tls:
    case auth_failure::unregistered:
      return core::errc::unauthenticated;
    case auth_failure::capacity:
      return core::errc::resource_exhausted;
    case auth_failure::protocol:
      return core::errc::invalid_argument;
  }
  return core::errc::unauthenticated;
}

failure_tally::failure_tally(core::duration window, std::size_t max_keys)
    : window_(window), max_keys_(max_keys) {}

void failure_tally::record(std::string_view port, std::string_view address, auth_failure kind,
                           std::string_view reason, core::time_point now,
                           std::optional<core::errc> outcome) {
  std::lock_guard lock(mutex_);
  ++totals_[static_cast<std::size_t>(kind)];
  key k{std::string(port), std::string(address), outcome.value_or(outcome_of(kind))};
  auto it = open_.find(k);
  if (it == open_.end()) {
    if (open_.size() >= max_keys_) std::get<1>(k) = "other";
    it = open_.try_emplace(std::move(k), tally{now, now, 0, {}}).first;
  }
  auto& t = it->second;
  ++t.count;
  t.last = now;
  auto r = t.reasons.find(std::string(reason));
  if (r != t.reasons.end())
    ++r->second;
  else if (t.reasons.size() < 8)
    t.reasons.emplace(std::string(reason), 1);
}

std::vector<core::audit_event> failure_tally::take_due(core::time_point now, bool flush_all) {
  std::vector<core::audit_event> out;
  std::lock_guard lock(mutex_);
  for (auto it = open_.begin(); it != open_.end();) {
    const auto& [k, t] = *it;
    if (!flush_all && now < t.from + window_) {
      ++it;
      continue;
    }
    const auto& [port, address, outcome] = k;
    nlohmann::json reasons = nlohmann::json::object();
    for (const auto& [text, n] : t.reasons) reasons[text] = n;
    out.push_back(event(now, core::audit_action::authentication_failures)
                      .by("tls:" + address, "")
                      .subject(address)
                      .outcome(core::to_string(outcome))
                      .with("port", port)
                      .with("count", t.count)
                      .with("from", core::to_rfc3339(t.from))
                      .with("to", core::to_rfc3339(t.last))
                      .with("reasons", reasons)
                      .build());
    it = open_.erase(it);
  }
  return out;
}

std::array<std::uint64_t, auth_failure_kinds> failure_tally::totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

}  // namespace liaison::audit
