#include "store/audit_store.hpp"

#include "store/detail/history_sql.hpp"
#include "store/detail/query_pool.hpp"
#include "store/detail/tree_sql.hpp"

namespace liaison::store {
namespace {

// Timeline rows returned for one alert; more are flagged as truncated.
constexpr std::size_t max_timeline_events = 2000;

}  // namespace

struct audit_store::impl {
  explicit impl(detail::query_pool_options o) : pool(std::move(o)) {}
  detail::query_pool pool;

  template <class T, class Query>
  void run(Query query, answer<T> done) {
    pool.submit<T>(std::function<core::result<T>(pqxx::connection&)>(std::move(query)),
                   std::move(done));
  }
};

audit_store::audit_store(config::database_section database, config::audit_section audit) {
  detail::query_pool_options o;
  o.database = std::move(database);
  o.name = "auditor queries";
  o.threads = audit.query_threads;
  o.read_only = true;
  o.statement_timeout = audit.query_timeout;
  o.timeout_message = "the query took longer than audit.query_timeout; narrow the filters";
  impl_ = std::make_unique<impl>(std::move(o));
}

audit_store::~audit_store() {
  stop();
}

void audit_store::start() {
  impl_->pool.start();
}
void audit_store::stop() {
  impl_->pool.stop();
}

void audit_store::list_alerts(audit::alert_filter filter, std::uint64_t after, std::size_t limit,
                              std::optional<std::uint64_t> up_to, answer<alert_page> done) {
  impl_->run<alert_page>(
      [filter = std::move(filter), after, limit,
       up_to](pqxx::connection& c) -> core::result<alert_page> {
        return detail::read_alert_page(c, filter, after, limit, up_to);
      },
      std::move(done));
}

void audit_store::alert(std::string alert_id, std::string origin, answer<alert_detail> done) {
  impl_->run<alert_detail>(
      [alert_id = std::move(alert_id), origin = std::move(origin)](pqxx::connection& c) {
        return detail::read_alert_detail(c, alert_id, origin, max_timeline_events);
      },
      std::move(done));
}

void audit_store::list_audit(audit::audit_filter filter, std::uint64_t after, std::size_t limit,
                             std::optional<std::uint64_t> up_to, answer<audit_page> done) {
  impl_->run<audit_page>(
      [filter = std::move(filter), after, limit,
       up_to](pqxx::connection& c) -> core::result<audit_page> {
        return detail::read_audit_page(c, filter, after, limit, up_to);
      },
      std::move(done));
}

void audit_store::verify_chain(std::uint64_t from, std::optional<std::uint64_t> to,
                               answer<chain_report> done) {
  impl_->run<chain_report>(
      [from, to](pqxx::connection& c) -> core::result<chain_report> {
        return detail::verify_chain(c, from, to);
      },
      std::move(done));
}

void audit_store::tree_heads(std::uint64_t after_id, std::size_t limit,
                             answer<tree_heads_page> done) {
  impl_->run<tree_heads_page>(
      [after_id, limit](pqxx::connection& c) -> core::result<tree_heads_page> {
        return detail::read_tree_heads(c, after_id, limit);
      },
      std::move(done));
}

void audit_store::inclusion(std::uint64_t index, std::uint64_t tree_size,
                            answer<inclusion_answer> done) {
  impl_->run<inclusion_answer>(
      [index, tree_size](pqxx::connection& c) {
        return detail::read_inclusion(c, index, tree_size);
      },
      std::move(done));
}

void audit_store::consistency(std::uint64_t first, std::uint64_t second,
                              answer<consistency_answer> done) {
  impl_->run<consistency_answer>(
      [first, second](pqxx::connection& c) { return detail::read_consistency(c, first, second); },
      std::move(done));
}

}  // namespace liaison::store
