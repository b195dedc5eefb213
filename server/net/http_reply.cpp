#include "net/http_reply.hpp"

#include <nlohmann/json.hpp>

namespace liaison::net {

unsigned http_status(core::errc code) {
  switch (code) {
    case core::errc::invalid_argument:
      return 400;
    case core::errc::unauthenticated:
      return 401;
    case core::errc::permission_denied:
      return 403;
    case core::errc::not_found:
      return 404;
    case core::errc::duplicate_conflict:
      return 409;
    case core::errc::failed_precondition:
      return 409;
    case core::errc::too_large:
      return 413;
    case core::errc::bad_signature:
      return 422;
    case core::errc::resource_exhausted:
      return 429;
    case core::errc::unavailable:
      return 503;
    case core::errc::internal:
      return 500;
    case core::errc::deadline_exceeded:
      return 408;
  }
  return 500;
}

http_reply error_reply(const core::error& e) {
  http_reply r;
  r.status = http_status(e.code);
  r.body = nlohmann::json{{"code", core::to_string(e.code)}, {"message", e.message}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (e.code == core::errc::unavailable) r.headers.emplace_back("Retry-After", "5");
  if (e.code == core::errc::resource_exhausted) r.headers.emplace_back("Retry-After", "1");
  return r;
}

http_reply json_reply(unsigned status, std::string json) {
  http_reply r;
  r.status = status;
  r.body = std::move(json);
  return r;
}

}  // namespace liaison::net
