// The audit hash chain: each row's hash is SHA-256(previous row's hash ||
// canonical bytes of the row). The canonical encoding is length-prefixed, so
// no two different rows share an encoding. Pure; used by the writer to extend
// the chain and by verifiers to recompute it.
#pragma once

#include "core/audit_event.hpp"
#include "crypto/sha256.hpp"

#include <cstdint>
#include <string>

namespace liaison::audit {

using crypto::digest;

// The hash that precedes the first row: 32 zero bytes.
inline constexpr digest genesis_hash{};

// "liaison.audit.v1\0", then big-endian u64 id and i64 microseconds, then
// each text field as a big-endian u32 length followed by its bytes.
std::string canonical_bytes(std::uint64_t id, const core::audit_event& event);

digest chain_hash(const digest& previous, std::uint64_t id, const core::audit_event& event);

struct chained_event {
  std::uint64_t id = 0;
  core::audit_event event;
  digest previous{};
  digest hash{};
};

// Extends a chain: assigns ids head_id+1, head_id+2, ... and hashes, starting
// from `head_hash`. Updates head_id and head_hash to the new head.
class chain_builder {
 public:
  chain_builder(std::uint64_t head_id, const digest& head_hash) : id_(head_id), hash_(head_hash) {}
  chained_event append(core::audit_event event);
  std::uint64_t head_id() const { return id_; }
  const digest& head_hash() const { return hash_; }

 private:
  std::uint64_t id_;
  digest hash_;
};

}  // namespace liaison::audit
