#include "pki/identity.hpp"

#include "config/server_config.hpp"
#include "config/toml_reader.hpp"
#include "core/names.hpp"
#include "pki/files.hpp"

#include <stdexcept>

namespace liaison::pki {
namespace {

namespace fs = std::filesystem;

std::string list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

identity load_identity(const std::string& dir) {
  std::error_code ec;
  const auto folder = fs::absolute(dir).lexically_normal();
  if (!fs::is_directory(folder, ec))
    throw std::runtime_error("identity folder " + folder.string() + ": no such directory");
  const auto file = (folder / identity_file_name).string();
  if (!fs::exists(file, ec))
    throw std::runtime_error("identity folder " + folder.string() + ": missing " +
                             identity_file_name + " (make one with `liaison pki init`)");

  identity id;
  id.dir = folder.string();
  auto root = config::detail::parse_toml_file(file);
  config::detail::problem_list problems;
  config::detail::table_reader r(&root, "", problems);
  r.read_string("principal", id.principal, true, "the client certificate's common name");
  r.read_string("member", id.member);
  std::string role;
  const auto roles = "a role (" + core::accepted_names<core::role>() + ")";
  if (r.read_string("role", role, true, roles)) {
    if (auto parsed = core::parse_name<core::role>(role))
      id.role = *parsed;
    else
      r.expected("role", roles, *r.node("role"));
  }
  r.read_string("key_id", id.key_id);
  r.read_path("keys_dir", id.keys_dir, folder, false);
  r.finish();
  if (!problems.empty()) throw config::config_error(file, std::move(problems));

  id.cert_file = (folder / cert_file_name).string();
  id.key_file = (folder / key_file_name).string();
  id.ca_file = (folder / ca_file_name).string();
  if (!id.key_id.empty()) id.signing_key_file = (folder / signing_key_file_name).string();
  std::vector<std::string> missing;
  for (const auto* f : {&id.cert_file, &id.key_file, &id.ca_file, &id.signing_key_file})
    if (!f->empty() && !fs::is_regular_file(*f, ec))
      missing.push_back(fs::path(*f).filename().string());
  if (!missing.empty())
    throw std::runtime_error("identity folder " + id.dir + ": missing " + list(missing));
  return id;
}

bool write_identity_file(const identity& id) {
  using config::detail::toml_quote;
  std::string text =
      "# Who this identity folder is; written by `liaison pki init`.\n"
      "# principal: the common name of cert.pem; member: the member it acts for;\n"
      "# key_id: the signing key in signing-key.pem; keys_dir: the members' public keys.\n";
  text += "principal = " + toml_quote(id.principal) + "\n";
  if (!id.member.empty()) text += "member = " + toml_quote(id.member) + "\n";
  text += "role = " + toml_quote(core::to_string(id.role)) + "\n";
  if (!id.key_id.empty()) text += "key_id = " + toml_quote(id.key_id) + "\n";
  if (!id.keys_dir.empty()) text += "keys_dir = " + toml_quote(id.keys_dir) + "\n";
  return detail::write_new_file(fs::path(id.dir) / identity_file_name, text, detail::public_file);
}

}  // namespace liaison::pki
