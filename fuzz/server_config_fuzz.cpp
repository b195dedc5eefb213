// Configuration parsing, liaison.toml: config::parse_server_config_text (the
// code path of load_server_config). Only config_error may escape, it lists
// at least one problem, each naming the file; an accepted configuration
// respects every documented range.
//
// Input: TOML text.
#include "config/server_config.hpp"
#include "core/host_port.hpp"
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace liaison;

const std::string file_name = "/fuzz/liaison.toml";

void check_accepted(const config::server_config& c) {
  LIAISON_FUZZ_CHECK(!c.node_id.empty() && c.node_id.size() <= 64, "node_id is 1 to 64 characters");
  LIAISON_FUZZ_CHECK(core::parse_host_port(c.native.listen).has_value(),
                     "native.listen is HOST:PORT");
  LIAISON_FUZZ_CHECK(core::parse_host_port(c.https.listen).has_value(),
                     "https.listen is HOST:PORT");
  LIAISON_FUZZ_CHECK(c.native.max_frame_bytes >= 1024 && c.native.max_frame_bytes <= (64u << 20),
                     "native.max_frame_bytes is 1 KiB to 64 MiB");
  LIAISON_FUZZ_CHECK(c.native.outbox_max_bytes >= c.native.max_frame_bytes,
                     "the outbox holds at least one frame");
  LIAISON_FUZZ_CHECK(c.native.handshake_timeout.count() > 0 && c.native.idle_timeout.count() > 0 &&
                         c.native.write_timeout.count() > 0,
                     "native timeouts are positive");
  LIAISON_FUZZ_CHECK(c.native.max_connections >= 1 && c.native.max_connections_per_principal >= 1 &&
                         c.native.max_in_flight_publishes >= 1,
                     "native counts are at least 1");
  LIAISON_FUZZ_CHECK(c.https.request_timeout.count() > 0, "https.request_timeout is positive");
  LIAISON_FUZZ_CHECK(!c.tls.ca_file.empty() && !c.tls.cert_file.empty() && !c.tls.key_file.empty(),
                     "the TLS files are named");
  LIAISON_FUZZ_CHECK(!c.database.url.empty(), "the database URL is set");
  LIAISON_FUZZ_CHECK(
      c.database.reconnect_min.count() > 0 && c.database.reconnect_max >= c.database.reconnect_min,
      "reconnect back-off is positive and ordered");
  LIAISON_FUZZ_CHECK(c.database.batch_max >= 1 && c.database.queue_max >= 1 &&
                         c.database.reader_threads >= 1 && c.database.reader_threads <= 256 &&
                         c.database.backlog_page >= 1,
                     "database counts are in range");
  LIAISON_FUZZ_CHECK(!c.registry.members_file.empty() && !c.registry.keys_dir.empty(),
                     "the registry files are named");
  LIAISON_FUZZ_CHECK(c.alerts.max_recipients >= 1 && c.alerts.max_age.count() > 0 &&
                         c.alerts.max_clock_skew.count() >= 0,
                     "alert limits are in range");
  // Every accepted duration prints as text that parses back to it.
  for (auto d : {c.native.handshake_timeout, c.native.idle_timeout, c.native.write_timeout,
                 c.https.request_timeout, c.database.reconnect_min, c.database.reconnect_max,
                 c.alerts.max_clock_skew, c.alerts.max_age})
    LIAISON_FUZZ_CHECK(config::parse_duration(config::format_duration(d)) == d,
                       "format_duration is the inverse of parse_duration");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    check_accepted(config::parse_server_config_text(text, file_name));
  } catch (const config::config_error& e) {
    LIAISON_FUZZ_CHECK(!e.problems().empty(), "a refused configuration names a problem");
    for (const auto& p : e.problems())
      LIAISON_FUZZ_CHECK(p.starts_with(file_name + ": "), "every problem names the file");
  }
  return 0;
}
