// core::parse_host_port, as used for listen addresses and --*-listen flags.
// An accepted address has a host and a port, and printing it back (with
// brackets where needed) parses to the same value.
//
// Input: the text of the address.
#include "core/host_port.hpp"
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = liaison::core::parse_host_port(text);
  if (!parsed) return 0;
  LIAISON_FUZZ_CHECK(!parsed->host.empty(), "an accepted address has a host");
  LIAISON_FUZZ_CHECK(text.find(':') != std::string_view::npos, "an accepted address has a colon");
  const bool bracket = parsed->host.find(':') != std::string::npos || parsed->host.front() == '[';
  auto printed =
      (bracket ? "[" + parsed->host + "]" : parsed->host) + ":" + std::to_string(parsed->port);
  auto again = liaison::core::parse_host_port(printed);
  LIAISON_FUZZ_CHECK(again.has_value(), "a printed address parses");
  LIAISON_FUZZ_CHECK(again->host == parsed->host && again->port == parsed->port,
                     "printing and parsing again gives the same address");
  return 0;
}
