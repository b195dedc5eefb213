#include "app/node_metrics.hpp"

#include "app/tls_expiry.hpp"
#include "audit/failure_tally.hpp"
#include "broker/exchange.hpp"
#include "core/version.hpp"
#include "net/https_listener.hpp"
#include "net/native_listener.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <map>
#include <mutex>

namespace liaison::app {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;

// A counter whose total is kept elsewhere: at each scrape it is advanced by
// what the source counted since the last one.
struct mirrored_counter {
  Counter* counter = nullptr;
  double seen = 0;
  void follow(double total) {
    if (total > seen) counter->Increment(total - seen);
    seen = total;
  }
};

// Publish to commit, in seconds: group commit with synchronous_commit is a
// few milliseconds; the tail goes to seconds when the database is slow.
const prometheus::Histogram::BucketBoundaries latency_buckets = {
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};
// Deliveries from a backlog may come hours after the commit (a desk that was
// offline): the same fine buckets, then minutes to a day.
const prometheus::Histogram::BucketBoundaries delivery_buckets = {
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,  0.2,
    0.5,    1,     2,     5,     10,   60,   600,  3600, 86400};

}  // namespace

struct node_metrics::impl {
  prometheus::Registry registry;
  std::mutex render_mutex;  // scrapes may come on several io threads

  Gauge& gauge(const std::string& name, const std::string& help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
  }
  mirrored_counter counter(const std::string& name, const std::string& help) {
    return {&prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({})};
  }

  Gauge& database_up =
      gauge("liaison_database_up", "1 while the database accepts the writer's transactions.");
  mirrored_counter alerts =
      counter("liaison_alerts_committed_total", "Alerts committed by this node.");
  mirrored_counter batches = counter("liaison_commit_batches_total", "Group-commit transactions.");
  mirrored_counter failed_batches =
      counter("liaison_failed_batches_total", "Group-commit transactions that failed.");
  mirrored_counter audit_rows =
      counter("liaison_audit_rows_total", "Audit rows written by this node.");
  mirrored_counter audit_dropped =
      counter("liaison_audit_dropped_total", "Audit events that could not be written.");
  mirrored_counter rate_limited =
      counter("liaison_publishes_rate_limited_total",
              "Publishes refused because their member was over its publish rate.");
  mirrored_counter receipts =
      counter("liaison_receipts_total", "Receipts judged (recorded, duplicate or refused).");
  mirrored_counter notices = counter("liaison_notices_total", "Notices stored by this node.");
  Gauge& head = gauge("liaison_log_head_seq", "Highest seq fanned out by this node.");
  Gauge& live = gauge("liaison_live_consumers", "Consumers on the live path.");
  Gauge& native_connections =
      gauge("liaison_native_connections", "Open native-protocol connections.");
  Gauge& https_connections = gauge("liaison_https_connections", "Open HTTPS connections.");
  Gauge& streams = gauge("liaison_streams", "Open WebSocket streams.");
  Gauge& native_pending = gauge("liaison_native_pending_connections",
                                "Native connections still authenticating (TLS handshake).");
  Gauge& https_pending =
      gauge("liaison_https_pending_connections",
            "HTTPS connections handshaking or without a registered certificate.");

  // Group-commit sizes, from the writer's cumulative buckets: each scrape
  // adds what arrived since the previous one.
  prometheus::Histogram& batch_sizes = prometheus::BuildHistogram()
                                           .Name("liaison_commit_batch_requests")
                                           .Help(
                                               "Requests (publishes, acks, receipts, audit "
                                               "events, ...) per group-commit transaction.")
                                           .Register(registry)
                                           .Add({}, [] {
                                             prometheus::Histogram::BucketBoundaries b;
                                             for (auto v : store::writer_stats::batch_size_bounds)
                                               b.push_back(static_cast<double>(v));
                                             return b;
                                           }());
  decltype(store::writer_stats::batch_sizes) batch_sizes_seen{};
  std::uint64_t batch_requests_seen = 0;
  Family<Gauge>& pool_connections_family =
      prometheus::BuildGauge()
          .Name("liaison_database_pool_connections")
          .Help("Database connections up now: the writer (one) and the consumers' reader pool.")
          .Register(registry);
  Gauge& writer_connections = pool_connections_family.Add({{"pool", "writer"}});
  Gauge& reader_connections = pool_connections_family.Add({{"pool", "reader"}});
  Family<Gauge>& pool_queued_family =
      prometheus::BuildGauge()
          .Name("liaison_database_pool_queued")
          .Help("Requests waiting for a database connection, by pool.")
          .Register(registry);
  Gauge& writer_queued = pool_queued_family.Add({{"pool", "writer"}});
  Gauge& reader_queued = pool_queued_family.Add({{"pool", "reader"}});

