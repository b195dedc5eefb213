// Schema migrations: the numbered SQL files of migrations/, compiled into the
// binary, applied in order and recorded in schema_migrations. Applying twice
// changes nothing; concurrent nodes serialise on an advisory lock.
#pragma once

#include <string>
#include <vector>

namespace liaison::store {

struct migration {
  int number;
  std::string name;  // e.g. "0001_create_log"
  std::string sql;
};

// Every migration shipped with this build, in order.
const std::vector<migration>& bundled_migrations();

// Applies the missing migrations to the database at `url` and returns the
// names of those it applied. Throws std::runtime_error with a clear message
// (file name and the server's error) when one fails; nothing of a failed
// migration remains.
std::vector<std::string> apply_migrations(const std::string& url);

// True when every bundled migration is recorded as applied (for /readyz).
bool migrations_current(const std::string& url);

}  // namespace liaison::store
