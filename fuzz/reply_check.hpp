// Checks that an answer the server encodes can be read back by a client: a
// reply that its recipient cannot parse leaves the client without the typed
// error that CHECKS.md promise 7 demands.
#pragma once

#include "protocol/codec.hpp"

#include <cstdint>
#include <string>

namespace liaison::fuzz {

// Drops protobuf's log lines (e.g. "invalid UTF-8 when parsing"), which
// hostile input triggers at every step; fatal errors still abort.
void quiet_protobuf_logs();

// Encodes `reply` in every wire format, parses each result as a client does
// (a Frame, unknown fields refused) and aborts unless each parses and carries
// `correlation_id`.
void check_reply_round_trip(std::uint64_t correlation_id, const protocol::reply_body& reply);

// The answers a session gives to `decoded` (the decoding error; or a Pong, a
// Subscribed echoing the consumer name, an acknowledgement error naming it,
// a Welcome), each checked with check_reply_round_trip.
void check_replies_to(const core::result<protocol::request>& decoded);

}  // namespace liaison::fuzz