  Family<Counter>& failures_family = prometheus::BuildCounter()
                                         .Name("liaison_authentication_failures_total")
                                         .Help("Connections that did not authenticate, by reason.")
                                         .Register(registry);
  std::array<mirrored_counter, audit::auth_failure_kinds> failures = [this] {
    std::array<mirrored_counter, audit::auth_failure_kinds> out;
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i].counter = &failures_family.Add(
          {{"reason", std::string(audit::to_string(static_cast<audit::auth_failure>(i)))}});
    return out;
  }();

  Family<Gauge>& on_duty_family =
      prometheus::BuildGauge()
          .Name("liaison_member_desks_on_duty")
          .Help(
              "Desks of the member connected and on duty, all nodes together, as this node "
              "last learnt it.")
          .Register(registry);
  std::map<std::string, Gauge*> on_duty;  // by member code

  Family<Gauge>& expiry_family =
      prometheus::BuildGauge()
          .Name("liaison_certificate_expiry_seconds")
          .Help(
              "Seconds until the server certificate or the CA certificate expires, or the CRL "
              "is due (after which every handshake fails); negative once passed.")
          .Register(registry);

  Family<Counter>& reloads_family = prometheus::BuildCounter()
                                        .Name("liaison_reloads_total")
                                        .Help("SIGHUP reloads, applied (ok) or refused.")
                                        .Register(registry);
  Counter& reloads_ok = reloads_family.Add({{"outcome", "ok"}});
  Counter& reloads_refused = reloads_family.Add({{"outcome", "refused"}});
  Gauge& last_reload = gauge("liaison_last_reload_timestamp_seconds",
                             "When the last reload was applied or refused (Unix time).");

  Family<Gauge>& lag_seqs_family =
      prometheus::BuildGauge()
          .Name("liaison_consumer_lag_seqs")
          .Help(
              "Seqs between the log's head and a consumer held on this node, while it reads "
              "its backlog (0 on the live path).")
          .Register(registry);
  Family<Gauge>& lag_seconds_family =
      prometheus::BuildGauge()
          .Name("liaison_consumer_lag_seconds")
          .Help(
              "While a consumer held on this node reads its backlog: the age of the last alert "
              "it was given, i.e. how far behind real time it is (0 on the live path).")
          .Register(registry);
  struct lag_series {
    Gauge* seqs = nullptr;
    Gauge* seconds = nullptr;
  };
  std::map<std::pair<std::string, std::string>, lag_series> lags;  // (principal, consumer)

  prometheus::Histogram& publish_commit =
      prometheus::BuildHistogram()
          .Name("liaison_publish_commit_seconds")
          .Help("From a publish reaching the exchange to the commit that acknowledges it.")
          .Register(registry)
          .Add({}, latency_buckets);
  prometheus::Histogram& commit_delivery =
      prometheus::BuildHistogram()
          .Name("liaison_commit_delivery_seconds")
          .Help(
              "From an alert's commit to the write of its delivery to a consumer's connection "
              "on this node, live or from the backlog (one observation per delivery).")
          .Register(registry)
          .Add({}, delivery_buckets);
};

node_metrics::node_metrics(std::string node_id) : impl_(std::make_unique<impl>()) {
  prometheus::BuildGauge()
      .Name("liaison_build_info")
      .Help("Always 1; the labels say which liaisond this is.")
      .Register(impl_->registry)
      .Add({{"version", std::string(core::version())},
            {"commit", std::string(core::commit())},
            {"node", std::move(node_id)}})
      .Set(1);
}

node_metrics::~node_metrics() = default;

void node_metrics::publish_committed(std::chrono::steady_clock::duration took) {
  impl_->publish_commit.Observe(std::chrono::duration<double>(took).count());
}

void node_metrics::delivery_written(std::chrono::microseconds took) {
  impl_->commit_delivery.Observe(std::max(0.0, std::chrono::duration<double>(took).count()));
}

void node_metrics::reloaded(bool applied, std::chrono::system_clock::time_point at) {
  (applied ? impl_->reloads_ok : impl_->reloads_refused).Increment();
  impl_->last_reload.Set(std::chrono::duration<double>(at.time_since_epoch()).count());
}

