#include "auditor_requests.hpp"

#include "client/https_stream.hpp"
#include "client/progress.hpp"
#include "client/web_client.hpp"

#include <algorithm>
#include <iostream>

namespace liaison::cli {
namespace {

command_failure refusal(unsigned status, const std::string& body) {
  auto answer = nlohmann::json::parse(body, nullptr, false);
  std::string code = "HTTP " + std::to_string(status), message = body.substr(0, 500);
  if (answer.is_object()) {
    code = answer.value("code", code);
    message = answer.value("message", message);
  }
  return command_failure(exit_refused, "the server refused the request: " + code + ": " + message);
}

}  // namespace

std::string target(const std::string& path, const query& params) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out = path;
  char separator = '?';
  for (const auto& [key, value] : params) {
    out += separator;
    separator = '&';
    for (const auto* part : {&key, &value}) {
      for (unsigned char c : *part) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
          out += static_cast<char>(c);
        } else {
          out += '%';
          out += hex[c >> 4];
          out += hex[c & 15];
        }
      }
      if (part == &key) out += '=';
    }
  }
  return out;
}

nlohmann::json get_json(const pki::identity& id, const std::string& server, const std::string& t,
                        std::chrono::milliseconds timeout) {
  client::http_response r;
  try {
    r = client::https_request(id, server, "GET", t, "", "", timeout);
  } catch (const std::exception& e) {
    throw command_failure(exit_error, e.what());
  }
  if (r.status < 200 || r.status >= 300) throw refusal(r.status, r.body);
  auto answer = nlohmann::json::parse(r.body, nullptr, false);
  if (answer.is_discarded())
    throw command_failure(exit_error, "the server's answer to " + t + " is not JSON");
  return answer;
}

void get_to_stdout(const pki::identity& id, const std::string& server, const std::string& t,
                   std::chrono::milliseconds timeout) {
  client::http_response r;
  // On a terminal: how much has arrived so far (the export itself goes to stdout).
  auto shown = client::progress::on_terminal("export");
  std::uint64_t bytes = 0, lines = 0;
  try {
    r = client::https_get_streamed(
        id, server, t,
        [&](std::string_view piece) {
          std::cout.write(piece.data(), static_cast<std::streamsize>(piece.size()));
          bytes += piece.size();
          lines += static_cast<std::uint64_t>(std::count(piece.begin(), piece.end(), '\n'));
          if (shown.drawing())
            shown.set(std::to_string(lines) + " lines, " + client::human_bytes(bytes));
        },
        timeout);
  } catch (const std::exception& e) {
    std::cout.flush();
    throw command_failure(exit_error, e.what());
  }
  std::cout.flush();
  if (r.status < 200 || r.status >= 300) throw refusal(r.status, r.body);
}

}  // namespace liaison::cli
