// "HOST:PORT" and "[IPV6]:PORT" as used in configuration and flags. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace liaison::core {

struct host_port {
  std::string host;
  std::uint16_t port = 0;
};

// nullopt unless `text` is HOST:PORT with a non-empty host and a port 0-65535.
std::optional<host_port> parse_host_port(std::string_view text);

}  // namespace liaison::core
