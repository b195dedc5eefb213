// The open connections of a listener: enforces the connection limits (all
// together, and per principal once authenticated) and can stop them all
// (shutdown) or those of one principal (revocation). Holds stop functions
// only, never the sessions. Thread-safe.
#pragma once

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

class session_registry {
 public:
  session_registry(std::size_t max_total, std::size_t max_per_principal)
      : max_total_(max_total), max_per_principal_(max_per_principal) {}

  // Registers a new connection; nullopt when max_total are already open.
  // `stop` must be callable from any thread and only ask the session to end.
  std::optional<std::uint64_t> open(std::function<void()> stop);
  // Binds the connection to its principal and the serial number of its
  // certificate; false when that principal already has max_per_principal
  // connections (the caller then closes it).
  bool authenticate(std::uint64_t id, const std::string& principal,
                    const std::string& certificate_serial = {});
  void close(std::uint64_t id);

  void stop_all();
  void stop_principal(const std::string& principal);
  // Stops the connections whose certificate serial is in `serials` and
  // returns their principals (revocation).
  std::vector<std::string> stop_serials(const std::set<std::string>& serials);
  std::size_t count() const;
  std::size_t count(const std::string& principal) const;
  std::size_t max_per_principal() const { return max_per_principal_; }

 private:
  struct entry {
    std::string principal;
    std::string serial;
    std::function<void()> stop;
  };
  const std::size_t max_total_;
  const std::size_t max_per_principal_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, entry> sessions_;
  std::map<std::string, std::size_t, std::less<>> per_principal_;
};

}  // namespace liaison::net
