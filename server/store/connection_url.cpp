#include "store/connection_url.hpp"

#include <libpq-fe.h>

namespace liaison::store {

std::optional<std::string> connection_url_problem(const std::string& url) {
  if (url.empty()) return "it is empty";
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options) {
    PQconninfoFree(options);
    return std::nullopt;
  }
  std::string why = error ? error : "libpq cannot parse it";
  if (error) PQfreemem(error);
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  return why;
}

}  // namespace liaison::store
