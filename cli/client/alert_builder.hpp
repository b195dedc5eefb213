// Building and signing alerts on the client side: serialise the Alert once,
// sign those exact bytes, send them in an Envelope.
#pragma once

#include "crypto/ed25519.hpp"
#include "liaison/v1/alert.pb.h"

#include <chrono>
#include <string>
#include <vector>

namespace liaison::client {

// A new random (version 4) UUID in canonical lower-case form.
std::string new_uuid();

liaison::v1::Envelope sign_alert(const liaison::v1::Alert& alert,
                                 const crypto::ed25519_private_key& key, const std::string& key_id);

// Sets created_at to `when` (default: now).
void set_created_now(liaison::v1::Alert& alert,
                     std::chrono::system_clock::time_point when = std::chrono::system_clock::now());

}  // namespace liaison::client
