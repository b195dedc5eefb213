// members.toml, who takes part: members, groups, principals (certificate name,
// role, clearance) and the members' public key files, read without opening the
// key files so that `liaison pki init` can read it before the keys exist.
#pragma once

#include "core/registry.hpp"
#include "core/types.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace liaison::config {

// One [[keys]] entry as written in members.toml.
struct key_entry {
  std::string key_id;
  std::string member;
  std::string public_key_file;  // as written: relative to registry.keys_dir unless absolute
  bool revoked = false;
};

struct members_file {
  std::vector<core::member_info> members;
  std::vector<core::group_info> groups;
  std::vector<core::principal> principals;
  std::vector<key_entry> keys;
};

// The clearance of a principal whose entry names none: desk RED, partner
// AMBER, auditor RED, admin CLEAR.
core::tlp default_clearance(core::role r);

// Parses members.toml and checks its consistency as core::registry::check
// does (duplicates, unknown members), except for the key material, which it
// never reads. Throws config_error listing every problem.
members_file read_members_file(const std::string& path);
// The same from text already in memory (fuzzing, tests); `name` is the file
// named in messages. Throws config_error.
members_file parse_members_text(std::string_view toml, const std::string& name);

}  // namespace liaison::config
