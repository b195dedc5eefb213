#include "core/registry.hpp"

#include <algorithm>
#include <cassert>
#include <set>

namespace liaison::core {
namespace {

template <class Items, class Key>
void index(const Items& items, Key key, std::map<std::string, std::size_t, std::less<>>& out) {
  for (std::size_t i = 0; i < items.size(); ++i) out.emplace(key(items[i]), i);
}

void sort_unique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

std::vector<std::string> registry::check(const registry_data& data) {
  std::vector<std::string> problems;
  std::set<std::string, std::less<>> codes;
  for (const auto& m : data.members) {
    if (m.code.empty())
      problems.push_back("a member has an empty code");
    else if (!codes.insert(m.code).second)
      problems.push_back("member '" + m.code + "' is listed twice");
  }
  std::set<std::string, std::less<>> group_names;
  for (const auto& g : data.groups) {
    if (g.name.empty()) problems.push_back("a group has an empty name");
    if (codes.contains(g.name))
      problems.push_back("group '" + g.name + "' has the same name as a member code");
    if (!group_names.insert(g.name).second)
      problems.push_back("group '" + g.name + "' is listed twice");
    for (const auto& m : g.members)
      if (!codes.contains(m))
        problems.push_back("group '" + g.name + "' names unknown member '" + m + "'");
  }
  std::set<std::string, std::less<>> principal_ids;
  for (const auto& p : data.principals) {
    if (p.id.empty()) problems.push_back("a principal has an empty certificate name");
    if (!principal_ids.insert(p.id).second)
      problems.push_back("principal '" + p.id + "' is listed twice");
    bool needs_member = p.role == role::desk || p.role == role::partner;
    if (p.member.empty() && needs_member)
      problems.push_back("principal '" + p.id +
                         "' is a desk or partner system and must name its member");
    else if (!p.member.empty() && !codes.contains(p.member))
      problems.push_back("principal '" + p.id + "' names unknown member '" + p.member + "'");
  }
  for (const auto& m : data.members) {
    std::set<std::string, std::less<>> seen;
    for (const auto& f : m.fallback) {
      if (!seen.insert(f).second)
        problems.push_back("member '" + m.code + "' names fallback '" + f + "' twice");
      else if (f == m.code)
        problems.push_back("member '" + m.code + "' names itself as its own fallback");
      else if (!codes.contains(f) && !principal_ids.contains(f))
        problems.push_back("member '" + m.code + "' names fallback '" + f +
                           "', which is neither a member code nor a principal");
    }
  }
  std::set<std::string, std::less<>> key_ids;
  for (const auto& k : data.keys) {
    if (k.key_id.empty()) problems.push_back("a signing key has an empty key id");
    if (!key_ids.insert(k.key_id).second)
      problems.push_back("key id '" + k.key_id + "' is listed twice");
    if (!codes.contains(k.member))
      problems.push_back("key '" + k.key_id + "' names unknown member '" + k.member + "'");
    if (k.public_key.size() != 32)
      problems.push_back("key '" + k.key_id + "' is not a 32-byte Ed25519 public key");
  }
  return problems;
}

registry::registry(registry_data data) : data_(std::move(data)) {
  assert(check(data_).empty());
  index(
      data_.members, [](const member_info& m) { return m.code; }, members_);
  index(
      data_.groups, [](const group_info& g) { return g.name; }, groups_);
  index(
      data_.principals, [](const principal& p) { return p.id; }, principals_);
  index(
      data_.keys, [](const signing_key& k) { return k.key_id; }, keys_);
}

const member_info* registry::find_member(std::string_view code) const {
  auto it = members_.find(code);
  return it == members_.end() ? nullptr : &data_.members[it->second];
}

const group_info* registry::find_group(std::string_view name) const {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : &data_.groups[it->second];
}

const principal* registry::find_principal(std::string_view id) const {
  auto it = principals_.find(id);
  return it == principals_.end() ? nullptr : &data_.principals[it->second];
}

const signing_key* registry::find_key(std::string_view key_id) const {
  auto it = keys_.find(key_id);
  return it == keys_.end() ? nullptr : &data_.keys[it->second];
}

audience registry::fallback_of(std::string_view member) const {
  audience out;
  const auto* m = find_member(member);
  if (!m) return out;
  for (const auto& f : m->fallback) {
    if (find_member(f))
      out.members.push_back(f);
    else
      out.principals.push_back(f);
  }
  return out;
}

std::vector<std::string> registry::coordinators() const {
  std::vector<std::string> out;
  for (const auto& p : data_.principals)
    if (p.role == role::coordinator) out.push_back(p.id);
  return out;
}

result<recipient_set> registry::expand(const std::vector<std::string>& recipients,
                                       std::string_view sender) const {
  recipient_set out;
  bool sender_in_a_group = false;
  for (const auto& name : recipients) {
    if (find_member(name)) {
      out.members.push_back(name);
      out.named.push_back(name);
    } else if (const auto* g = find_group(name)) {
      for (const auto& m : g->members) {
        if (m != sender)
          out.members.push_back(m);
        else
          sender_in_a_group = true;
      }
    } else {
      return make_error(errc::invalid_argument,
                        "unknown recipient '" + name + "': not a member code or group name");
    }
  }
  sort_unique(out.members);
  sort_unique(out.named);
  if (sender_in_a_group && !std::binary_search(out.named.begin(), out.named.end(), sender))
    out.left_out.push_back(
        {std::string(sender), "the sender: a group never sends an alert back to its own sender"});
  if (out.members.empty())
    return make_error(errc::invalid_argument,
                      "the recipients expand to no member (a group never sends an alert back "
                      "to its own sender; name your own member code to do so)");
  return out;
}

}  // namespace liaison::core
