#include "core/alert_rules.hpp"

#include <string>

namespace liaison::core {
namespace {

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alnum(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9');
}

// BCP 47 in the shape desks use: a 2-3 letter language, then subtags of 1-8
// letters or digits ("en", "de-AT", "sr-Latn-RS").
bool is_language_tag(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_alpha(s[i])) ++i;
  if (i < 2 || i > 3) return false;
  while (i < s.size()) {
    if (s[i] != '-') return false;
    std::size_t start = ++i;
    while (i < s.size() && is_alnum(s[i])) ++i;
    if (i - start < 1 || i - start > 8) return false;
  }
  return true;
}

bool has_control_chars(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

error invalid(std::string message) {
  return make_error(errc::invalid_argument, std::move(message));
}
error too_large(std::string_view field, std::size_t size, std::size_t limit) {
  return make_error(errc::too_large, std::string(field) + " is " + std::to_string(size) +
                                         " bytes, over the limit of " + std::to_string(limit));
}

std::string minutes_text(duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::minutes>(d).count()) + " min";
}

}  // namespace

bool is_canonical_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_lower_hex(s[i])) return false;
  }
  return true;
}

result<void> validate_alert(const alert& a, const alert_limits& limits, time_point now) {
  if (!is_canonical_uuid(a.id))
    return invalid("id must be a lower-case UUID (8-4-4-4-12 hex digits), got '" +
                   a.id.substr(0, 64) + "'");
  if (a.origin.empty()) return invalid("origin is missing");
  if (a.recipients.empty()) return invalid("recipients are missing");
  if (a.recipients.size() > limits.max_recipients)
    return make_error(errc::too_large, "recipients has " + std::to_string(a.recipients.size()) +
                                           " entries, over the limit of " +
                                           std::to_string(limits.max_recipients));
  if (!a.kind) return invalid("kind is missing");
  if (!a.cat) return invalid("category is missing");
  if (!a.prio) return invalid("priority is missing");
  if (!a.disclosure) return invalid("tlp (disclosure level) is missing");
  if (!a.usage) return invalid("restriction (handling code H0-H3) is missing");
  if (*a.usage == restriction::h3 && a.restriction_text.empty())
    return invalid("restriction H3 requires restriction_text stating the restriction");
  if (a.restriction_text.size() > limits.max_restriction_text_bytes)
    return too_large("restriction_text", a.restriction_text.size(),
                     limits.max_restriction_text_bytes);
  if (!a.source || !a.information)
    return invalid(
        "evaluation is missing (source reliability A/B/C/X and information reliability 1-4)");
  if (a.subject.empty()) return invalid("subject is missing");
  if (a.subject.size() > limits.max_subject_bytes)
    return too_large("subject", a.subject.size(), limits.max_subject_bytes);
  if (has_control_chars(a.subject)) return invalid("subject contains control characters");
  if (a.body.size() > limits.max_body_bytes)
    return too_large("body", a.body.size(), limits.max_body_bytes);
  if (!is_language_tag(a.language))
    return invalid("language must be a BCP 47 tag such as 'en' or 'de-AT', got '" +
                   a.language.substr(0, 32) + "'");
  if (a.entities.size() > limits.max_entities)
    return make_error(errc::too_large, "entities has " + std::to_string(a.entities.size()) +
                                           " entries, over the limit of " +
                                           std::to_string(limits.max_entities));
  for (std::size_t i = 0; i < a.entities.size(); ++i) {
    const auto& e = a.entities[i];
    std::string where = "entities[" + std::to_string(i) + "]";
    if (e.value.empty()) return invalid(where + " has an empty value");
    if (e.value.size() > limits.max_entity_value_bytes)
      return too_large(where + ".value", e.value.size(), limits.max_entity_value_bytes);
    if (has_control_chars(e.value)) return invalid(where + ".value contains control characters");
  }
  if (!a.created_at) return invalid("created_at is missing");
  if (*a.created_at > now + limits.max_clock_skew)
    return invalid("created_at lies more than " + minutes_text(limits.max_clock_skew) +
                   " in the future; check the sender's clock");
  if (*a.created_at < now - limits.max_age)
    return invalid("created_at is older than the maximum age of " + minutes_text(limits.max_age));
  if (a.expires_at && *a.expires_at <= *a.created_at)
    return invalid("expires_at must be after created_at");
  if (!a.in_reply_to.empty() && !is_canonical_uuid(a.in_reply_to))
    return invalid("in_reply_to must be a lower-case UUID");
  bool refers = *a.kind == alert_kind::reply || *a.kind == alert_kind::withdrawal ||
                *a.kind == alert_kind::correction;
  if (refers && a.in_reply_to.empty())
    return invalid(
        "a reply, withdrawal or correction must name the alert it refers to in in_reply_to");
  if (a.in_reply_to == a.id) return invalid("an alert cannot refer to itself");
  if (a.case_reference.size() > limits.max_case_reference_bytes)
    return too_large("case_reference", a.case_reference.size(), limits.max_case_reference_bytes);
  return {};
}

}  // namespace liaison::core
