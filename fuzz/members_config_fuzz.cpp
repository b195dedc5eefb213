// Configuration parsing, members.toml: config::parse_members_text (the code
// path of read_members_file). Only config_error may escape; an accepted file
// makes a consistent core::registry whose groups all expand.
//
// Input: TOML text.
#include "config/members_file.hpp"
#include "config/server_config.hpp"
#include "core/registry.hpp"
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace liaison;

const std::string file_name = "/fuzz/members.toml";

void check_accepted(const config::members_file& file) {
  core::registry_data data{file.members, file.groups, file.principals, {}};
  for (const auto& k : file.keys)
    data.keys.push_back({k.key_id, k.member, std::string(32, '\0'), k.revoked});
  LIAISON_FUZZ_CHECK(core::registry::check(data).empty(),
                     "an accepted file passes registry::check");
  const core::registry registry(std::move(data));
  for (const auto& p : registry.data().principals) {
    LIAISON_FUZZ_CHECK(registry.find_principal(p.id) != nullptr, "every principal is found");
    if (!p.member.empty())
      LIAISON_FUZZ_CHECK(registry.find_member(p.member) != nullptr, "a principal's member exists");
  }
  for (const auto& k : registry.data().keys)
    LIAISON_FUZZ_CHECK(registry.find_member(k.member) != nullptr, "a key's member exists");
  for (const auto& g : registry.data().groups) {
    auto expanded = registry.expand({g.name}, "");
    LIAISON_FUZZ_CHECK(expanded.has_value() == !g.members.empty(), "a non-empty group expands");
    if (expanded)
      for (const auto& m : expanded->members)
        LIAISON_FUZZ_CHECK(registry.find_member(m) != nullptr, "a group expands to members");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    check_accepted(config::parse_members_text(text, file_name));
  } catch (const config::config_error& e) {
    LIAISON_FUZZ_CHECK(!e.problems().empty(), "a refused file names a problem");
    for (const auto& p : e.problems())
      LIAISON_FUZZ_CHECK(p.starts_with(file_name + ": "), "every problem names the file");
  }
  return 0;
}
