// Logging, one line per event, to stderr (the journal, a container's log).
// Text for people (the default), or JSON lines for log collectors
// ([log] format = "json"): {"time", "level", "thread", "event", "message",
// then the event's fields}; every value escaped, so an event is one line
// whatever its text holds. Plain spdlog calls still work: their text becomes
// "message".
//
//   runtime::log_event(log_level::warn, "auth.failures")
//       .with("address", peer).with("count", n)
//       .say("12 failed authentications from 10.0.0.7");
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spdlog {
class formatter;
}

namespace liaison::runtime {

enum class log_level { debug, info, warn, error, critical };
enum class log_format { text, json };

// Installs the stderr logger at `level` ("trace" ... "critical") in `format`.
void setup_logging(std::string_view level, log_format format);

// Whether an event of `level` would be written (to skip building it).
bool log_enabled(log_level level);

// The JSON-lines formatter (exposed for its tests).
std::unique_ptr<spdlog::formatter> make_json_formatter();

class log_event {
 public:
  log_event(log_level level, std::string_view name);
  log_event& with(std::string_view key, std::string_view value);
  log_event& with(std::string_view key, const char* value) {
    return with(key, std::string_view(value));
  }
  log_event& with(std::string_view key, const std::string& value) {
    return with(key, std::string_view(value));
  }
  log_event& with(std::string_view key, std::int64_t value);
  log_event& with(std::string_view key, std::uint64_t value);
  log_event& with(std::string_view key, int value) { return with(key, std::int64_t{value}); }
  log_event& with(std::string_view key, unsigned value) { return with(key, std::uint64_t{value}); }
  log_event& with(std::string_view key, double value);
  // A value that is already JSON text (an array, an object), kept as is in
  // JSON lines and written as that text in text lines. The caller vouches
  // that `json_text` is valid JSON.
  log_event& with_json(std::string_view key, std::string json_text);
  // Writes the event: `message` for people; the name and fields for both.
  void say(std::string_view message) const;

  // What say() hands to spdlog in each format (for the tests).
  std::string text_line(std::string_view message) const;
  std::string json_payload(std::string_view message) const;

 private:
  log_level level_;
  std::string name_;
  std::vector<std::pair<std::string, std::string>> fields_;  // key, value as JSON text
};

}  // namespace liaison::runtime
