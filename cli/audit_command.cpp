// `liaison audit verify`: checks, offline and with the server's public key,
// that the latest signed tree head is genuine, that sampled audit rows are in
// it as they read today, and that a head saved earlier is a prefix of it
// (RFC 9162 proofs). `liaison audit log`: queries or exports the audit log.
#include "audit/chain.hpp"
#include "audit/encoding.hpp"
#include "audit/merkle.hpp"
#include "audit/tree_head.hpp"
#include "auditor_requests.hpp"
#include "client/progress.hpp"
#include "commands.hpp"
#include "core/time_text.hpp"
#include "crypto/ed25519.hpp"
#include "pki/init.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

namespace liaison::cli {
namespace {

namespace fs = std::filesystem;
namespace merkle = audit::merkle;
using nlohmann::json;

struct verify_options {
  std::string id_dir;
  std::string server = "127.0.0.1:8443";
  std::vector<std::string> server_keys;
  std::string head_file;
  std::string save_head;
  std::string justification = "integrity check of the audit log (liaison audit verify)";
  int samples = 8;
  bool chain = false;
  int timeout_ms = 30000;
};

[[noreturn]] void fail(const std::string& why) {
  throw command_failure(exit_failed, "FAILED: " + why);
}

audit::digest digest_field(const json& j, const char* key, const std::string& what) {
  auto d = j.contains(key) && j[key].is_string()
               ? audit::digest_from_base64(j[key].get<std::string>())
               : std::nullopt;
  if (!d) throw command_failure(exit_error, what + ": '" + key + "' is not a base64 SHA-256 hash");
  return *d;
}

// A tree head as the server writes it (and --save-head keeps it).
audit::signed_tree_head head_of(const json& j, const std::string& what) {
  if (!j.is_object() || !j.contains("tree_size") || !j["tree_size"].is_number_unsigned() ||
      !j.contains("timestamp") || !j["timestamp"].is_number_integer() ||
      !j.contains("tree_head_signature") || !j["tree_head_signature"].is_string())
    throw command_failure(exit_error, what + " is not a tree head");
  audit::signed_tree_head h;
  h.head.tree_size = j["tree_size"].get<std::uint64_t>();
  h.head.timestamp_ms = j["timestamp"].get<std::int64_t>();
  h.head.root_hash = digest_field(j, "sha256_root_hash", what);
  auto signature = audit::from_base64(j["tree_head_signature"].get<std::string>());
  if (!signature) throw command_failure(exit_error, what + ": the signature is not base64");
  h.signature = *signature;
  h.key_id = j.value("key_id", "");
  return h;
}

std::vector<audit::digest> path_of(const json& j, const char* key, const std::string& what) {
  std::vector<audit::digest> out;
  if (!j.contains(key) || !j[key].is_array())
    throw command_failure(exit_error, what + ": no '" + key + "' list");
  for (const auto& h : j[key]) {
    auto d = h.is_string() ? audit::digest_from_base64(h.get<std::string>()) : std::nullopt;
    if (!d) throw command_failure(exit_error, what + ": a hash of '" + key + "' is malformed");
    out.push_back(*d);
  }
  return out;
}

std::string describe(const audit::signed_tree_head& h) {
  const auto at = core::time_point{} + std::chrono::milliseconds(h.head.timestamp_ms);
  return std::to_string(h.head.tree_size) + " entries, root " + audit::to_base64(h.head.root_hash) +
         ", signed " + core::to_rfc3339(at);
}

// The leaf of an audit row, recomputed here from the row as the server shows it.
audit::digest leaf_of(const json& entry, std::uint64_t index) {
  if (!entry.is_object())
    fail("audit row " + std::to_string(index + 1) + " is gone, yet the signed tree holds it");
  core::audit_event e;
  try {
    if (entry.at("id").get<std::uint64_t>() != index + 1)
      fail("the server answered with audit row " + entry.at("id").dump() + " for leaf " +
           std::to_string(index));
    e.at = core::time_point{} + std::chrono::microseconds(entry.at("at_us").get<std::int64_t>());
    e.actor = entry.at("actor").get<std::string>();
    e.actor_member = entry.at("actor_member").get<std::string>();
    e.action = entry.at("action").get<std::string>();
    e.subject = entry.at("subject").get<std::string>();
    e.outcome = entry.at("outcome").get<std::string>();
    e.detail = entry.at("detail").get<std::string>();
  } catch (const json::exception&) {
    throw command_failure(exit_error,
                          "the server's audit row " + std::to_string(index + 1) + " is malformed");
  }
  return merkle::leaf_hash(audit::canonical_bytes(index + 1, e));
}

std::string default_key_file(const pki::identity& id) {
  return (fs::path(id.keys_dir).parent_path() / "server" / pki::audit_public_key_file_name)
      .string();
}

// The tree-head public keys the auditor trusts, by key id: several across a
// rotation of the server's key, so that heads signed before and after it
// are both checked (each with the key it names).
class trusted_keys {
 public:
  explicit trusted_keys(const std::vector<std::string>& files) {
    for (const auto& f : files) {
      auto key = crypto::load_public_key_pem_file(f);
      keys_.push_back({audit::key_id_of(key), key, f});
    }
  }

