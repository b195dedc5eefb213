// Builders of store requests for tests.
#pragma once

#include "core/records.hpp"

#include <string>
#include <vector>

namespace liaison::testing {

// A random canonical (lower-case, version 4) UUID.
std::string random_uuid();

// A complete, well-formed publish request from `origin` to `members` (also
// named explicitly), with a fresh id and payload bytes that include NUL and
// non-UTF-8 bytes, as signed payloads do. The signature is not a real one:
// the store does not verify signatures.
core::publish_request make_publish_request(const std::string& origin = "AT",
                                           std::vector<std::string> members = {"DE", "FR"});

}  // namespace liaison::testing
