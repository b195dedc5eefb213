// Rows of liaisond's database that the benchmark reports per second: alerts,
// their recipients and audit rows. Read through the benchmark's own
// connection (never the server's code): log_head and audit_head give exact
// counts cheaply; alert_recipients is counted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace liaison::bench {

class db_rows {
 public:
  struct counts {
    std::uint64_t alerts = 0;
    std::uint64_t recipients = 0;
    std::uint64_t audit = 0;
    std::uint64_t total() const { return alerts + recipients + audit; }
  };
  explicit db_rows(const std::string& url);  // throws on connection failure
  ~db_rows();
  counts read();
  // Group commits that created alerts with after_seq < seq <= up_to: every
  // alert of one batch has the batch's received_at.
  std::uint64_t publish_batches(std::uint64_t after_seq, std::uint64_t up_to);
  static std::string describe(const counts& from, const counts& to);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::bench
