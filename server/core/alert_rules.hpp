// Field-level validation of a decoded alert: required fields, sizes, formats
// and time bounds. Pure: the caller passes `now`.
#pragma once

#include "core/error.hpp"
#include "core/types.hpp"

#include <chrono>
#include <cstddef>
#include <string_view>

namespace liaison::core {

struct alert_limits {
  std::size_t max_recipients = 64;
  std::size_t max_entities = 64;
  std::size_t max_subject_bytes = 256;
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_entity_value_bytes = 256;
  std::size_t max_restriction_text_bytes = 1024;
  std::size_t max_case_reference_bytes = 128;
  // created_at may lie this far in the future (clock skew between desks)...
  duration max_clock_skew = std::chrono::minutes(5);
  // ...and be this old (a desk that was offline sends its queue on return).
  duration max_age = std::chrono::hours(24 * 7);
};

// True for a canonical lower-case UUID such as
// "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12".
bool is_canonical_uuid(std::string_view text);

// OK, or INVALID_ARGUMENT / TOO_LARGE naming the first offending field.
result<void> validate_alert(const alert& a, const alert_limits& limits, time_point now);

}  // namespace liaison::core