  // The key id that verifies `h`, or FAILED naming the keys tried. A head
  // names its key; one without a key id is tried with every key.
  std::string verify(const audit::signed_tree_head& h, const std::string& what) const {
    std::string tried;
    for (const auto& k : keys_) {
      if (!h.key_id.empty() && h.key_id != k.id) continue;
      if (audit::verify_tree_head(k.raw, h.head, h.signature)) return k.id;
      tried += (tried.empty() ? "" : ", ") + k.file;
    }
    if (tried.empty()) {
      std::string given;
      for (const auto& k : keys_) given += (given.empty() ? "" : ", ") + k.file;
      fail(what + " is signed with key " + h.key_id + ", which is none of --server-key (" + given +
           "); pass that key's public PEM too");
    }
    fail(what + "'s signature does not verify with " + tried);
  }

 private:
  struct key {
    std::string id, raw, file;
  };
  std::vector<key> keys_;
};

int run_verify(const verify_options& o) {
  auto id = pki::load_identity(o.id_dir);
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);
  const trusted_keys keys(o.server_keys.empty() ? std::vector<std::string>{default_key_file(id)}
                                                : o.server_keys);
  // On a terminal: which step runs, and for how long.
  auto shown = client::progress::on_terminal("audit verify");
  const query why{{"justification", o.justification}};
  auto ask = [&](const std::string& path, query q) {
    q.insert(q.begin(), why.begin(), why.end());
    return get_json(id, o.server, target(path, q), timeout);
  };

  // 1. Today's head, signed by a key we trust.
  shown.set("the latest tree head");
  auto heads = ask("/v1/audit/tree-heads", {{"limit", "1"}});
  if (!heads.contains("latest") || heads["latest"].is_null())
    throw command_failure(exit_error, "the server has signed no tree head yet; try again later");
  const auto latest = head_of(heads["latest"], "the latest tree head");
  const auto latest_key = keys.verify(latest, "the latest tree head");
  shown.say(std::cout, "latest tree head: " + describe(latest) + "; signature valid (key " +
                           latest_key + ")\n");
  const auto size = latest.head.tree_size;
  if (size == 0) throw command_failure(exit_error, "the latest tree head is of an empty tree");

  // 2. Audit rows as they read today must be the leaves the head signed.
  std::set<std::uint64_t> indexes{0, size / 2, size - 1};
  std::mt19937_64 random{std::random_device{}()};
  for (int i = 0; i < o.samples; ++i) indexes.insert(random() % size);
  std::size_t checked = 0;
  for (auto index : indexes) {
    shown.set("inclusion proof " + std::to_string(++checked) + " of " +
              std::to_string(indexes.size()));
    auto proof = ask("/v1/audit/proof/inclusion",
                     {{"index", std::to_string(index)}, {"tree_size", std::to_string(size)}});
    const auto leaf = leaf_of(proof.value("entry", json()), index);
    if (!merkle::verify_inclusion(index, size, leaf,
                                  path_of(proof, "audit_path", "an inclusion proof"),
                                  latest.head.root_hash))
      fail("audit row " + std::to_string(index + 1) +
           " as the server shows it today is not the row the signed tree head holds: it was "
           "changed or replaced");
  }
  shown.say(std::cout, std::to_string(indexes.size()) +
                           " audit rows (including the first and the last) recomputed: each is "
                           "in the signed tree\n");

