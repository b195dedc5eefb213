#include "protocol/http_header_check.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace liaison::protocol {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

http_header_refusal bad_request(std::string message) {
  return {400, core::make_error(core::errc::invalid_argument, std::move(message))};
}

}  // namespace

std::optional<http_header_refusal> check_http_header(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields,
    const http_header_limits& limits) {
  if (fields.size() > limits.max_fields)
    return http_header_refusal{
        431, core::make_error(core::errc::too_large,
                              "the request has " + std::to_string(fields.size()) +
                                  " header fields; at most " + std::to_string(limits.max_fields) +
                                  " are accepted")};
  std::size_t transfer_encodings = 0, content_lengths = 0;
  for (const auto& [name, value] : fields) {
    if (name.size() + value.size() > limits.max_field_bytes)
      return http_header_refusal{
          431, core::make_error(core::errc::too_large,
                                "header field '" + std::string(name.substr(0, 64)) +
                                    "' is longer than " + std::to_string(limits.max_field_bytes) +
                                    " bytes")};
    if (iequals(name, "Transfer-Encoding")) {
      ++transfer_encodings;
      if (!iequals(trim(value), "chunked"))
        return bad_request("Transfer-Encoding must be exactly 'chunked' (got '" +
                           std::string(trim(value).substr(0, 64)) +
                           "'); other codings are not accepted");
    } else if (iequals(name, "Content-Length")) {
      ++content_lengths;
    }
  }
  if (transfer_encodings > 1) return bad_request("Transfer-Encoding appears more than once");
  if (content_lengths > 1) return bad_request("Content-Length appears more than once");
  if (transfer_encodings > 0 && content_lengths > 0)
    return bad_request("a request has either Transfer-Encoding or Content-Length, not both");
  return std::nullopt;
}

}  // namespace liaison::protocol
