// Live fan-out of newly committed alerts to the consumers attached for each
// member, and exclusive ownership of durable consumer names. Holds only weak
// handles: consumers are owned by their connections.
#pragma once

#include "core/records.hpp"
#include "core/types.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace liaison::broker {

class consumer;

class hub {
 public:
  explicit hub(std::uint64_t last_seq) : last_seq_(last_seq) {}

  // Attaches a stream of `c` for live delivery of alerts addressed to
  // `member` (of priority `lane`, or of every priority), but only if nothing
  // after `position` has been fanned out yet; otherwise returns false and
  // the stream reads further from the database first. This check and the
  // attach are atomic with fan_out, so no alert falls between the backlog
  // and the live stream.
  bool attach(const std::shared_ptr<consumer>& c, const std::string& member,
              std::optional<core::priority> lane, std::uint64_t position);
  void detach(const consumer* c, const std::string& member, std::optional<core::priority> lane);

  // Consecutive committed alerts, in seq order (from the log follower, one
  // call at a time). Calls consumer::on_live outside the hub's lock.
  void fan_out(const std::vector<core::stored_alert_ptr>& alerts);

  std::uint64_t last_seq() const;

  // Makes `c` the active consumer for `key` unless another live consumer
  // holds it and `may_take` says no (asked with that holder); returns
  // whether it did, and the holder it replaced or that kept it (if alive).
  // Check and claim are one step: two connections never both win.
  struct claim_result {
    bool claimed = false;
    std::shared_ptr<consumer> other;
  };
  claim_result claim(const core::consumer_key& key, const std::shared_ptr<consumer>& c,
                     const std::function<bool(const consumer& holder)>& may_take);
  // Forgets `c` as the active consumer for `key` (if it still is).
  void release(const core::consumer_key& key, const consumer* c);

  std::size_t attached_count() const;
  // The consumers held on this node (claimed), for /metrics.
  std::vector<std::shared_ptr<const consumer>> held() const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t last_seq_;
  struct attached {
    std::weak_ptr<consumer> c;
    std::optional<core::priority> lane;
  };
  std::map<std::string, std::vector<attached>, std::less<>> by_member_;
  std::map<std::pair<std::string, std::string>, std::weak_ptr<consumer>> active_;
};

}  // namespace liaison::broker
