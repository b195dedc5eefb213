#include "store/reader.hpp"

#include "store/detail/db.hpp"
#include "store/detail/log_queries.hpp"
#include "store/detail/query_pool.hpp"
#include "store/detail/rapid_queries.hpp"

#include <limits>

namespace liaison::store {

struct reader::impl {
  explicit impl(config::database_section o) : options(o), pool(pool_options(std::move(o))) {}

  static detail::query_pool_options pool_options(config::database_section database) {
    detail::query_pool_options o;
    o.threads = database.reader_threads;
    o.database = std::move(database);
    o.name = "store reader";
    // Each consumer has at most one read outstanding, so the consumers bound
    // the queue; refusing a read here would only turn a slow database into
    // an error for a consumer that can wait.
    o.queue_max = std::numeric_limits<std::size_t>::max();
    o.prepare = [](pqxx::connection& c) {
      detail::prepare_log_queries(c);
      detail::prepare_rapid_queries(c);
    };
    return o;
  }

  template <class T, class Query>
  void run(Query query, std::function<void(core::result<T>)> done) {
    pool.submit<T>(std::function<core::result<T>(pqxx::connection&)>(std::move(query)),
                   std::move(done));
  }

  const config::database_section options;
  detail::query_pool pool;
};

reader::reader(config::database_section options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

reader::~reader() {
  stop();
}

void reader::start() {
  impl_->pool.start();
}

void reader::stop() {
  impl_->pool.stop();
}

void reader::fetch_backlog(std::string member, std::uint64_t after_seq, std::size_t limit,
                           std::optional<core::priority> lane,
                           std::function<void(core::result<core::backlog_page>)> done) {
  impl_->run<core::backlog_page>(
      [member = std::move(member), after_seq, limit, lane](pqxx::connection& c) {
        return core::result<core::backlog_page>(
            detail::read_backlog(c, member, after_seq, limit, lane));
      },
      std::move(done));
}

void reader::open_consumer(core::consumer_key consumer, std::string member,
                           std::function<void(core::result<core::consumer_state>)> done) {
  impl_->run<core::consumer_state>(
      [consumer = std::move(consumer), member = std::move(member)](pqxx::connection& c) {
        return detail::open_consumer(c, consumer, member);
      },
      std::move(done));
}

void reader::fetch_status(std::string alert_id, std::string origin, std::string member,
                          std::function<void(core::result<core::alert_status>)> done) {
  impl_->run<core::alert_status>(
      [alert_id = std::move(alert_id), origin = std::move(origin), member = std::move(member)](
          pqxx::connection& c) { return detail::read_alert_status(c, alert_id, origin, member); },
      std::move(done));
}

void reader::fetch_presence(
    std::function<void(core::result<std::vector<core::member_presence>>)> done) {
  impl_->run<std::vector<core::member_presence>>(
      [](pqxx::connection& c) {
        return core::result<std::vector<core::member_presence>>(detail::read_member_presence(c));
      },
      std::move(done));
}

void reader::fetch_notices(std::string principal, std::string member, std::uint64_t after_id,
                           std::size_t limit,
                           std::function<void(core::result<std::vector<core::notice>>)> done) {
  impl_->run<std::vector<core::notice>>(
      [principal = std::move(principal), member = std::move(member), after_id,
       limit](pqxx::connection& c) {
        return core::result<std::vector<core::notice>>(
            detail::read_notices_for(c, principal, member, after_id, limit));
      },
      std::move(done));
}

void reader::fetch_amendment_targets(
    std::string alert_id,
    std::function<void(core::result<std::vector<core::amendment_target>>)> done) {
  impl_->run<std::vector<core::amendment_target>>(
      [alert_id = std::move(alert_id)](pqxx::connection& c) {
        return core::result<std::vector<core::amendment_target>>(
            detail::read_amendment_targets(c, alert_id));
      },
      std::move(done));
}

void reader::fetch_consumers(
    std::size_t limit, std::uint64_t pending_cap,
    std::function<void(core::result<std::vector<core::consumer_overview>>)> done) {
  impl_->run<std::vector<core::consumer_overview>>(
      [limit, pending_cap](pqxx::connection& c) {
        return core::result<std::vector<core::consumer_overview>>(
            detail::read_consumer_overview(c, limit, pending_cap));
      },
      std::move(done));
}

std::size_t reader::connected() const {
  return impl_->pool.connected();
}

std::size_t reader::queued() const {
  return impl_->pool.queued();
}

std::uint64_t reader::log_head_blocking() {
  try {
    detail::session s(impl_->options.url, "liaisond store reader (start-up)");
    detail::prepare_log_queries(s.conn());
    return detail::read_log_head(s.conn());
  } catch (...) {
    auto f = detail::classify_current_exception(true);
    throw std::runtime_error("cannot read the log head from the database: " + f.what);
  }
}

}  // namespace liaison::store
