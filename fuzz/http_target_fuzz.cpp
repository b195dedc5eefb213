// HTTP request targets: protocol::parse_http_target on the target of a
// request line ("/v1/audit?actor=AT.desk&limit=50"). An accepted target has
// a path starting with '/', at most max_params non-empty parameter names,
// no control characters, no component over the limit; percent-encoding the
// result and parsing it again gives the same target.
//
// Input: the request target as sent.
#include "fuzz_check.hpp"
#include "protocol/http_target.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace liaison;

// Percent-encodes every byte outside unreserved characters (and '/' in paths).
std::string encoded(std::string_view s, bool path) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~' || (path && c == '/');
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const protocol::http_target_limits limits{8, 64};  // small, so that inputs reach them
  auto parsed = protocol::parse_http_target(text, limits);
  if (!parsed) {
    LIAISON_FUZZ_CHECK(parsed.error().code == core::errc::invalid_argument,
                       "a refused target is INVALID_ARGUMENT");
    return 0;
  }
  LIAISON_FUZZ_CHECK(!parsed->path.empty() && parsed->path.front() == '/',
                     "the path starts with '/'");
  LIAISON_FUZZ_CHECK(parsed->path.size() <= limits.max_component_bytes,
                     "the path is within the limit");
  LIAISON_FUZZ_CHECK(!has_control(parsed->path), "the path has no control characters");
  LIAISON_FUZZ_CHECK(parsed->params.size() <= limits.max_params, "at most max_params parameters");
  std::string again = encoded(parsed->path, true);
  for (std::size_t i = 0; i < parsed->params.size(); ++i) {
    const auto& [key, value] = parsed->params[i];
    LIAISON_FUZZ_CHECK(!key.empty(), "a parameter has a name");
    LIAISON_FUZZ_CHECK(
        key.size() <= limits.max_component_bytes && value.size() <= limits.max_component_bytes,
        "names and values are within the limit");
    LIAISON_FUZZ_CHECK(!has_control(key) && !has_control(value),
                       "names and values have no control characters");
    LIAISON_FUZZ_CHECK(parsed->param(key).has_value(), "param() finds every name");
    again += (i == 0 ? "?" : "&") + encoded(key, false) + "=" + encoded(value, false);
  }
  auto reparsed = protocol::parse_http_target(again, limits);
  LIAISON_FUZZ_CHECK(reparsed.has_value(), "the re-encoded target parses");
  LIAISON_FUZZ_CHECK(reparsed->path == parsed->path && reparsed->params == parsed->params,
                     "the re-encoded target means the same");
  return 0;
}
