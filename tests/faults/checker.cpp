#include "faults/checker.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace liaison::faults {
namespace {

std::string key_of(const std::string& origin, const std::string& id) {
  return origin + "/" + id;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

class problems {
 public:
  explicit problems(std::vector<std::string>& out) : out_(out) {}
  void note(const std::string& what) {
    if (out_.size() < 12) out_.push_back(what);
  }

 private:
  std::vector<std::string>& out_;
};

// What one consumer received, built while walking its deliveries in order.
struct consumer_view {
  std::map<std::uint32_t, std::uint64_t> last_seq_by_connection;
  std::uint64_t max_seq = 0;
  std::unordered_set<std::uint64_t> seqs;
  std::unordered_set<std::string> keys;
};

}  // namespace

report check(const std::vector<alert_record>& alerts, const std::vector<delivery>& deliveries,
             const std::vector<required_consumer>& required, const database_view& db) {
  report r;
  problems note(r.examples);

  std::unordered_map<std::string, const alert_record*> published;
  for (const auto& a : alerts) published.emplace(key_of(a.origin, a.id), &a);

  // The log: each (origin, id) once, seqs 1..log_head without a hole.
  std::unordered_map<std::string, const stored_alert*> stored;
  std::unordered_map<std::uint64_t, const stored_alert*> by_seq;
  std::uint64_t last_seq = 0;
  for (const auto& row : db.alerts) {
    auto key = key_of(row.origin, row.alert_id);
    if (!stored.emplace(key, &row).second) {
      ++r.duplicate_rows;
      note.note("duplicate row " + key + " at seq " + std::to_string(row.seq));
    }
    by_seq.emplace(row.seq, &row);
    last_seq = std::max(last_seq, row.seq);
    if (!published.contains(key)) {
      ++r.unexpected_rows;
      note.note("stored but never published: " + key + " at seq " + std::to_string(row.seq));
    }
  }
  r.seq_gaps = static_cast<std::size_t>(last_seq - by_seq.size());
  if (db.log_head != last_seq) ++r.seq_gaps;
  if (r.seq_gaps > 0)
    note.note("seq gaps: " + std::to_string(by_seq.size()) + " seqs stored up to " +
              std::to_string(last_seq) + ", log head " + std::to_string(db.log_head));

  // Deliveries, consumer by consumer, in the order each consumer saw them.
  std::unordered_map<std::string, consumer_view> consumers;
  for (const auto& d : deliveries) {
    ++r.deliveries;
    auto& c = consumers[d.consumer];
    auto key = key_of(d.origin, d.alert_id);
    const auto row = by_seq.find(d.seq);
    if (!published.contains(key)) {
      ++r.unexpected_deliveries;
      note.note(d.consumer + " received " + key + ", which was never published");
    } else if (row == by_seq.end() || key_of(row->second->origin, row->second->alert_id) != key) {
      ++r.unexpected_deliveries;
      note.note(d.consumer + " received " + key + " as seq " + std::to_string(d.seq) +
                ", which the log does not hold under that seq");
    }
    if (!c.keys.insert(key).second) ++r.duplicate_deliveries;
    // Connection 0: the connections are not known (a CLI consumer reconnects
    // by itself), so only the second rule applies.
    auto& last = c.last_seq_by_connection[d.connection];
    const bool backwards = d.connection != 0 && d.seq < last;
    const bool late = !c.seqs.contains(d.seq) && d.seq < c.max_seq;
    if (backwards || late) {
      ++r.reorders;
      note.note(d.consumer + " received seq " + std::to_string(d.seq) + " after seq " +
                std::to_string(backwards ? last : c.max_seq) +
                (backwards ? " on the same connection" : ""));
    }
    last = std::max(last, d.seq);
    c.max_seq = std::max(c.max_seq, d.seq);
    c.seqs.insert(d.seq);
  }

  // Every stored alert reaches every required consumer of its recipients.
  std::unordered_set<std::string> undelivered;  // keys
  for (const auto& want : required) {
    const auto& got = consumers[want.consumer].keys;
    for (const auto& row : db.alerts) {
      if (!std::binary_search(row.recipients.begin(), row.recipients.end(), want.member)) continue;
      auto key = key_of(row.origin, row.alert_id);
      if (got.contains(key)) continue;
      if (undelivered.insert(key).second)
        note.note(want.consumer + " never received " + key + " (seq " + std::to_string(row.seq) +
                  ")");
    }
  }

  for (const auto& a : alerts) {
    ++r.alerts;
    r.attempts += a.attempts.size();
    auto key = key_of(a.origin, a.id);
    auto row = stored.find(key);
    const bool is_stored = row != stored.end();
    if (is_stored && row->second->recipients != a.recipients) {
      ++r.recipient_mismatch;
      note.note(key + " stored for " + join(row->second->recipients) + ", expected " +
                join(a.recipients));
    }
    switch (a.status()) {
      case alert_status::acknowledged:
        ++r.acknowledged;
        if (a.ack_duplicate) ++r.recovered;
        if (!is_stored) {
          ++r.lost;
          ++r.lost_absent;
          note.note("acknowledged as seq " + std::to_string(a.ack_seq) + " but not stored: " + key);
          break;
        }
        if (row->second->seq != a.ack_seq) {
          ++r.ack_seq_mismatch;
          note.note(key + " acknowledged as seq " + std::to_string(a.ack_seq) +
                    " but stored as seq " + std::to_string(row->second->seq));
        }
        if (undelivered.contains(key)) {
          ++r.lost;
          ++r.lost_undelivered;
        }
        break;
      case alert_status::failed:
        ++r.failed;
        if (is_stored && !a.had_indeterminate_attempt()) {
          ++r.failed_but_stored;
          note.note(key + " was refused with code " + std::to_string(a.attempts.back().code) +
                    " but is stored");
        } else if (is_stored) {
          ++r.recovered;
        }
        if (is_stored && undelivered.contains(key)) ++r.stored_undelivered;
        break;
      case alert_status::indeterminate:
        ++r.indeterminate;
        if (is_stored) {
          ++r.indeterminate_stored;
          ++r.recovered;
          if (undelivered.contains(key)) ++r.stored_undelivered;
        }
        break;
    }
  }
  return r;
}

std::string summary(const report& r, std::size_t cycles, const std::string& fault) {
  std::ostringstream s;
  s << r.acknowledged << " acknowledged alerts over " << cycles << " " << fault
    << " cycles: " << r.lost << " lost, " << (r.unexpected_rows + r.unexpected_deliveries)
    << " unexpected, " << r.duplicate_rows << " duplicate rows, " << r.duplicate_deliveries
    << " duplicate deliveries, " << r.recovered << " recovered"
    << " (alerts " << r.alerts << ", attempts " << r.attempts << ", failed " << r.failed
    << ", indeterminate " << r.indeterminate << " of which stored " << r.indeterminate_stored
    << ", deliveries " << r.deliveries << ", reorders " << r.reorders
    << ", lost absent/undelivered " << r.lost_absent << "/" << r.lost_undelivered
    << ", failed but stored " << r.failed_but_stored << ", ack seq mismatch " << r.ack_seq_mismatch
    << ", recipient mismatch " << r.recipient_mismatch << ", stored undelivered "
    << r.stored_undelivered << ", seq gaps " << r.seq_gaps << ")";
  return s.str();
}

}  // namespace liaison::faults

