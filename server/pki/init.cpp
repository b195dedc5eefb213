#include "pki/init.hpp"

#include "config/config_template.hpp"
#include "config/members_file.hpp"
#include "config/server_config.hpp"
#include "config/toml_reader.hpp"
#include "core/host_port.hpp"
#include "crypto/ed25519.hpp"
#include "pki/authority.hpp"
#include "pki/files.hpp"
#include "pki/identity.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

namespace liaison::pki {
namespace {

namespace fs = std::filesystem;
using detail::private_dir;
using detail::private_file;
using detail::public_dir;
using detail::public_file;

// Certificates start a little in the past so that a machine whose clock is
// slightly behind this one still accepts them.
constexpr auto backdate = std::chrono::minutes(5);
constexpr auto ca_validity = std::chrono::days(3650);
constexpr auto leaf_validity = std::chrono::days(730);
constexpr const char* ca_common_name = "Liaison task force development CA";
constexpr const char* server_common_name = "liaison-server";
const std::set<std::string, std::less<>> reserved = {"ca", "server", "keys", "signing-keys",
                                                     "liaison.toml"};

// A name that can be one folder name: no separators, no "." or "..".
bool folder_safe(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c == '@' || c == '+';
  });
}

bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

bool present(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// Records every file made or kept, relative to the output folder.
class context {
 public:
  context(fs::path out, init_report& report) : out_(std::move(out)), report_(&report) {}

  const fs::path& out() const { return out_; }
  void created(const fs::path& p) { report_->created.push_back(relative(p)); }
  void reused(const fs::path& p) { report_->reused.push_back(relative(p)); }
  void warn(const std::string& w) { report_->warnings.push_back(w); }

  void write(const fs::path& p, std::string_view content, fs::perms mode) {
    if (detail::write_new_file(p, content, mode))
      created(p);
    else
      reused(p);
  }

  void dir(const fs::path& p, fs::perms mode) {
    if (detail::make_dir(p, mode)) report_->created.push_back(relative(p) + "/");
  }

  std::string relative(const fs::path& p) const { return p.lexically_relative(out_).string(); }

 private:
  fs::path out_;
  init_report* report_;
};

authority ensure_ca(context& c, std::chrono::system_clock::time_point now) {
  const auto dir = c.out() / "ca";
  const auto cert = dir / "ca.pem";
  const auto key = dir / "ca.key";
  c.dir(dir, private_dir);
  if (present(cert) && present(key)) {
    c.reused(cert);
    c.reused(key);
    try {
      return authority::load(detail::read_file(cert), detail::read_file(key));
    } catch (const std::exception& e) {
      throw std::runtime_error(dir.string() + ": " + e.what());
    }
  }
  if (present(cert) || present(key))
    throw std::runtime_error(dir.string() +
                             ": ca.pem and ca.key must both exist or both be absent");
  auto ca = authority::create(ca_common_name, now - backdate, now + ca_validity);
  c.write(key, ca.key_pem(), private_file);
  c.write(cert, ca.cert_pem(), public_file);
  return ca;
}

// cert.pem, key.pem and ca.pem in `dir`: a missing certificate is issued for
// an existing key, never the other way round.
void ensure_leaf(context& c, const authority& ca, const fs::path& dir,
                 const certificate_spec& spec) {
  const auto cert = dir / cert_file_name;
  const auto key = dir / key_file_name;
  c.dir(dir, private_dir);
  if (present(cert) && !present(key))
    throw std::runtime_error(cert.string() + " exists without " + key_file_name +
                             ": remove it to have a new pair issued");
  if (!present(key)) {
    auto made = ca.issue(spec);
    c.write(key, made.key_pem, private_file);
    c.write(cert, made.cert_pem, public_file);
  } else if (!present(cert)) {
    c.reused(key);
    c.write(cert, ca.certify(spec, detail::read_file(key)), public_file);
  } else {
    c.reused(key);
    c.reused(cert);
    if (!ca.issued_by_me(detail::read_file(cert)))
      c.warn(c.relative(cert) + " was not issued by ca/ca.pem; remove it and " + key_file_name +
             " to have a new pair issued");
  }
  const auto ca_copy = dir / ca_file_name;
  if (!present(ca_copy)) {
    c.write(ca_copy, ca.cert_pem(), public_file);
    return;
  }
  c.reused(ca_copy);
  if (detail::read_file(ca_copy) != ca.cert_pem())
    c.warn(c.relative(ca_copy) + " differs from ca/ca.pem; remove it to have it copied again");
}

// The key the server signs audit tree heads with, and its public half for
// auditors (`liaison audit verify` finds it here by default).
void ensure_audit_key(context& c) {
  const auto dir = c.out() / "server";
  const auto key = dir / audit_signing_key_file_name;
  const auto pub = dir / audit_public_key_file_name;
  std::optional<crypto::ed25519_private_key> k;
  if (present(key)) {
    k = crypto::ed25519_private_key::load_pem_file(key.string());
    c.reused(key);
  } else {
    k = crypto::ed25519_private_key::generate();
    c.write(key, k->to_pem(), private_file);
  }
  const auto pem = crypto::public_key_to_pem(k->public_key());
  c.write(pub, pem, public_file);
  if (detail::read_file(pub) != pem)
    c.warn(c.relative(pub) + " is not the public key of " + c.relative(key) +
           "; remove it to have it written again");
}

// desk: <member>/desk; partner: partner-<member>; others: <certificate name>.
// A second principal that would take the same folder gets <certificate name>.
std::map<std::string, fs::path> assign_folders(const config::members_file& m, const fs::path& out) {
  std::map<std::string, fs::path> folders;
  std::set<fs::path> taken;
  for (const auto& p : m.principals) {
    if (!folder_safe(p.id) || (!p.member.empty() && !folder_safe(p.member)))
      throw std::runtime_error("principal '" + p.id +
                               "': its certificate name and member must be usable as folder names");
    fs::path rel = p.role == core::role::desk      ? fs::path(p.member) / "desk"
                   : p.role == core::role::partner ? fs::path("partner-" + p.member)
                                                   : fs::path(p.id);
    if (taken.contains(rel)) rel = p.id;
    if (taken.contains(rel) || reserved.contains(rel.begin()->string()))
      throw std::runtime_error("principal '" + p.id + "' would need the folder " +
                               (out / rel).string() + ", which is already in use");
    taken.insert(rel);
    folders.emplace(p.id, out / rel);
  }
  return folders;
}

struct key_plan {
  const config::key_entry* entry;
  fs::path public_file;
  fs::path private_file;  // the desk's signing-key.pem or signing-keys/<id>.pem
  fs::path spare_file;    // signing-keys/<id>.pem
};

std::vector<key_plan> plan_keys(const config::members_file& m,
                                const std::map<std::string, fs::path>& folders,
                                const fs::path& out) {
  std::map<std::string, fs::path> desk_of;  // member -> its first desk folder
  for (const auto& p : m.principals)
    if (p.role == core::role::desk) desk_of.emplace(p.member, folders.at(p.id));
  std::set<std::string> has_desk_key;
  std::vector<key_plan> plans;
  for (const auto& k : m.keys) {
    auto rel = fs::path(k.public_key_file).lexically_normal();
    if (rel.is_absolute() || rel.empty() || *rel.begin() == ".." || !folder_safe(k.key_id))
      throw std::runtime_error(
          "key '" + k.key_id +
          "': init needs a plain key id and a public_key_file inside keys_dir");
    key_plan plan{&k, out / "keys" / rel, {}, out / "signing-keys" / (k.key_id + ".pem")};
    plan.private_file = plan.spare_file;
    if (!k.revoked && desk_of.contains(k.member) && has_desk_key.insert(k.member).second)
      plan.private_file = desk_of.at(k.member) / signing_key_file_name;
    plans.push_back(std::move(plan));
  }
  return plans;
}

// True when `public_key` is already on disk as the public key of another entry.
bool registered_elsewhere(const std::string& public_key, const key_plan& self,
                          const std::vector<key_plan>& all) {
  for (const auto& other : all) {
    if (&other == &self || !present(other.public_file)) continue;
    try {
      if (crypto::load_public_key_pem_file(other.public_file) == public_key) return true;
    } catch (const std::exception&) {
    }
  }
  return false;
}

void ensure_key(context& c, const key_plan& k, const std::vector<key_plan>& all) {
  c.dir(k.public_file.parent_path(), public_dir);
  c.dir(k.private_file.parent_path(), private_dir);
  // A desk added after its key was made finds the key among the spares.
  if (!present(k.private_file) && k.private_file != k.spare_file && present(k.spare_file)) {
    fs::rename(k.spare_file, k.private_file);
    c.reused(k.private_file);
  }
  if (present(k.public_file)) {
    c.reused(k.public_file);
    if (present(k.private_file)) c.reused(k.private_file);
    return;
  }
  // A lost public key is derived again from its private key, unless that
  // private key is another key's (a rotation: the desk keeps its old key).
  auto target = k.private_file;
  std::optional<crypto::ed25519_private_key> key;
  if (present(k.private_file)) {
    auto existing = crypto::ed25519_private_key::load_pem_file(k.private_file);
    if (!registered_elsewhere(existing.public_key(), k, all)) {
      key = existing;
    } else {
      target = k.spare_file;
      c.dir(target.parent_path(), private_dir);
      c.warn(c.relative(k.private_file) + " holds another key; the private key of '" +
             k.entry->key_id + "' is in " + c.relative(target));
    }
  }
  if (!key) key = crypto::ed25519_private_key::generate();
  c.write(target, key->to_pem(), private_file);
  c.write(k.public_file, crypto::public_key_to_pem(key->public_key()), public_file);
}

// The key id for a desk's identity.toml: set only when signing-key.pem holds
// the private half of the registered public key.
std::string desk_key_id(context& c, const fs::path& folder, const std::vector<key_plan>& keys) {
  const auto signing = folder / signing_key_file_name;
  for (const auto& k : keys) {
    if (k.private_file != signing) continue;
    try {
      auto pub = crypto::load_public_key_pem_file(k.public_file);
      if (crypto::ed25519_private_key::load_pem_file(signing).public_key() == pub)
        return k.entry->key_id;
    } catch (const std::exception&) {
    }
    c.warn(c.relative(signing) + " does not match " + c.relative(k.public_file) +
           "; this desk cannot sign until one of them is removed and init runs again");
    return {};
  }
  c.warn(c.relative(folder) +
         " has no signing key: its member has no non-revoked key, or another desk holds it");
  return {};
}

void ensure_identity(context& c, const authority& ca, const core::principal& p,
                     const fs::path& folder, const std::vector<key_plan>& keys,
                     std::chrono::system_clock::time_point now) {
  certificate_spec spec{
      p.id, {}, {}, certificate_usage::client, now - backdate, now + leaf_validity};
  ensure_leaf(c, ca, folder, spec);
  identity id;
  id.dir = folder.string();
  id.principal = p.id;
  id.member = p.member;
  id.role = p.role;
  id.keys_dir = (c.out() / "keys").string();
  const auto file = folder / identity_file_name;
  if (present(file)) {
    c.reused(file);
    auto owner =
        config::detail::parse_toml_file(file.string())["principal"].value_or(std::string());
    if (owner != p.id)
      throw std::runtime_error(file.string() + " belongs to '" + owner +
                               "', but members.toml now puts '" + p.id + "' there");
    try {
      load_identity(id.dir);
    } catch (const std::exception& e) {
      c.warn(e.what());
    }
    return;
  }
  if (p.role == core::role::desk) id.key_id = desk_key_id(c, folder, keys);
  if (write_identity_file(id))
    c.created(file);
  else
    c.reused(file);
}

}  // namespace

