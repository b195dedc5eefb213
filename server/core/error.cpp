#include "core/error.hpp"

#include <stdexcept>

namespace liaison::core {

std::string_view to_string(errc code) {
  switch (code) {
    case errc::invalid_argument:
      return "INVALID_ARGUMENT";
    case errc::unauthenticated:
      return "UNAUTHENTICATED";
    case errc::permission_denied:
      return "PERMISSION_DENIED";
    case errc::bad_signature:
      return "BAD_SIGNATURE";
    case errc::duplicate_conflict:
      return "DUPLICATE_CONFLICT";
    case errc::too_large:
      return "TOO_LARGE";
    case errc::resource_exhausted:
      return "RESOURCE_EXHAUSTED";
    case errc::unavailable:
      return "UNAVAILABLE";
    case errc::not_found:
      return "NOT_FOUND";
    case errc::failed_precondition:
      return "FAILED_PRECONDITION";
    case errc::internal:
      return "INTERNAL";
    case errc::deadline_exceeded:
      return "DEADLINE_EXCEEDED";
  }
  return "INTERNAL";
}

void throw_exception_from_error(const error& e, const boost::source_location&) {
  throw std::runtime_error(std::string(to_string(e.code)) + ": " + e.message);
}

}  // namespace liaison::core
