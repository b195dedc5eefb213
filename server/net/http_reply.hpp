// What an HTTPS handler answers: a status, a JSON (or other) body, extra
// headers, or a body streamed in chunks for exports of any size. Errors use
// one JSON shape: {"code": "INVALID_ARGUMENT", "message": "..."}.
#pragma once

#include "core/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace liaison::net {

struct http_reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is sent with chunked transfer encoding: each call
  // yields the next chunk, nullopt at the end. Memory stays bounded by a chunk.
  std::function<boost::asio::awaitable<std::optional<std::string>>()> stream;
};

// The HTTP status for an error code (INVALID_ARGUMENT 400, UNAUTHENTICATED
// 401, PERMISSION_DENIED 403, NOT_FOUND 404, DUPLICATE_CONFLICT and
// FAILED_PRECONDITION 409, TOO_LARGE 413, BAD_SIGNATURE 422,
// RESOURCE_EXHAUSTED 429, INTERNAL 500, UNAVAILABLE 503).
unsigned http_status(core::errc code);

// {"code": ..., "message": ...} with the status of the code; UNAVAILABLE and
// RESOURCE_EXHAUSTED carry Retry-After.
http_reply error_reply(const core::error& e);
http_reply json_reply(unsigned status, std::string json);

}  // namespace liaison::net
