// What the fault-injection harness saw, as the clients saw it: every publish
// attempt of every alert with its answer, and every delivery to every
// consumer. Plain data, filled by the load and read by the checker.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace liaison::faults {

using steady = std::chrono::steady_clock;

// The answer to one publish attempt.
enum class answer : std::uint8_t {
  acknowledged,     // PublishResult
  failed,           // an Error other than UNAVAILABLE (definitive: this attempt stored nothing)
  unavailable,      // Error UNAVAILABLE: the outcome is not known
  timed_out,        // no answer within the request timeout: the outcome is not known
  connection_lost,  // the connection ended before the answer: the outcome is not known
};

inline bool indeterminate(answer a) {
  return a == answer::unavailable || a == answer::timed_out || a == answer::connection_lost;
}

struct attempt {
  steady::time_point sent;
  steady::time_point answered;
  answer result = answer::timed_out;
  int code = 0;  // liaison::v1::ErrorCode of an Error answer
};

// How the client last saw an alert.
enum class alert_status : std::uint8_t {
  acknowledged,   // some attempt got a PublishResult
  failed,         // the last answer was a definitive Error
  indeterminate,  // the last answer was a timeout, a lost connection or UNAVAILABLE
};

// One alert (one id, one set of signed bytes) and every attempt to publish it.
struct alert_record {
  std::string id;
  std::string origin;
  std::vector<std::string> recipients;  // member codes expected to receive it, sorted
  std::vector<attempt> attempts;        // in order; never empty once recorded
  std::uint64_t ack_seq = 0;            // from the PublishResult
  bool ack_duplicate = false;

  alert_status status() const {
    for (const auto& a : attempts)
      if (a.result == answer::acknowledged) return alert_status::acknowledged;
    if (!attempts.empty() && attempts.back().result == answer::failed) return alert_status::failed;
    return alert_status::indeterminate;
  }
  bool had_indeterminate_attempt() const {
    for (const auto& a : attempts)
      if (indeterminate(a.result)) return true;
    return false;
  }
  std::optional<steady::time_point> acknowledged_at() const {
    for (const auto& a : attempts)
      if (a.result == answer::acknowledged) return a.answered;
    return std::nullopt;
  }
};

// One alert handed to one consumer.
struct delivery {
  std::string consumer;          // "MEMBER/name", e.g. "HU/faults"
  std::uint32_t connection = 0;  // counts the consumer's connections (0 when unknown)
  std::uint64_t seq = 0;
  std::string alert_id;
  std::string origin;
  steady::time_point at;
};

// A consumer that must receive every stored alert addressed to its member.
struct required_consumer {
  std::string consumer;  // as in delivery::consumer
  std::string member;
};

// The alerts table as the checker needs it.
struct stored_alert {
  std::uint64_t seq = 0;
  std::string origin;
  std::string alert_id;
  std::vector<std::string> recipients;  // sorted
};

struct database_view {
  std::vector<stored_alert> alerts;  // ordered by seq
  std::uint64_t log_head = 0;        // log_head.last_seq
};

}  // namespace liaison::faults
