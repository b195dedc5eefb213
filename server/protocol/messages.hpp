// The native protocol's messages as plain domain structs, so that sessions
// and the broker never see protobuf types. One request or answer per Frame;
// correlation_id ties an answer to its request.
#pragma once

#include "core/error.hpp"
#include "core/rapid.hpp"
#include "core/records.hpp"
#include "core/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace liaison::protocol {

inline constexpr std::uint32_t protocol_version = 1;

// Client to server.
struct hello {
  std::string client;
  std::uint32_t version = 0;
  bool on_duty = false;
};
struct publish {
  core::envelope signed_alert;
  bool dry_run = false;  // answer with a recipient_preview; store nothing
};
enum class start_from { stored_cursor, seq, only_new };
struct subscribe {
  std::string consumer;
  start_from start = start_from::stored_cursor;
  std::uint64_t from_seq = 0;   // for start_from::seq
  bool take_over = false;       // take the consumer from another connection
  std::string client_instance;  // the same client process reconnecting
  bool lanes = false;           // one lane per priority, FLASH first
};
struct ack {
  std::string consumer;
  std::uint64_t up_to_seq = 0;
  std::optional<core::priority> lane;  // required with lanes, absent without
};
struct ping {
  std::uint64_t nonce = 0;
};
// The client's answer to the server's Ping.
struct client_pong {
  std::uint64_t nonce = 0;
};
struct set_duty {
  bool on_duty = false;
};
struct send_receipt {
  core::signed_receipt receipt;
};
struct fetch_notices {
  std::uint64_t after_id = 0;
  std::uint32_t limit = 0;  // 0: the default
};
struct query_status {
  std::string alert_id;
  std::string origin;
};
struct query_presence {};
using request_body = std::variant<hello, publish, subscribe, ack, ping, client_pong, set_duty,
                                  send_receipt, fetch_notices, query_status, query_presence>;

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
struct lane_cursor {
  core::priority lane = core::priority::routine;
  std::uint64_t cursor = 0;
  std::uint64_t resume_after = 0;
};
struct subscribed {
  std::string consumer;
  std::uint64_t cursor = 0;
  std::uint64_t resume_after = 0;
  std::vector<lane_cursor> lanes;  // with subscribe::lanes
};
struct pong {
  std::uint64_t nonce = 0;
};
// The server's Ping to a quiet connection on duty.
struct server_ping {
  std::uint64_t nonce = 0;
};
struct duty_set {
  bool on_duty = false;
  bool counted = false;
};
struct receipt_result {
  std::string alert_id;
  core::receipt_outcome outcome;
};
struct notices {
  std::vector<core::notice> items;
  bool more = false;
};
struct presence {
  core::time_point at{};
  std::vector<core::member_presence> members;
};
using reply_body = std::variant<welcome, publish_result, subscribed, pong, server_ping, duty_set,
                                receipt_result, core::notice, notices, core::alert_status, presence,
                                core::recipient_preview, core::error>;

}  // namespace liaison::protocol
