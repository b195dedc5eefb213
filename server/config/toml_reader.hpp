// Internal to config/ (and the identity files of pki/): reads TOML tables key
// by key and records every problem instead of stopping at the first. This is
// the only header that includes toml++; public headers never include it.
#pragma once

#include "core/types.hpp"

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace liaison::config::detail {

// Problems of one file, each "key.path: expected ..., got ...".
using problem_list = std::vector<std::string>;

// Parses `path`. Throws config_error naming the file when it cannot be read or
// is not valid TOML.
toml::table parse_toml_file(const std::string& path);
// Parses TOML text already in memory; `name` is the file named in messages.
// Throws config_error when the text is not valid TOML.
toml::table parse_toml_text(std::string_view text, const std::string& name);

// How a value is named after "got": `integer 30`, `string "abc"`, `a table`.
std::string describe(const toml::node& node);

// A TOML string literal for `text`, escaped as TOML requires.
std::string toml_quote(std::string_view text);

// Reads one table. Every read_* call marks its key as known; finish() reports
// the keys nobody asked for, so that a typo is an error and never a silent
// default. A read_* call leaves `out` unchanged when the key is absent or its
// value is unusable (then a problem is recorded) and returns whether it
// assigned `out`.
class table_reader {
 public:
  // `table` may be null (an absent section): every key keeps its default and
  // required keys are reported missing. `path` is the dotted key path of the
  // table ("" for the root, "native", "members[2]").
  table_reader(const toml::table* table, std::string path, problem_list& problems);

  // `what` names the expected value in messages ("a string", "a file path").
  bool read_string(std::string_view key, std::string& out, bool required = false,
                   std::string_view what = "a string");
  bool read_bool(std::string_view key, bool& out);
  bool read_count(std::string_view key, std::uint64_t& out, std::uint64_t min, std::uint64_t max);
  template <class Unsigned>
  bool read_count(std::string_view key, Unsigned& out, std::uint64_t min, std::uint64_t max) {
    std::uint64_t v = out;
    if (!read_count(key, v, min, max)) return false;
    out = static_cast<Unsigned>(v);
    return true;
  }
  bool read_duration(std::string_view key, core::duration& out, core::duration min);
  // A file path; a relative one is resolved against `base` and normalised.
  bool read_path(std::string_view key, std::string& out, const std::filesystem::path& base,
                 bool required);
  // One of `choices`, compared exactly.
  bool read_choice(std::string_view key, std::string& out, const std::vector<std::string>& choices);

  // The sub-table at `key` (a null reader when absent or not a table).
  table_reader section(std::string_view key);
  // The array at `key`, or null when absent (or not an array: a problem).
  const toml::array* array(std::string_view key, bool required = false);
  // Marks `key` known and returns its node, or null when absent.
  const toml::node* node(std::string_view key);

  // Records a problem about `key` of this table ("" names the table itself).
  void problem(std::string_view key, const std::string& text);
  // Records "expected <expected>, got <what the node is>".
  void expected(std::string_view key, const std::string& expected, const toml::node& got);
  std::string key_path(std::string_view key) const;

  // Reports every key of the table that no read asked for.
  void finish();

  const toml::table* table() const { return table_; }
  problem_list& problems() const { return *problems_; }

 private:
  const toml::table* table_;
  std::string path_;
  problem_list* problems_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace liaison::config::detail
