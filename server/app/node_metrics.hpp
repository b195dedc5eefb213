// liaisond's /metrics: a prometheus-cpp registry whose text exposition the
// HTTPS route serves to the admin principal. Counters and gauges kept
// elsewhere (the writer's, the listeners', the failure tally's) are copied
// in at each scrape; what only exists here (reloads, the publish latency
// histogram, build info) is recorded as it happens. Label sets are bounded:
// 27 members, a handful of reasons, never one series per alert or
// connection.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace liaison::audit {
class failure_tally;
}
namespace liaison::broker {
class exchange;
}
namespace liaison::net {
class native_listener;
class https_listener;
}  // namespace liaison::net

namespace liaison::app {

class tls_expiry;

class node_metrics {
 public:
  node_metrics(std::string node_id);
  ~node_metrics();
  node_metrics(const node_metrics&) = delete;
  node_metrics& operator=(const node_metrics&) = delete;

  // From any thread: a publish took `took` from its arrival at the exchange
  // to the commit that acknowledged it.
  void publish_committed(std::chrono::steady_clock::duration took);
  // From any thread: the delivery of an alert was written `took` after the
  // alert's commit (wall clock; a clock step can make it negative: clamped).
  void delivery_written(std::chrono::microseconds took);
  // From the reload thread: a SIGHUP reload was applied (true) or refused.
  void reloaded(bool applied, std::chrono::system_clock::time_point at);

  // The text exposition, everything read now. Called on an io thread; it
  // reads counters and takes short locks, never files or the database.
  std::string render(const broker::exchange& exchange, net::native_listener& native,
                     net::https_listener& https, const audit::failure_tally& failures,
                     const tls_expiry& expiry);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::app
