// Runs tests/e2e/partner_client.py — a WebSocket and HTTPS client built on
// Python's websockets and http.client, not on Liaison's code — and collects
// the JSON events it prints.
#pragma once

#include "e2e/process.hpp"
#include "pki/identity.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace liaison::testing {

struct partner_result {
  int exit_code = -1;
  std::vector<nlohmann::json> events;
  std::string stderr_text;

  // Events with "event" == name, in order.
  std::vector<nlohmann::json> all(const std::string& name) const;
  // The first such event; a null json when none.
  nlohmann::json first(const std::string& name) const;
};

class partner_client {
 public:
  // `id` supplies the CA and, unless `with_certificate` is false, the client
  // certificate and key.
  explicit partner_client(const pki::identity& id, bool with_certificate = true);
  partner_client(std::string ca_file, std::string cert_file, std::string key_file);

  // Runs a stream script (see partner_client.py) to its end.
  partner_result stream(const std::string& https_address,
                        const std::vector<std::string>& subprotocols, const nlohmann::json& script,
                        std::chrono::seconds limit = std::chrono::seconds(90));
  // Starts a stream script and returns at once (for stalled readers).
  std::unique_ptr<child_process> start_stream(const std::string& https_address,
                                              const std::vector<std::string>& subprotocols,
                                              const nlohmann::json& script,
                                              std::string& stdout_file);
  // Two TLS connections, the second offering the first one's session.
  partner_result resume(const std::string& address);
  partner_result http(const std::string& https_address, const std::string& method,
                      const std::string& path,
                      const std::optional<std::string>& body = std::nullopt,
                      const std::vector<std::string>& headers = {});

 private:
  std::vector<std::string> base_args() const;
  partner_result run(std::vector<std::string> args, std::chrono::seconds limit);
  std::string ca_, cert_, key_;
  temp_dir dir_{"partner"};
  int runs_ = 0;
};

std::vector<nlohmann::json> parse_json_lines(const std::string& text);

}  // namespace liaison::testing
