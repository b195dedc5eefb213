#include "config/toml_reader.hpp"

#include "config/server_config.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace liaison::config::detail {
namespace {

std::string line_suffix(const toml::node& node) {
  const auto& begin = node.source().begin;
  return begin.line ? " (line " + std::to_string(begin.line) + ")" : std::string();
}

std::string join(const std::set<std::string, std::less<>>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

toml::table parse_toml_file(const std::string& path) {
  // Read the file ourselves: toml++ reports a missing file as a parse error
  // without the reason, and the operator needs the reason.
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error(path, {std::string("cannot read the file: ") + std::strerror(errno)});
  std::ostringstream text;
  text << in.rdbuf();
  return parse_toml_text(text.str(), path);
}

toml::table parse_toml_text(std::string_view text, const std::string& name) {
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    throw config_error(
        name, {"line " + std::to_string(at.line) + ", column " + std::to_string(at.column) +
               ": expected valid TOML, got " + std::string(e.description())});
  }
}

std::string describe(const toml::node& node) {
  if (auto s = node.as_string()) {
    std::string v = s->get();
    if (v.size() > 60) v = v.substr(0, 57) + "...";
    return "string " + toml_quote(v);
  }
  if (auto i = node.as_integer()) return "integer " + std::to_string(i->get());
  if (auto f = node.as_floating_point()) {
    std::ostringstream s;
    s << f->get();
    return "float " + s.str();
  }
  if (auto b = node.as_boolean()) return std::string("boolean ") + (b->get() ? "true" : "false");
  if (node.is_table()) return "a table";
  if (node.is_array()) return "an array";
  return "a date/time";
}

std::string toml_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

table_reader::table_reader(const toml::table* table, std::string path, problem_list& problems)
    : table_(table), path_(std::move(path)), problems_(&problems) {}

std::string table_reader::key_path(std::string_view key) const {
  if (key.empty()) return path_;
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

void table_reader::problem(std::string_view key, const std::string& text) {
  problems_->push_back(key_path(key) + ": " + text);
}

void table_reader::expected(std::string_view key, const std::string& what, const toml::node& got) {
  problem(key, "expected " + what + ", got " + describe(got) + line_suffix(got));
}

const toml::node* table_reader::node(std::string_view key) {
  known_.emplace(key);
  return table_ ? table_->get(key) : nullptr;
}

bool table_reader::read_string(std::string_view key, std::string& out, bool required,
                               std::string_view what) {
  const auto* n = node(key);
  if (!n) {
    if (required)
      problem(key, "expected " + std::string(what) + ", got nothing (the key is required)");
    return false;
  }
  const auto* s = n->as_string();
  if (!s) {
    expected(key, std::string(what), *n);
    return false;
  }
  if (required && s->get().empty()) {
    expected(key, std::string(what) + " (not empty)", *n);
    return false;
  }
  out = s->get();
  return true;
}

bool table_reader::read_bool(std::string_view key, bool& out) {
  const auto* n = node(key);
  if (!n) return false;
  const auto* b = n->as_boolean();
  if (!b) {
    expected(key, "true or false", *n);
    return false;
  }
  out = b->get();
  return true;
}

bool table_reader::read_count(std::string_view key, std::uint64_t& out, std::uint64_t min,
                              std::uint64_t max) {
  const auto* n = node(key);
  if (!n) return false;
  const auto* i = n->as_integer();
  auto range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!i || i->get() < 0 || static_cast<std::uint64_t>(i->get()) < min ||
      static_cast<std::uint64_t>(i->get()) > max) {
    expected(key, range, *n);
    return false;
  }
  out = static_cast<std::uint64_t>(i->get());
  return true;
}

bool table_reader::read_duration(std::string_view key, core::duration& out, core::duration min) {
  const auto* n = node(key);
  if (!n) return false;
  const auto* s = n->as_string();
  auto parsed = s ? parse_duration(s->get()) : std::nullopt;
  if (!parsed) {
    expected(key, "a duration such as \"250ms\", \"30s\", \"5m\", \"2h\" or \"7d\"", *n);
    return false;
  }
  if (*parsed < min) {
    expected(key, min.count() == 0 ? "a duration of 0 or more" : "a duration greater than zero",
             *n);
    return false;
  }
  out = *parsed;
  return true;
}

bool table_reader::read_path(std::string_view key, std::string& out,
                             const std::filesystem::path& base, bool required) {
  std::string raw;
  if (!read_string(key, raw, required, "a file path") || raw.empty()) return false;
  std::filesystem::path p(raw);
  out = (p.is_absolute() ? p : base / p).lexically_normal().string();
  return true;
}

bool table_reader::read_choice(std::string_view key, std::string& out,
                               const std::vector<std::string>& choices) {
  const auto* n = node(key);
  if (!n) return false;
  const auto* s = n->as_string();
  for (const auto& c : choices)
    if (s && s->get() == c) {
      out = c;
      return true;
    }
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + toml_quote(c);
  expected(key, "one of " + list, *n);
  return false;
}

table_reader table_reader::section(std::string_view key) {
  const auto* n = node(key);
  if (n && !n->is_table()) {
    expected(key, "a table", *n);
    n = nullptr;
  }
  return table_reader(n ? n->as_table() : nullptr, key_path(key), *problems_);
}

const toml::array* table_reader::array(std::string_view key, bool required) {
  const auto* n = node(key);
  if (!n) {
    if (required) problem(key, "expected an array, got nothing (the key is required)");
    return nullptr;
  }
  if (!n->is_array()) {
    expected(key, "an array", *n);
    return nullptr;
  }
  return n->as_array();
}

void table_reader::finish() {
  if (!table_) return;
  for (const auto& [key, value] : *table_) {
    if (known_.contains(key.str())) continue;
    problem(key.str(), std::string(path_.empty() ? "unknown section or key" : "unknown key") +
                           line_suffix(value) + "; expected one of: " + join(known_));
  }
}

}  // namespace liaison::config::detail
