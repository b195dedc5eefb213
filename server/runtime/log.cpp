#include "runtime/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <ctime>

namespace liaison::runtime {
namespace {

// A structured event travels through spdlog as
//   RS name US fields-object US message
// (ASCII record and unit separators, which a message never starts with).
constexpr char record_mark = '\x1e';
constexpr char unit_mark = '\x1f';

std::atomic<log_format> current_format{log_format::text};

spdlog::level::level_enum to_spdlog(log_level l) {
  switch (l) {
    case log_level::debug:
      return spdlog::level::debug;
    case log_level::info:
      return spdlog::level::info;
    case log_level::warn:
      return spdlog::level::warn;
    case log_level::error:
      return spdlog::level::err;
    case log_level::critical:
      return spdlog::level::critical;
  }
  return spdlog::level::info;
}

std::string json_string(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view level_name(spdlog::level::level_enum l) {
  const auto v = spdlog::level::to_string_view(l);
  return {v.data(), v.size()};
}

class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string out = "{\"time\":" + json_string(time_of(msg.time)) +
                      ",\"level\":" + json_string(level_name(msg.level)) +
                      ",\"thread\":" + std::to_string(msg.thread_id);
    if (!payload.empty() && payload.front() == record_mark) {
      auto name_end = payload.find(unit_mark, 1);
      auto fields_end =
          name_end == std::string_view::npos ? name_end : payload.find(unit_mark, name_end + 1);
      if (fields_end != std::string_view::npos) {
        out += ",\"event\":" + json_string(payload.substr(1, name_end - 1));
        out += ",\"message\":" + json_string(payload.substr(fields_end + 1));
        auto fields = payload.substr(name_end + 1, fields_end - name_end - 1);  // "{...}"
        if (fields.size() > 2) out += "," + std::string(fields.substr(1, fields.size() - 2));
        out += "}\n";
        dest.append(out.data(), out.data() + out.size());
        return;
      }
    }
    out += ",\"message\":" + json_string(payload) + "}\n";
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }

 private:
  static std::string time_of(spdlog::log_clock::time_point t) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(micros / 1000000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[48];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%06ldZ", static_cast<long>(micros % 1000000));
    return buf;
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_json_formatter() {
  return std::make_unique<json_formatter>();
}

void setup_logging(std::string_view level, log_format format) {
  auto logger = spdlog::stderr_color_mt("liaisond");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
  current_format = format;
  if (format == log_format::json)
    logger->set_formatter(make_json_formatter());
  else
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%f%z %^%-5l%$ %v");
}

log_event::log_event(log_level level, std::string_view name) : level_(level), name_(name) {}

bool log_enabled(log_level level) {
  return spdlog::should_log(to_spdlog(level));
}

log_event& log_event::with_json(std::string_view key, std::string json_text) {
  fields_.emplace_back(std::string(key), std::move(json_text));
  return *this;
}

log_event& log_event::with(std::string_view key, std::string_view value) {
  fields_.emplace_back(std::string(key), json_string(value));
  return *this;
}
log_event& log_event::with(std::string_view key, std::int64_t value) {
  fields_.emplace_back(std::string(key), std::to_string(value));
  return *this;
}
log_event& log_event::with(std::string_view key, std::uint64_t value) {
  fields_.emplace_back(std::string(key), std::to_string(value));
  return *this;
}
log_event& log_event::with(std::string_view key, double value) {
  fields_.emplace_back(std::string(key), nlohmann::json(value).dump());
  return *this;
}

std::string log_event::text_line(std::string_view message) const {
  std::string out(message);
  if (fields_.empty()) return out;
  out += " (";
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (i) out += ", ";
    out += fields_[i].first + "=" + fields_[i].second;
  }
  return out + ")";
}

std::string log_event::json_payload(std::string_view message) const {
  std::string fields = "{";
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (i) fields += ",";
    fields += json_string(fields_[i].first) + ":" + fields_[i].second;
  }
  fields += "}";
  std::string out(1, record_mark);
  out += name_;
  out += unit_mark;
  out += fields;
  out += unit_mark;
  out += message;
  return out;
}

void log_event::say(std::string_view message) const {
  const auto l = to_spdlog(level_);
  if (!spdlog::should_log(l)) return;
  if (current_format == log_format::json)
    spdlog::log(l, "{}", json_payload(message));
  else
    spdlog::log(l, "{}", text_line(message));
}

}  // namespace liaison::runtime
