// Stable text names of the domain enums ("FLASH", "AMBER_STRICT", "H2",
// "VEHICLE_PLATE"), as used in configuration, the CLI, logs and JSON. Parsing
// is case-insensitive and accepts '-' for '_'; it returns nullopt for an
// unknown name.
#pragma once

#include "core/rapid.hpp"
#include "core/types.hpp"

#include <optional>
#include <string_view>

namespace liaison::core {

std::string_view to_string(alert_kind v);
std::string_view to_string(category v);
std::string_view to_string(priority v);
std::string_view to_string(tlp v);
std::string_view to_string(restriction v);
std::string_view to_string(source_reliability v);
std::string_view to_string(information_reliability v);
std::string_view to_string(entity_type v);
std::string_view to_string(role v);
std::string_view to_string(receipt_state v);
std::string_view to_string(duty_state v);
std::string_view to_string(notice_kind v);
// "a desk principal", "an auditor principal": the role with its article.
std::string role_phrase(role r);

template <class Enum>
std::optional<Enum> parse_name(std::string_view text);

template <>
std::optional<alert_kind> parse_name<alert_kind>(std::string_view text);
template <>
std::optional<category> parse_name<category>(std::string_view text);
template <>
std::optional<priority> parse_name<priority>(std::string_view text);
template <>
std::optional<tlp> parse_name<tlp>(std::string_view text);
template <>
std::optional<restriction> parse_name<restriction>(std::string_view text);
template <>
std::optional<source_reliability> parse_name<source_reliability>(std::string_view text);
template <>
std::optional<information_reliability> parse_name<information_reliability>(std::string_view text);
template <>
std::optional<entity_type> parse_name<entity_type>(std::string_view text);
template <>
std::optional<role> parse_name<role>(std::string_view text);
template <>
std::optional<receipt_state> parse_name<receipt_state>(std::string_view text);
template <>
std::optional<duty_state> parse_name<duty_state>(std::string_view text);
template <>
std::optional<notice_kind> parse_name<notice_kind>(std::string_view text);

// "FLASH|URGENT|ROUTINE": the accepted names, for error messages.
template <class Enum>
std::string accepted_names();

template <>
std::string accepted_names<alert_kind>();
template <>
std::string accepted_names<category>();
template <>
std::string accepted_names<priority>();
template <>
std::string accepted_names<tlp>();
template <>
std::string accepted_names<restriction>();
template <>
std::string accepted_names<source_reliability>();
template <>
std::string accepted_names<information_reliability>();
template <>
std::string accepted_names<entity_type>();
template <>
std::string accepted_names<role>();
template <>
std::string accepted_names<receipt_state>();

}  // namespace liaison::core