  // 3. A head saved earlier must be a prefix of today's.
  if (!o.head_file.empty()) {
    std::ifstream in(o.head_file);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) throw command_failure(exit_error, "cannot read " + o.head_file);
    auto saved_json = json::parse(text.str(), nullptr, false);
    const auto saved =
        head_of(saved_json.contains("latest") ? saved_json["latest"] : saved_json, o.head_file);
    // A saved head that no trusted key verifies proves nothing.
    const auto saved_key = keys.verify(saved, "the saved head in " + o.head_file);
    shown.say(std::cout, "saved tree head: " + describe(saved) + "; signature valid (key " +
                             saved_key + ")\n");
    const auto m = saved.head.tree_size;
    if (m > size)
      fail("today's tree has " + std::to_string(size) + " entries, fewer than the " +
           std::to_string(m) +
           " of the saved head: audit rows were removed (the log was truncated) or old heads "
           "replaced");
    if (m == size && saved.head.root_hash != latest.head.root_hash)
      fail(
          "the saved head and today's head have the same size but different roots: history was "
          "rewritten");
    if (m > 0 && m < size) {
      shown.set("consistency proof " + std::to_string(m) + " -> " + std::to_string(size));
      auto proof = ask("/v1/audit/proof/consistency",
                       {{"first", std::to_string(m)}, {"second", std::to_string(size)}});
      if (!merkle::verify_consistency(m, size, saved.head.root_hash, latest.head.root_hash,
                                      path_of(proof, "consistency", "a consistency proof")))
        fail("today's tree is NOT consistent with the saved head: the first " + std::to_string(m) +
             " audit rows were rewritten, removed or reordered since it was signed");
    }
    shown.say(std::cout, "consistent: today's tree extends the saved head (" + std::to_string(m) +
                             " -> " + std::to_string(size) + " entries)\n");
  }

  // 4. Optionally, the server's own recomputation of the whole hash chain.
  if (o.chain) {
    shown.set("the server recomputes the whole hash chain");
    auto v = ask("/v1/audit/verify", {});
    if (!v.value("holds", false))
      fail("the hash chain breaks: " +
           (v["break"].is_object() ? v["break"].value("message", "") : v.dump()));
    shown.say(std::cout, "hash chain holds over " +
                             std::to_string(v.value("rows_checked", std::uint64_t{0})) + " rows\n");
  }

  if (!o.save_head.empty()) {
    std::ofstream out(o.save_head, std::ios::trunc);
    out << heads["latest"].dump(2) << "\n";
    if (!out) throw command_failure(exit_error, "cannot write " + o.save_head);
    shown.say(std::cout, "saved the latest tree head to " + o.save_head + "\n");
  }
  shown.say(std::cout, "OK\n");
  return 0;
}

struct log_options {
  std::string id_dir;
  std::string server = "127.0.0.1:8443";
  std::string justification;
  std::string format = "json";
  std::vector<std::string> actor, action, subject;
  std::string from, to, cursor;
  int limit = 0;
  int timeout_ms = 30000;
};

int run_log(const log_options& o) {
  auto id = pki::load_identity(o.id_dir);
  query q{{"justification", o.justification}};
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"actor", &o.actor}, {"action", &o.action}, {"subject", &o.subject}};
  for (const auto& [key, values] : lists)
    for (const auto& v : *values) q.emplace_back(key, v);
  const std::pair<const char*, const std::string*> singles[] = {
      {"from", &o.from}, {"to", &o.to}, {"cursor", &o.cursor}};
  for (const auto& [key, value] : singles)
    if (!value->empty()) q.emplace_back(key, *value);
  if (o.limit > 0) q.emplace_back("limit", std::to_string(o.limit));
  if (o.format != "json") q.emplace_back("format", o.format);
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);
  if (o.format == "json")
    std::cout << get_json(id, o.server, target("/v1/audit", q), timeout).dump(2) << std::endl;
  else
    get_to_stdout(id, o.server, target("/v1/audit", q), timeout);
  return 0;
}

