#include "e2e/partner_client.hpp"

#include <fstream>
#include <sstream>

namespace liaison::testing {

std::vector<nlohmann::json> parse_json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line, nullptr, false));
  return out;
}

std::vector<nlohmann::json> partner_result::all(const std::string& name) const {
  std::vector<nlohmann::json> out;
  for (const auto& e : events)
    if (e.is_object() && e.value("event", "") == name) out.push_back(e);
  return out;
}

nlohmann::json partner_result::first(const std::string& name) const {
  for (const auto& e : events)
    if (e.is_object() && e.value("event", "") == name) return e;
  return nullptr;
}

partner_client::partner_client(const pki::identity& id, bool with_certificate)
    : ca_(id.ca_file),
      cert_(with_certificate ? id.cert_file : ""),
      key_(with_certificate ? id.key_file : "") {}

partner_client::partner_client(std::string ca_file, std::string cert_file, std::string key_file)
    : ca_(std::move(ca_file)), cert_(std::move(cert_file)), key_(std::move(key_file)) {}

std::vector<std::string> partner_client::base_args() const {
  std::vector<std::string> args{"/usr/bin/python3",
                                std::string(LIAISON_SOURCE_DIR) + "/tests/e2e/partner_client.py",
                                "--proto-path",
                                LIAISON_PYTHON_PROTO_DIR,
                                "--ca",
                                ca_};
  if (!cert_.empty()) {
    args.insert(args.end(), {"--cert", cert_, "--key", key_});
  }
  return args;
}

partner_result partner_client::run(std::vector<std::string> args, std::chrono::seconds limit) {
  auto n = std::to_string(++runs_);
  auto out = dir_.path() + "/out" + n;
  auto err = dir_.path() + "/err" + n;
  child_process p(std::move(args), out, err);
  partner_result r;
  auto status = p.wait_for(limit);
  if (status) r.exit_code = child_process::exit_code(*status);
  r.events = parse_json_lines(read_file(out));
  r.stderr_text = read_file(err);
  return r;
}

partner_result partner_client::stream(const std::string& https_address,
                                      const std::vector<std::string>& subprotocols,
                                      const nlohmann::json& script, std::chrono::seconds limit) {
  auto script_file = dir_.path() + "/script" + std::to_string(runs_ + 1) + ".json";
  std::ofstream(script_file) << script.dump();
  auto args = base_args();
  args.insert(args.end(),
              {"stream", "wss://" + https_address + "/v1/stream", "--script", script_file});
  for (const auto& p : subprotocols) args.insert(args.end(), {"--subprotocol", p});
  return run(std::move(args), limit);
}

std::unique_ptr<child_process> partner_client::start_stream(
    const std::string& https_address, const std::vector<std::string>& subprotocols,
    const nlohmann::json& script, std::string& stdout_file) {
  auto n = std::to_string(++runs_);
  auto script_file = dir_.path() + "/script" + n + ".json";
  std::ofstream(script_file) << script.dump();
  auto args = base_args();
  args.insert(args.end(),
              {"stream", "wss://" + https_address + "/v1/stream", "--script", script_file});
  for (const auto& p : subprotocols) args.insert(args.end(), {"--subprotocol", p});
  stdout_file = dir_.path() + "/out" + n;
  return std::make_unique<child_process>(std::move(args), stdout_file, dir_.path() + "/err" + n);
}

partner_result partner_client::resume(const std::string& address) {
  auto args = base_args();
  args.insert(args.end(), {"resume", address});
  return run(std::move(args), std::chrono::seconds(60));
}

partner_result partner_client::http(const std::string& https_address, const std::string& method,
                                    const std::string& path, const std::optional<std::string>& body,
                                    const std::vector<std::string>& headers) {
  auto args = base_args();
  args.insert(args.end(), {"http", https_address, method, path});
  if (body) {
    auto body_file = dir_.path() + "/body" + std::to_string(runs_ + 1);
    std::ofstream(body_file, std::ios::binary) << *body;
    args.insert(args.end(), {"--body-file", body_file});
  }
  for (const auto& h : headers) args.insert(args.end(), {"--header", h});
  return run(std::move(args), std::chrono::seconds(60));
}

}  // namespace liaison::testing