init_report init(const init_options& options) {
  const auto members = config::read_members_file(options.members_file);
  const std::pair<const char*, const std::string*> listens[] = {
      {"native_listen", &options.native_listen}, {"https_listen", &options.https_listen}};
  for (const auto& [name, listen] : listens)
    if (!core::parse_host_port(*listen))
      throw std::invalid_argument(std::string(name) + ": expected HOST:PORT, got '" + *listen +
                                  "'");
  if (options.db_url.empty())
    throw std::invalid_argument("db_url: expected a database URL, got nothing");

  init_report report;
  const auto out = fs::absolute(options.out_dir).lexically_normal();
  report.out_dir = out.string();
  report.config_file = (out / "liaison.toml").string();
  context c(out, report);
  const auto now = std::chrono::system_clock::now();
  c.dir(out, public_dir);

  const auto ca = ensure_ca(c, now);
  certificate_spec server{server_common_name,        {"localhost"},  {"127.0.0.1", "::1"},
                          certificate_usage::server, now - backdate, now + leaf_validity};
  auto names = options.server_names;
  names.push_back(host_name());
  for (const auto& n : names) {
    auto& list = is_ip_address(n) ? server.ip_addresses : server.dns_names;
    if (!n.empty() && std::find(list.begin(), list.end(), n) == list.end()) list.push_back(n);
  }
  ensure_leaf(c, ca, out / "server", server);
  ensure_audit_key(c);

  const auto folders = assign_folders(members, out);
  for (const auto& p : members.principals) c.dir(folders.at(p.id), private_dir);
  const auto keys = plan_keys(members, folders, out);
  for (const auto& k : keys) ensure_key(c, k, keys);
  for (const auto& p : members.principals) ensure_identity(c, ca, p, folders.at(p.id), keys, now);

  config::config_template_values v;
  v.header =
      "# Written by `liaison pki init` for development; the paths point into its output\n"
      "# folder. init never rewrites this file: delete it to have it written again.\n#\n";
  v.native_listen = options.native_listen;
  v.https_listen = options.https_listen;
  v.ca_file = (out / "server" / ca_file_name).string();
  v.cert_file = (out / "server" / cert_file_name).string();
  v.key_file = (out / "server" / key_file_name).string();
  v.database_url = options.db_url;
  v.database_owner_url = options.db_owner_url;
  v.members_file = fs::absolute(options.members_file).lexically_normal().string();
  v.keys_dir = (out / "keys").string();
  v.audit_signing_key_file = (out / "server" / audit_signing_key_file_name).string();
  c.write(report.config_file, config::render_server_config(v), public_file);
  return report;
}

}  // namespace liaison::pki
