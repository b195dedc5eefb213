#include "core/names.hpp"

#include <array>
#include <string>
#include <utility>

namespace liaison::core {
namespace {

template <class Enum, std::size_t N>
using table = std::array<std::pair<Enum, std::string_view>, N>;

constexpr table<alert_kind, 6> kinds{
    {{alert_kind::information, "INFORMATION"},
     {alert_kind::request_for_assistance, "REQUEST_FOR_ASSISTANCE"},
     {alert_kind::reply, "REPLY"},
     {alert_kind::warning, "WARNING"},
     {alert_kind::withdrawal, "WITHDRAWAL"},
     {alert_kind::correction, "CORRECTION"}}};
constexpr table<category, 8> categories{{{category::smuggling_route, "SMUGGLING_ROUTE"},
                                         {category::vehicle, "VEHICLE"},
                                         {category::person, "PERSON"},
                                         {category::document_fraud, "DOCUMENT_FRAUD"},
                                         {category::financial_flow, "FINANCIAL_FLOW"},
                                         {category::communication, "COMMUNICATION"},
                                         {category::organised_group, "ORGANISED_GROUP"},
                                         {category::other, "OTHER"}}};
constexpr table<priority, 3> priorities{
    {{priority::flash, "FLASH"}, {priority::urgent, "URGENT"}, {priority::routine, "ROUTINE"}}};
constexpr table<tlp, 5> tlps{{{tlp::red, "RED"},
                              {tlp::amber_strict, "AMBER_STRICT"},
                              {tlp::amber, "AMBER"},
                              {tlp::green, "GREEN"},
                              {tlp::clear, "CLEAR"}}};
constexpr table<restriction, 4> restrictions{{{restriction::h0, "H0"},
                                              {restriction::h1, "H1"},
                                              {restriction::h2, "H2"},
                                              {restriction::h3, "H3"}}};
constexpr table<source_reliability, 4> sources{{{source_reliability::a, "A"},
                                                {source_reliability::b, "B"},
                                                {source_reliability::c, "C"},
                                                {source_reliability::x, "X"}}};
constexpr table<information_reliability, 4> informations{{{information_reliability::one, "1"},
                                                          {information_reliability::two, "2"},
                                                          {information_reliability::three, "3"},
                                                          {information_reliability::four, "4"}}};
constexpr table<entity_type, 9> entity_types{{{entity_type::person, "PERSON"},
                                              {entity_type::vehicle_plate, "VEHICLE_PLATE"},
                                              {entity_type::phone, "PHONE"},
                                              {entity_type::iban, "IBAN"},
                                              {entity_type::route, "ROUTE"},
                                              {entity_type::border_crossing, "BORDER_CROSSING"},
                                              {entity_type::location, "LOCATION"},
                                              {entity_type::organisation, "ORGANISATION"},
                                              {entity_type::document, "DOCUMENT"}}};
constexpr table<role, 5> roles{{{role::desk, "desk"},
                                {role::partner, "partner"},
                                {role::auditor, "auditor"},
                                {role::admin, "admin"},
                                {role::coordinator, "coordinator"}}};
constexpr table<receipt_state, 3> receipt_states{{{receipt_state::delivered, "DELIVERED"},
                                                  {receipt_state::read, "READ"},
                                                  {receipt_state::actioned, "ACTIONED"}}};
constexpr table<duty_state, 3> duty_states{{{duty_state::on_duty, "ON_DUTY"},
                                            {duty_state::off_duty, "OFF_DUTY"},
                                            {duty_state::unreachable, "UNREACHABLE"}}};
constexpr table<notice_kind, 6> notice_kinds{{{notice_kind::receipt, "RECEIPT"},
                                              {notice_kind::reminder, "REMINDER"},
                                              {notice_kind::overdue, "OVERDUE"},
                                              {notice_kind::escalation, "ESCALATION"},
                                              {notice_kind::no_desk_on_duty, "NO_DESK_ON_DUTY"},
                                              {notice_kind::presence, "PRESENCE"}}};

template <class Enum, std::size_t N>
std::string_view name_of(const table<Enum, N>& t, Enum v) {
  for (const auto& [value, name] : t)
    if (value == v) return name;
  return "UNKNOWN";
}

bool same_name(std::string_view given, std::string_view canonical) {
  if (given.size() != canonical.size()) return false;
  for (std::size_t i = 0; i < given.size(); ++i) {
    char c = given[i];
    if (c == '-') c = '_';
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    char k = canonical[i];
    if (k >= 'a' && k <= 'z') k = static_cast<char>(k - 'a' + 'A');
    if (c != k) return false;
  }
  return true;
}

template <class Enum, std::size_t N>
std::optional<Enum> value_of(const table<Enum, N>& t, std::string_view text) {
  for (const auto& [value, name] : t)
    if (same_name(text, name)) return value;
  return std::nullopt;
}

template <class Enum, std::size_t N>
std::string joined(const table<Enum, N>& t) {
  std::string out;
  for (const auto& [value, name] : t) {
    if (!out.empty()) out += '|';
    out += name;
  }
  return out;
}

}  // namespace

std::string_view to_string(alert_kind v) {
  return name_of(kinds, v);
}
std::string_view to_string(category v) {
  return name_of(categories, v);
}
std::string_view to_string(priority v) {
  return name_of(priorities, v);
}
std::string_view to_string(tlp v) {
  return name_of(tlps, v);
}
std::string_view to_string(restriction v) {
  return name_of(restrictions, v);
}
std::string_view to_string(source_reliability v) {
  return name_of(sources, v);
}
std::string_view to_string(information_reliability v) {
  return name_of(informations, v);
}
std::string_view to_string(entity_type v) {
  return name_of(entity_types, v);
}
std::string_view to_string(role v) {
  return name_of(roles, v);
}
std::string_view to_string(receipt_state v) {
  return name_of(receipt_states, v);
}
std::string_view to_string(duty_state v) {
  return name_of(duty_states, v);
}
std::string_view to_string(notice_kind v) {
  return name_of(notice_kinds, v);
}

template <>
std::optional<alert_kind> parse_name<alert_kind>(std::string_view t) {
  return value_of(kinds, t);
}
template <>
std::optional<category> parse_name<category>(std::string_view t) {
  return value_of(categories, t);
}
template <>
std::optional<priority> parse_name<priority>(std::string_view t) {
  return value_of(priorities, t);
}
template <>
std::optional<tlp> parse_name<tlp>(std::string_view t) {
  return value_of(tlps, t);
}
template <>
std::optional<restriction> parse_name<restriction>(std::string_view t) {
  return value_of(restrictions, t);
}
template <>
std::optional<source_reliability> parse_name<source_reliability>(std::string_view t) {
  return value_of(sources, t);
}
template <>
std::optional<information_reliability> parse_name<information_reliability>(std::string_view t) {
  return value_of(informations, t);
}
template <>
std::optional<entity_type> parse_name<entity_type>(std::string_view t) {
  return value_of(entity_types, t);
}
template <>
std::optional<role> parse_name<role>(std::string_view t) {
  return value_of(roles, t);
}
template <>
std::optional<receipt_state> parse_name<receipt_state>(std::string_view t) {
  return value_of(receipt_states, t);
}
template <>
std::optional<duty_state> parse_name<duty_state>(std::string_view t) {
  return value_of(duty_states, t);
}
template <>
std::optional<notice_kind> parse_name<notice_kind>(std::string_view t) {
  return value_of(notice_kinds, t);
}

template <>
std::string accepted_names<alert_kind>() {
  return joined(kinds);
}
template <>
std::string accepted_names<category>() {
  return joined(categories);
}
template <>
std::string accepted_names<priority>() {
  return joined(priorities);
}
template <>
std::string accepted_names<tlp>() {
  return joined(tlps);
}
template <>
std::string accepted_names<restriction>() {
  return joined(restrictions);
}
template <>
std::string accepted_names<source_reliability>() {
  return joined(sources);
}
template <>
std::string accepted_names<information_reliability>() {
  return joined(informations);
}
template <>
std::string accepted_names<entity_type>() {
  return joined(entity_types);
}
template <>
std::string accepted_names<role>() {
  return joined(roles);
}
template <>
std::string accepted_names<receipt_state>() {
  return joined(receipt_states);
}

std::string role_phrase(role r) {
  const auto name = std::string(to_string(r));
  const bool vowel =
      !name.empty() && std::string_view("aeiou").find(name[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + name + " principal";
}

}  // namespace liaison::core
