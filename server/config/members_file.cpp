#include "config/members_file.hpp"

#include "config/server_config.hpp"
#include "config/toml_reader.hpp"
#include "core/names.hpp"
#include "crypto/ed25519.hpp"

#include <filesystem>
#include <optional>
#include <set>
#include <stdexcept>

namespace liaison::config {
namespace {

namespace fs = std::filesystem;
using detail::table_reader;

struct parsed_members {
  members_file file;
  std::vector<std::size_t> key_index;  // position of each key in [[keys]], for messages
};

std::string at(std::string_view array, std::size_t i) {
  return std::string(array) + "[" + std::to_string(i) + "]";
}

// Calls `read` with a reader for each table of the array of tables `name`.
template <class Read>
void for_each_table(table_reader& top, std::string_view name, bool required, Read read) {
  const auto* array = top.array(name, required);
  if (!array) return;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto& item = *array->get(i);
    if (!item.is_table()) {
      top.expected(at(name, i), "a table", item);
      continue;
    }
    table_reader r(item.as_table(), top.key_path(at(name, i)), top.problems());
    read(r, i);
  }
}

void read_members(table_reader& top, members_file& out) {
  for_each_table(top, "members", true, [&](table_reader& r, std::size_t) {
    core::member_info m;
    bool ok = r.read_string("code", m.code, true, "a member code such as \"AT\"");
    ok = r.read_string("name", m.name, true, "the member's name") && ok;
    if (const auto* list = r.array("fallback")) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        const auto* entry = list->get(i)->as_string();
        if (entry)
          m.fallback.push_back(entry->get());
        else
          r.expected(at("fallback", i), "a member code or a principal's certificate name",
                     *list->get(i));
      }
    }
    r.finish();
    if (ok) out.members.push_back(std::move(m));
  });
}

void read_groups(table_reader& top, members_file& out) {
  auto groups = top.section("groups");
  if (!groups.table()) return;
  for (const auto& [key, value] : *groups.table()) {
    std::string name(key.str());
    groups.node(name);
    const auto* list = value.as_array();
    if (!list) {
      groups.expected(name, "an array of member codes", value);
      continue;
    }
    core::group_info g{name, {}};
    std::set<std::string, std::less<>> seen;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const auto& item = *list->get(i);
      const auto* code = item.as_string();
      if (!code)
        groups.expected(at(name, i), "a member code (string)", item);
      else if (!seen.insert(code->get()).second)
        groups.problem(at(name, i), "expected each member once, got '" + code->get() + "' twice");
      else
        g.members.push_back(code->get());
    }
    out.groups.push_back(std::move(g));
  }
}

void read_principals(table_reader& top, members_file& out) {
  for_each_table(top, "principals", false, [&](table_reader& r, std::size_t) {
    core::principal p;
    bool ok = r.read_string("certificate", p.id, true, "the client certificate's common name");
    r.read_string("member", p.member);
    const auto roles = "a role (" + core::accepted_names<core::role>() + ")";
    std::string text;
    std::optional<core::role> role;
    if (r.read_string("role", text, true, roles)) {
      role = core::parse_name<core::role>(text);
      if (!role) r.expected("role", roles, *r.node("role"));
    }
    ok = ok && role;
    if (role) p.role = *role;
    p.clearance = default_clearance(p.role);
    if (r.read_string("clearance", text)) {
      // TLP 2.0 spells it AMBER+STRICT; names.hpp knows AMBER_STRICT.
      for (auto& c : text)
        if (c == '+') c = '_';
      auto level = core::parse_name<core::tlp>(text);
      if (level)
        p.clearance = *level;
      else
        r.expected("clearance", "a TLP level (" + core::accepted_names<core::tlp>() + ")",
                   *r.node("clearance"));
      ok = ok && level;
    }
    r.finish();
    if (ok) out.principals.push_back(std::move(p));
  });
}

void read_keys(table_reader& top, parsed_members& out) {
  for_each_table(top, "keys", false, [&](table_reader& r, std::size_t i) {
    key_entry k;
    bool ok = r.read_string("id", k.key_id, true, "a key id such as \"AT-1\"");
    ok = r.read_string("member", k.member, true, "a member code") && ok;
    ok = r.read_string("public_key_file", k.public_key_file, true, "a file path") && ok;
    r.read_bool("revoked", k.revoked);
    r.finish();
    if (!ok) return;
    out.file.keys.push_back(std::move(k));
    out.key_index.push_back(i);
  });
}

// Entries with a missing or unusable required key are left out, so that
// registry::check does not report them a second time.
parsed_members parse_members(const toml::table& root, detail::problem_list& problems) {
  table_reader top(&root, "", problems);
  parsed_members out;
  read_members(top, out.file);
  read_groups(top, out.file);
  read_principals(top, out.file);
  read_keys(top, out);
  top.finish();
  return out;
}

core::registry_data to_registry_data(members_file file) {
  core::registry_data data;
  data.members = std::move(file.members);
  data.groups = std::move(file.groups);
  data.principals = std::move(file.principals);
  for (auto& k : file.keys) data.keys.push_back({k.key_id, k.member, {}, k.revoked});
  return data;
}

// The one code path of read_members_file and parse_members_text.
members_file check_members(const toml::table& root, const std::string& path) {
  detail::problem_list problems;
  auto parsed = parse_members(root, problems);
  auto data = to_registry_data(parsed.file);
  // The key material is not read here; a placeholder of the right size keeps
  // registry::check from reporting it.
  for (auto& k : data.keys) k.public_key.assign(32, '\0');
  for (auto& p : core::registry::check(data)) problems.push_back(std::move(p));
  if (!problems.empty()) throw config_error(path, std::move(problems));
  return std::move(parsed.file);
}

}  // namespace

core::tlp default_clearance(core::role r) {
  switch (r) {
    case core::role::desk:
      return core::tlp::red;
    case core::role::partner:
      return core::tlp::amber;
    case core::role::auditor:
      return core::tlp::red;
    case core::role::admin:
    case core::role::coordinator:
      return core::tlp::clear;
  }
  return core::tlp::clear;
}

members_file read_members_file(const std::string& path) {
  return check_members(detail::parse_toml_file(path), path);
}

members_file parse_members_text(std::string_view toml, const std::string& name) {
  return check_members(detail::parse_toml_text(toml, name), name);
}

core::registry_data load_registry(const registry_section& section) {
  detail::problem_list problems;
  auto parsed = parse_members(detail::parse_toml_file(section.members_file), problems);
  auto data = to_registry_data(parsed.file);
  for (std::size_t i = 0; i < data.keys.size(); ++i) {
    const auto& entry = parsed.file.keys[i];
    fs::path file(entry.public_key_file);
    if (file.is_relative()) file = fs::path(section.keys_dir) / file;
    auto where = at("keys", parsed.key_index[i]) + ".public_key_file";
    auto expected = "key '" + entry.key_id + "': expected an Ed25519 public key in PEM at " +
                    file.lexically_normal().string() + ", got ";
    std::error_code ec;
    try {
      if (!fs::is_regular_file(file, ec)) throw std::runtime_error("no such file");
      data.keys[i].public_key = crypto::load_public_key_pem_file(file.string());
    } catch (const std::exception& e) {
      problems.push_back(where + ": " + expected + e.what());
      // A placeholder keeps registry::check from reporting the same key twice.
      data.keys[i].public_key.assign(32, '\0');
    }
  }
  for (auto& p : core::registry::check(data)) problems.push_back(std::move(p));
  if (!problems.empty()) throw config_error(section.members_file, std::move(problems));
  return data;
}

}  // namespace liaison::config
