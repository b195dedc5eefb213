#include "protocol/http_target.hpp"

namespace liaison::protocol {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

core::error invalid(std::string message) {
  return core::make_error(core::errc::invalid_argument, std::move(message));
}

// Percent-decodes `in`; '+' is a space when `query` is set.
core::result<std::string> decode(std::string_view in, bool query, std::size_t limit,
                                 std::string_view what) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size())
        return invalid("truncated percent escape in the " + std::string(what));
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return invalid("malformed percent escape in the " + std::string(what));
      c = static_cast<char>((hi << 4) | lo);
      i += 2;
    } else if (c == '+' && query) {
      c = ' ';
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return invalid("control character in the " + std::string(what));
    out.push_back(c);
    if (out.size() > limit)
      return invalid("a " + std::string(what) + " component is longer than " +
                     std::to_string(limit) + " bytes");
  }
  return out;
}

}  // namespace

std::optional<std::string> http_target::param(std::string_view key) const {
  for (const auto& [k, v] : params)
    if (k == key) return v;
  return std::nullopt;
}

core::result<http_target> parse_http_target(std::string_view target,
                                            const http_target_limits& limits) {
  if (target.empty() || target.front() != '/')
    return invalid("the request target must start with '/'");
  auto fragment = target.find('#');
  if (fragment != std::string_view::npos) target = target.substr(0, fragment);
  auto question = target.find('?');
  http_target out;
  auto path = decode(target.substr(0, question), false, limits.max_component_bytes, "path");
  if (!path) return path.error();
  out.path = std::move(*path);
  if (question == std::string_view::npos) return out;
  auto query = target.substr(question + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    if (out.params.size() == limits.max_params)
      return invalid("more than " + std::to_string(limits.max_params) + " query parameters");
    auto eq = pair.find('=');
    auto key = decode(pair.substr(0, eq), true, limits.max_component_bytes, "query");
    if (!key) return key.error();
    if (key->empty()) return invalid("a query parameter has an empty name");
    std::string value;
    if (eq != std::string_view::npos) {
      auto v = decode(pair.substr(eq + 1), true, limits.max_component_bytes, "query");
      if (!v) return v.error();
      value = std::move(*v);
    }
    out.params.emplace_back(std::move(*key), std::move(value));
  }
  return out;
}

}  // namespace liaison::protocol
