// Requests of the auditor commands (`liaison history`, `liaison audit`): a
// query string built from options, JSON answers, and exports streamed to
// stdout. Failures are exceptions that carry the exit code.
#pragma once

#include "pki/identity.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace liaison::cli {

using query = std::vector<std::pair<std::string, std::string>>;

// Exit codes of the auditor commands.
inline constexpr int exit_error = 1;    // could not ask or check (network, files, usage)
inline constexpr int exit_refused = 2;  // the server refused the request
inline constexpr int exit_failed = 3;   // verification failed: evidence of tampering

class command_failure : public std::runtime_error {
 public:
  command_failure(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// "path?k=v&k2=v2", percent-encoding everything but unreserved characters.
std::string target(const std::string& path, const query& params);

// GET `target` and parse the JSON answer. A non-2xx status throws
// command_failure(exit_refused) with the server's code and message; a
// connection failure command_failure(exit_error).
nlohmann::json get_json(const pki::identity& id, const std::string& server,
                        const std::string& target, std::chrono::milliseconds timeout);

// GET `target` and copy the body to stdout as it arrives.
void get_to_stdout(const pki::identity& id, const std::string& server, const std::string& target,
                   std::chrono::milliseconds timeout);

}  // namespace liaison::cli
