// Errors of the data path: a stable code that clients may switch on and a
// short human-readable message. Never carries SQL or OpenSSL text.
#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace liaison::core {

// The numeric values equal liaison.v1.ErrorCode on the wire.
enum class errc {
  invalid_argument = 1,
  unauthenticated = 2,
  permission_denied = 3,
  bad_signature = 4,
  duplicate_conflict = 5,
  too_large = 6,
  resource_exhausted = 7,
  unavailable = 8,
  not_found = 9,
  failed_precondition = 10,
  internal = 11,
  deadline_exceeded = 12,
};

// The stable upper-case name, e.g. "INVALID_ARGUMENT".
std::string_view to_string(errc code);

struct error {
  errc code;
  std::string message;

  friend bool operator==(const error&, const error&) = default;
};

inline error make_error(errc code, std::string message) {
  return error{code, std::move(message)};
}

// Lets result<T>::value() throw when it holds an error (start-up code only;
// the data path checks has_value()).
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

template <class T>
using result = boost::system::result<T, error>;

}  // namespace liaison::core
