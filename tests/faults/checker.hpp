// The checker of the fault-injection harness: compares what the clients saw
// (publish answers, deliveries) with what the database holds, and counts
// every way in which a promise of CHECKS.md was broken. Pure: data in, a
// report out.
#pragma once

#include "faults/history.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace liaison::faults {

struct report {
  // Publishes, per alert (one id), as the client last saw them.
  std::size_t alerts = 0;
  std::size_t attempts = 0;
  std::size_t acknowledged = 0;
  std::size_t failed = 0;
  std::size_t indeterminate = 0;
  std::size_t indeterminate_stored = 0;  // of indeterminate: found committed
  // Alerts with an indeterminate attempt that turned out committed (learnt by
  // a retry answered "duplicate", or found in the database).
  std::size_t recovered = 0;

  // Broken promises: each fails the run.
  std::size_t lost = 0;              // acknowledged, and absent or not delivered to a recipient
  std::size_t lost_absent = 0;       //   of lost: not in the database
  std::size_t lost_undelivered = 0;  //   of lost: stored, but a required consumer never received it
  std::size_t unexpected_rows = 0;   // stored, never published
  std::size_t unexpected_deliveries =
      0;  // delivered, never published (or under a seq the log gives another alert)
  std::size_t duplicate_rows = 0;  // (origin, id) stored more than once
  std::size_t reorders = 0;  // a consumer saw seq go backwards, or a new seq below one it had seen
  std::size_t failed_but_stored = 0;   // a definitive error, no ambiguous attempt, yet committed
  std::size_t ack_seq_mismatch = 0;    // the acknowledged seq is not the stored one
  std::size_t recipient_mismatch = 0;  // stored recipients differ from the expected expansion
  std::size_t stored_undelivered = 0;  // stored (not acknowledged) but not delivered to a recipient
  std::size_t seq_gaps = 0;            // missing seqs in 1..log_head, or log_head != last seq

  // Allowed, counted.
  std::size_t deliveries = 0;
  std::size_t duplicate_deliveries = 0;  // copies beyond the first, per consumer and alert

  std::vector<std::string> examples;  // the first few problems, for the log

  bool ok() const {
    return lost == 0 && unexpected_rows == 0 && unexpected_deliveries == 0 && duplicate_rows == 0 &&
           reorders == 0 && failed_but_stored == 0 && ack_seq_mismatch == 0 &&
           recipient_mismatch == 0 && stored_undelivered == 0 && seq_gaps == 0;
  }
};

// Classifies `alerts` and `deliveries` against `db`. Every consumer in
// `required` must have received every stored alert addressed to its member.
report check(const std::vector<alert_record>& alerts, const std::vector<delivery>& deliveries,
             const std::vector<required_consumer>& required, const database_view& db);

// "N acknowledged alerts over K <fault> cycles: 0 lost, 0 unexpected, 0
// duplicate rows, D duplicate deliveries, R recovered", then the other counts.
std::string summary(const report& r, std::size_t cycles, const std::string& fault);

}  // namespace liaison::faults

namespace liaison::faults {

// Read deadlines (#12): every open deadline escalates once per level, up to
// the last, however often liaisond is killed; none twice; each at most the
// downtime it overlapped plus `allowance` after its deadline.
using wall = std::chrono::system_clock::time_point;

struct deadline_row {
  std::uint64_t seq = 0;
  std::string member;
  std::uint32_t level = 0;  // as stored
  bool closed = false;      // read or withdrawn: escalates no further
};

struct escalation_row {
  std::uint64_t seq = 0;
  std::string member;
  std::uint32_t level = 0;
  wall deadline;  // the deadline that passed
  wall at;        // when the escalation was committed
};

struct escalation_report {
  std::size_t deadlines = 0;
  std::size_t escalations = 0;
  std::size_t lost = 0;        // a level that never escalated
  std::size_t duplicated = 0;  // a level that escalated more than once
  std::size_t late = 0;        // later than its downtime plus the allowance
  double max_late_ms = 0;      // the largest lateness beyond the downtime it overlapped
  std::vector<std::string> examples;
  bool ok() const { return lost == 0 && duplicated == 0 && late == 0; }
};

escalation_report check_escalations(const std::vector<deadline_row>& deadlines,
                                    const std::vector<escalation_row>& escalations,
                                    std::uint32_t max_level,
                                    const std::vector<std::pair<wall, wall>>& downtime,
                                    std::chrono::milliseconds allowance);

}  // namespace liaison::faults
