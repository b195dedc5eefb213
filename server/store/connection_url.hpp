// Checking a PostgreSQL connection string without connecting.
#pragma once

#include <optional>
#include <string>

namespace liaison::store {

// Why libpq would refuse `url` (a URI or key=value string) before any
// connection, e.g. an unknown parameter or a malformed URI; nullopt when it
// parses. The message never repeats a password.
std::optional<std::string> connection_url_problem(const std::string& url);

}  // namespace liaison::store
