// The open connections of a listener, in two budgets. Connections still
// authenticating (the TLS handshake, and HTTPS connections that never present
// a registered certificate) are "pending": at most max_pending of them, at
// most max_pending_per_address from one source address. Authenticated ones
// are counted apart: at most max_authenticated, at most max_per_principal for
// one principal. Strangers can fill neither the authenticated budget nor,
// from one address, the pending one. When a pending budget is full, a
// newcomer replaces the oldest pending connection that has already waited
// `evict_after` (a connection that is just handshaking is never replaced), so
// a flood of silent sockets cannot lock a desk out of its handshake.
//
// Holds stop functions only, never the sessions; can stop all connections
// (shutdown), those of a principal, or those of revoked certificates.
// Thread-safe; time is passed in.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace liaison::net {

struct registry_limits {
  std::size_t max_authenticated = 4096;
  std::size_t max_per_principal = 16;
  std::size_t max_pending = 512;
  std::size_t max_pending_per_address = 64;
  std::chrono::steady_clock::duration evict_after = std::chrono::seconds(1);
};

class session_registry {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit session_registry(registry_limits limits) : limits_(limits) {}

  // Registers a pending connection from `address`, making room by stopping
  // the oldest stale pending one if needed; nullopt when there is no room.
  // `stop` must be callable from any thread and only ask the session to end.
  std::optional<std::uint64_t> open(const std::string& address, std::function<void()> stop,
                                    time_point now);

  enum class admission { ok, full, principal_full, gone };
  // Moves a pending connection into the authenticated budget, bound to its
  // principal and certificate serial. `full`: max_authenticated are open;
  // `principal_full`: the principal has max_per_principal; `gone`: the
  // connection was replaced meanwhile. The caller closes it on refusal.
  admission authenticate(std::uint64_t id, const std::string& principal,
                         const std::string& certificate_serial = {});
  void close(std::uint64_t id);

  void stop_all();
  void stop_principal(const std::string& principal);
  // Stops the connections whose certificate serial is in `serials` and
  // returns their principals (revocation).
  std::vector<std::string> stop_serials(const std::set<std::string>& serials);

  // The authenticated connections, oldest first (the operators' view).
  struct connection_info {
    std::uint64_t id = 0;
    std::string address;
    std::string principal;
    std::string certificate_serial;
    time_point opened;
  };
  std::vector<connection_info> authenticated_connections() const;

  std::size_t count() const;          // every connection
  std::size_t authenticated() const;  // the authenticated budget
  std::size_t pending() const;        // the pending budget
  std::size_t count(const std::string& principal) const;
  const registry_limits& limits() const { return limits_; }

 private:
  struct entry {
    std::string address;
    std::string principal;  // empty while pending
    std::string serial;
    time_point opened;
    std::function<void()> stop;
  };
  // The oldest pending entry (of `address`, or of any when empty) that has
  // waited evict_after; sessions_.end() when none.
  std::map<std::uint64_t, entry>::iterator stale_pending(const std::string* address,
                                                         time_point now);
  void forget_pending(std::map<std::uint64_t, entry>::iterator it);

  const registry_limits limits_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, entry> sessions_;
  std::size_t pending_ = 0;
  std::map<std::string, std::size_t, std::less<>> pending_per_address_;
  std::map<std::string, std::size_t, std::less<>> per_principal_;
};

}  // namespace liaison::net
