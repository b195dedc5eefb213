// The fixed world of the alert target: the instant taken as `now`, a small
// registry with a generated signing key, and the desk that publishes. The
// corpus generator dates its seed alerts from the same `now`.
#pragma once

#include "core/registry.hpp"
#include "core/types.hpp"
#include "crypto/ed25519.hpp"

#include <chrono>

namespace liaison::fuzz {

// 2026-06-01T00:00:00Z.
inline constexpr core::time_point alert_now{std::chrono::seconds(1'780'272'000)};

// Members AT, DE, HU, RS, AL; group WB6 (RS, AL) and EU (AT, DE, HU); the
// desk AT.desk; keys AT-1 (the generated key), AT-0 (the same key, revoked)
// and HU-1 (another key).
struct alert_world {
  crypto::ed25519_private_key at_key;
  core::registry registry;
  core::principal desk;
};

// Built on first use; the key is generated once per process.
const alert_world& world();

}  // namespace liaison::fuzz
