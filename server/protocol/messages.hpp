// The native protocol's messages as plain domain structs, so that sessions
// and the broker never see protobuf types. One request or answer per Frame;
// correlation_id ties an answer to its request.
#pragma once

#include "core/error.hpp"
#include "core/types.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace liaison::protocol {

inline constexpr std::uint32_t protocol_version = 1;

// Client to server.
struct hello {
  std::string client;
  std::uint32_t version = 0;
};
struct publish {
  core::envelope signed_alert;
};
enum class start_from { stored_cursor, seq, only_new };
struct subscribe {
  std::string consumer;
  start_from start = start_from::stored_cursor;
  std::uint64_t from_seq = 0;   // for start_from::seq
  bool take_over = false;       // take the consumer from another connection
  std::string client_instance;  // the same client process reconnecting
};
struct ack {
  std::string consumer;
  std::uint64_t up_to_seq = 0;
};
struct ping {
  std::uint64_t nonce = 0;
};
using request_body = std::variant<hello, publish, subscribe, ack, ping>;

struct request {
  std::uint64_t correlation_id = 0;
  request_body body;
};

// Server to client (Deliver is encoded straight from a stored alert).
struct welcome {
  core::principal who;
  std::string server;
  std::uint32_t max_frame_bytes = 0;
  std::uint32_t max_in_flight_publishes = 0;
};
struct publish_result {
  std::string alert_id;
  std::uint64_t seq = 0;
  core::time_point received_at{};
  bool duplicate = false;
  std::vector<core::left_out_member> left_out;
};
struct subscribed {
  std::string consumer;
  std::uint64_t cursor = 0;
  std::uint64_t resume_after = 0;
};
struct pong {
  std::uint64_t nonce = 0;
};
using reply_body = std::variant<welcome, publish_result, subscribed, pong, core::error>;

}  // namespace liaison::protocol