namespace liaison::faults {

escalation_report check_escalations(const std::vector<deadline_row>& deadlines,
                                    const std::vector<escalation_row>& escalations,
                                    std::uint32_t max_level,
                                    const std::vector<std::pair<wall, wall>>& downtime,
                                    std::chrono::milliseconds allowance) {
  escalation_report r;
  r.deadlines = deadlines.size();
  r.escalations = escalations.size();
  std::map<std::tuple<std::uint64_t, std::string, std::uint32_t>, std::size_t> seen;
  for (const auto& e : escalations) {
    ++seen[{e.seq, e.member, e.level}];
    // Lateness beyond the downtime that fell between the deadline and the escalation.
    double down_ms = 0;
    for (const auto& [from, to] : downtime) {
      auto lo = std::max(from, e.deadline), hi = std::min(to, e.at);
      if (hi > lo) down_ms += std::chrono::duration<double, std::milli>(hi - lo).count();
    }
    const double late_ms =
        std::chrono::duration<double, std::milli>(e.at - e.deadline).count() - down_ms;
    r.max_late_ms = std::max(r.max_late_ms, late_ms);
    if (late_ms > static_cast<double>(allowance.count())) {
      ++r.late;
      if (r.examples.size() < 10)
        r.examples.push_back("seq " + std::to_string(e.seq) + " " + e.member + " level " +
                             std::to_string(e.level) + " escalated " +
                             std::to_string(static_cast<long>(late_ms)) +
                             " ms after its deadline beyond the downtime");
    }
  }
  for (const auto& [key, n] : seen)
    if (n > 1) {
      r.duplicated += n - 1;
      if (r.examples.size() < 10)
        r.examples.push_back("seq " + std::to_string(std::get<0>(key)) + " " + std::get<1>(key) +
                             " level " + std::to_string(std::get<2>(key)) + " escalated " +
                             std::to_string(n) + " times");
    }
  for (const auto& d : deadlines) {
    // A closed deadline escalated up to where it stood; an open one, to the last level.
    const std::uint32_t expected = d.closed ? d.level : max_level;
    for (std::uint32_t level = 1; level <= expected; ++level)
      if (!seen.contains({d.seq, d.member, level})) {
        ++r.lost;
        if (r.examples.size() < 10)
          r.examples.push_back("seq " + std::to_string(d.seq) + " " + d.member + " level " +
                               std::to_string(level) + " never escalated");
      }
  }
  return r;
}

}  // namespace liaison::faults