template <class F>
void guarded(const char* name, int& exit_code, F run) {
  try {
    exit_code = run();
  } catch (const command_failure& e) {
    std::cerr << "liaison audit " << name << ": " << e.what() << "\n";
    exit_code = e.code();
  }
}

}  // namespace

void add_audit_command(CLI::App& app, int& exit_code) {
  auto* audit = app.add_subcommand(
      "audit", "auditors: verify the audit log's signed tree, query the audit log");
  audit->require_subcommand(1);

  auto v = std::make_shared<verify_options>();
  auto* verify = audit->add_subcommand("verify",
                                       "check the latest signed tree head, sampled audit rows and "
                                       "(with --head) a head saved earlier; "
                                       "exit 0 verified, 1 could not check, 2 refused by the "
                                       "server, 3 FAILED (evidence of tampering)");
  verify->add_option("--id", v->id_dir, "identity folder of an auditor, e.g. .liaison/pki/auditor")
      ->required();
  verify->add_option("--server", v->server, "HOST:PORT of the HTTPS listener")
      ->capture_default_str();
  verify->add_option(
      "--server-key", v->server_keys,
      "the server's tree-head public key (PEM); repeat it across a key rotation: each head is "
      "checked with the key it names. Default: server/audit-signing-key.pub.pem of the "
      "`liaison pki init` output that holds the identity");
  verify->add_option("--head", v->head_file,
                     "a tree head saved earlier (--save-head) that today's must extend");
  verify->add_option("--save-head", v->save_head, "write the verified latest head to this file");
  verify
      ->add_option("--samples", v->samples,
                   "random audit rows to check besides the first, middle and last")
      ->capture_default_str();
  verify->add_flag("--chain", v->chain, "also have the server recompute the whole hash chain");
  verify->add_option("--justification", v->justification, "why (written to the audit log)")
      ->capture_default_str();
  verify->add_option("--timeout-ms", v->timeout_ms, "deadline of each network step")
      ->capture_default_str();
  verify->callback(
      [v, &exit_code] { guarded("verify", exit_code, [&] { return run_verify(*v); }); });

  auto l = std::make_shared<log_options>();
  auto* log = audit->add_subcommand(
      "log", "query or export the audit log (exit 1 error, 2 refused by the server)");
  log->add_option("--id", l->id_dir, "identity folder of an auditor")->required();
  log->add_option("--server", l->server, "HOST:PORT of the HTTPS listener")->capture_default_str();
  log->add_option("--justification", l->justification, "why (written to the audit log)")
      ->required();
  log->add_option("--format", l->format, "json (one page), ndjson or csv (every row, streamed)")
      ->check(CLI::IsMember({"json", "ndjson", "csv"}))
      ->capture_default_str();
  log->add_option("--actor", l->actor, "principal ids")->delimiter(',');
  log->add_option("--action", l->action, "actions, e.g. alert.publish,consumer.deliver")
      ->delimiter(',');
  log->add_option("--subject", l->subject, "subjects (alert ids, consumer names, ...)")
      ->delimiter(',');
  log->add_option("--from", l->from, "at or after (RFC 3339 or YYYY-MM-DD)");
  log->add_option("--to", l->to, "before (RFC 3339 or YYYY-MM-DD)");
  log->add_option("--limit", l->limit, "rows on the JSON page");
  log->add_option("--cursor", l->cursor, "next_cursor of the previous page");
  log->add_option("--timeout-ms", l->timeout_ms, "deadline of each network step")
      ->capture_default_str();
  log->callback([l, &exit_code] { guarded("log", exit_code, [&] { return run_log(*l); }); });
}

}  // namespace liaison::cli
