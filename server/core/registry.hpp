// Who takes part: members, named groups of members, principals (certificate
// identities) and the members' public signing keys. Immutable once built; the
// server swaps in a new registry on reload.
#pragma once

#include "core/error.hpp"
#include "core/rapid.hpp"
#include "core/types.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace liaison::core {

struct member_info {
  std::string code;  // e.g. "AT"
  std::string name;  // e.g. "Austria"
  // Who is told when the member misses a read deadline or has no desk on
  // duty for a FLASH or URGENT alert: member codes (their desks) and
  // principals' certificate names (e.g. a national backup desk, the task
  // force's coordination desk).
  std::vector<std::string> fallback;
};

struct group_info {
  std::string name;  // e.g. "WB6"
  std::vector<std::string> members;
};

struct signing_key {
  std::string key_id;      // e.g. "AT-2026-1"
  std::string member;      // the member whose alerts it signs
  std::string public_key;  // raw 32-byte Ed25519 public key
  bool revoked = false;
};

struct registry_data {
  std::vector<member_info> members;
  std::vector<group_info> groups;
  std::vector<principal> principals;
  std::vector<signing_key> keys;
};

class registry {
 public:
  // Every inconsistency in `data`, one sentence each (empty when valid):
  // duplicate codes, names or ids, a group name equal to a member code, a
  // group, principal or key naming an unknown member, a key that is not 32 bytes.
  static std::vector<std::string> check(const registry_data& data);

  // Precondition: check(data) is empty.
  explicit registry(registry_data data);

  const member_info* find_member(std::string_view code) const;
  const group_info* find_group(std::string_view name) const;
  const principal* find_principal(std::string_view id) const;
  const signing_key* find_key(std::string_view key_id) const;

  // The fallback contacts of `member` as an audience (member codes and
  // principal ids), empty for an unknown member or one without any.
  audience fallback_of(std::string_view member) const;
  // Principals of role coordinator.
  std::vector<std::string> coordinators() const;

  // Expands member codes and group names into member codes. A group never
  // includes the sender (then listed in left_out); naming the sender's own
  // code explicitly does.
  // Fails with INVALID_ARGUMENT on an unknown name or when nothing is left.
  result<recipient_set> expand(const std::vector<std::string>& recipients,
                               std::string_view sender) const;

  const registry_data& data() const { return data_; }

 private:
  registry_data data_;
  std::map<std::string, std::size_t, std::less<>> members_;
  std::map<std::string, std::size_t, std::less<>> groups_;
  std::map<std::string, std::size_t, std::less<>> principals_;
  std::map<std::string, std::size_t, std::less<>> keys_;
};

}  // namespace liaison::core
