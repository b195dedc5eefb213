// protocol::check_http_header, as the HTTPS listener runs it on every
// request's header block before reading a body. A refusal is 400 or 431 with
// a message; an accepted block has at most max_fields fields, none longer
// than max_field_bytes, and a Transfer-Encoding only when it is exactly
// "chunked" with no Content-Length beside it.
//
// Input: header lines "Name: value" separated by "\n" (small limits, so
// that inputs reach them).
#include "fuzz_check.hpp"
#include "protocol/http_header_check.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  std::size_t at = 0;
  while (at <= text.size() && fields.size() < 200) {
    auto end = text.find('\n', at);
    auto line = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    auto colon = line.find(':');
    if (colon != std::string_view::npos)
      fields.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  const liaison::protocol::http_header_limits limits{8, 64};
  auto refusal = liaison::protocol::check_http_header(fields, limits);
  if (refusal) {
    LIAISON_FUZZ_CHECK(refusal->status == 400 || refusal->status == 431, "400 or 431");
    LIAISON_FUZZ_CHECK(!refusal->error.message.empty(), "a refusal says why");
    return 0;
  }
  LIAISON_FUZZ_CHECK(fields.size() <= limits.max_fields, "at most max_fields accepted");
  bool te = false, cl = false;
  for (const auto& [name, value] : fields) {
    LIAISON_FUZZ_CHECK(name.size() + value.size() <= limits.max_field_bytes, "field size");
    auto n = lower(name);
    if (n == "transfer-encoding") {
      te = true;
      auto v = lower(value);
      v.erase(0, v.find_first_not_of(" \t"));
      v.erase(v.find_last_not_of(" \t") + 1);
      LIAISON_FUZZ_CHECK(v == "chunked", "an accepted Transfer-Encoding is exactly chunked");
    }
    if (n == "content-length") cl = true;
  }
  LIAISON_FUZZ_CHECK(!(te && cl), "never both Transfer-Encoding and Content-Length");
  return 0;
}
