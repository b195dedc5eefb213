// Live delivery of notices to the connections they concern: a notice goes
// to every attached connection of a principal it names, and to every desk
// connection of a member it names; a PRESENCE notice reaches a member's
// desks only while they are on duty (a script that publishes needs no news
// of who is at their desk). Holds weak handles; connections own their sinks.
#pragma once

#include "broker/delivery_sink.hpp"
#include "core/rapid.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace liaison::broker {

class notice_hub {
 public:
  // `member` empty: the connection hears only what names its principal.
  // Returns a token for remove().
  std::uint64_t add(const std::string& principal, const std::string& member,
                    std::weak_ptr<notice_sink> sink);
  void remove(std::uint64_t token);
  void set_on_duty(std::uint64_t token, bool on_duty);

  // Each notice to each connection it concerns, once, outside the lock.
  void fan_out(const std::vector<core::notice_ptr>& notices);

  std::size_t attached() const;

 private:
  struct entry {
    std::string principal;
    std::string member;
    std::weak_ptr<notice_sink> sink;
    bool on_duty = false;
  };
  mutable std::mutex mutex_;
  std::uint64_t next_ = 0;
  std::map<std::uint64_t, entry> entries_;
};

}  // namespace liaison::broker