std::string node_metrics::render(const broker::exchange& exchange, net::native_listener& native,
                                 net::https_listener& https, const audit::failure_tally& failures,
                                 const tls_expiry& expiry) {
  auto& m = *impl_;
  std::lock_guard lock(m.render_mutex);
  const auto w = exchange.writer_stats();
  m.database_up.Set(exchange.ready() ? 1 : 0);
  {
    std::vector<double> increments(w.batch_sizes.size());
    bool any = false;
    for (std::size_t i = 0; i < w.batch_sizes.size(); ++i) {
      increments[i] = static_cast<double>(w.batch_sizes[i] - m.batch_sizes_seen[i]);
      any = any || increments[i] > 0;
    }
    if (any)
      m.batch_sizes.ObserveMultiple(increments,
                                    static_cast<double>(w.batch_requests - m.batch_requests_seen));
    m.batch_sizes_seen = w.batch_sizes;
    m.batch_requests_seen = w.batch_requests;
  }
  const auto [reader_up, reader_waiting] = exchange.reader_pool();
  m.writer_connections.Set(exchange.ready() ? 1 : 0);
  m.reader_connections.Set(static_cast<double>(reader_up));
  m.writer_queued.Set(static_cast<double>(w.queued));
  m.reader_queued.Set(static_cast<double>(reader_waiting));
  m.alerts.follow(static_cast<double>(w.alerts_committed));
  m.batches.follow(static_cast<double>(w.batches));
  m.failed_batches.follow(static_cast<double>(w.failed_batches));
  m.audit_rows.follow(static_cast<double>(w.audit_rows));
  m.audit_dropped.follow(static_cast<double>(w.audit_dropped));
  m.rate_limited.follow(static_cast<double>(exchange.rate_limited()));
  m.receipts.follow(static_cast<double>(w.receipts));
  m.notices.follow(static_cast<double>(w.notices));
  m.head.Set(static_cast<double>(exchange.live_hub().last_seq()));
  m.live.Set(static_cast<double>(exchange.live_hub().attached_count()));
  m.native_connections.Set(static_cast<double>(native.sessions().count()));
  m.https_connections.Set(static_cast<double>(https.connections().count()));
  m.streams.Set(static_cast<double>(https.streams().count()));
  m.native_pending.Set(static_cast<double>(native.sessions().pending()));
  m.https_pending.Set(static_cast<double>(https.connections().pending()));
  const auto totals = failures.totals();
  for (std::size_t i = 0; i < m.failures.size() && i < totals.size(); ++i)
    m.failures[i].follow(static_cast<double>(totals[i]));

  // One series per member of the registry (27), never per connection.
  const auto presence = exchange.presence_snapshot();
  for (const auto& member : exchange.registry()->data().members) {
    auto& g = m.on_duty[member.code];
    if (!g) g = &m.on_duty_family.Add({{"member", member.code}});
    auto it = presence.find(member.code);
    g->Set(it == presence.end() ? 0 : it->second.desks_on_duty);
  }
  // The consumers held on this node: as many series as it has consumers,
  // and a series goes when its consumer does.
  const auto head = exchange.live_hub().last_seq();
  const auto now = exchange.now();
  std::map<std::pair<std::string, std::string>, impl::lag_series> held;
  for (const auto& c : exchange.live_hub().held()) {
    const auto figures = c->lag(head, now);
    const auto key = std::make_pair(c->key().principal, c->key().name);
    auto it = m.lags.find(key);
    impl::lag_series series;
    if (it != m.lags.end()) {
      series = it->second;
    } else {
      const prometheus::Labels labels{{"principal", key.first}, {"consumer", key.second}};
      series = {&m.lag_seqs_family.Add(labels), &m.lag_seconds_family.Add(labels)};
    }
    series.seqs->Set(static_cast<double>(figures.seqs));
    series.seconds->Set(figures.seconds);
    held.emplace(key, series);
  }
  for (const auto& [key, series] : m.lags)
    if (!held.contains(key)) {
      m.lag_seqs_family.Remove(series.seqs);
      m.lag_seconds_family.Remove(series.seconds);
    }
  m.lags = std::move(held);

  for (const auto& [which, seconds] : expiry.seconds_left(std::chrono::system_clock::now()))
    m.expiry_family.Add({{"certificate", which}}).Set(static_cast<double>(seconds));

  return prometheus::TextSerializer().Serialize(m.registry.Collect());
}

}  // namespace liaison::app
