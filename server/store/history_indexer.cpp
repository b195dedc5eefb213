#include "store/history_indexer.hpp"

#include "core/audit_event.hpp"
#include "store/detail/db_worker.hpp"
#include "store/detail/sql_codec.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace liaison::store {
namespace {

constexpr std::size_t alerts_per_step = 500;
constexpr std::size_t audit_rows_per_step = 5000;
constexpr auto poll = std::chrono::milliseconds(250);

// The seqs an audit row's detail names: consumer.deliver {"seqs": [...]},
// consumer.withhold {"seq": N}. Malformed details name nothing.
std::vector<std::uint64_t> seqs_of(std::string_view action, const nlohmann::json& detail) {
  std::vector<std::uint64_t> out;
  if (!detail.is_object()) return out;
  if (action == core::audit_action::deliver) {
    auto it = detail.find("seqs");
    if (it != detail.end() && it->is_array())
      for (const auto& s : *it)
        if (s.is_number_unsigned()) out.push_back(s.get<std::uint64_t>());
  } else {
    auto it = detail.find("seq");
    if (it != detail.end() && it->is_number_unsigned()) out.push_back(it->get<std::uint64_t>());
  }
  return out;
}

}  // namespace

struct history_indexer::impl {
  explicit impl(payload_decoder d) : decode(std::move(d)) {}
  const payload_decoder decode;
  std::unique_ptr<detail::db_worker> loop;

  bool step(pqxx::connection& c);
  std::size_t index_alerts(pqxx::work& tx, std::uint64_t& after);
  std::size_t index_audit(pqxx::work& tx, std::uint64_t& after);
};

std::size_t history_indexer::impl::index_alerts(pqxx::work& tx, std::uint64_t& after) {
  auto rows = tx.exec_params(
      "SELECT seq, payload, subject FROM alerts WHERE seq > $1 ORDER BY seq LIMIT $2", after,
      alerts_per_step);
  if (rows.empty()) return 0;
  detail::sql_array seqs, subjects, bodies, entities, entity_text;
  for (const auto& row : rows) {
    const auto seq = detail::seq_from(row[0]);
    auto text = decode(detail::bytea_from(row[1]));
    if (!text) {
      spdlog::warn(
          "history index: the payload of seq {} does not decode; indexed without body and entities",
          seq);
      text = search_text{};
    }
    std::vector<std::string> pairs;
    std::string values;
    for (const auto& [type, value] : text->entities) {
      pairs.push_back(detail::storable_text(type + ":" + value));
      values += detail::storable_text(value) + " ";
    }
    seqs.add(seq);
    subjects.add(row[2].c_str());
    bodies.add(detail::storable_text(text->body));
    entities.add(detail::sql_text_array(pairs));
    entity_text.add(values);
    after = seq;
  }
  tx.exec_params(
      // The subject comes with the rows read above: joining `alerts` here
      // let the planner scan the whole table for every step.
      "INSERT INTO alert_search (seq, body, entities, document) "
      "SELECT u.seq, u.body, u.entities::text[], setweight(to_tsvector('simple', u.subject), 'A') "
      "|| to_tsvector('simple', u.body) || to_tsvector('simple', u.entity_text) "
      "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) "
      "AS u(seq, subject, body, entities, entity_text) ON CONFLICT (seq) DO NOTHING",
      seqs.take(), subjects.take(), bodies.take(), entities.take(), entity_text.take());
  return rows.size();
}

std::size_t history_indexer::impl::index_audit(pqxx::work& tx, std::uint64_t& after) {
  auto rows = tx.exec_params(
      "SELECT id, action, outcome, CASE WHEN action IN ($3, $4, $5) THEN detail END FROM audit_log "
      "WHERE id > $1 ORDER BY id LIMIT $2",
      after, audit_rows_per_step, std::string(core::audit_action::deliver),
      std::string(core::audit_action::withhold), std::string(core::audit_action::ack));
  if (rows.empty()) return 0;
  detail::sql_array event_seqs, event_ids, ack_ids, ack_members, ack_from, ack_to;
  bool events = false, acks = false;
  for (const auto& row : rows) {
    const auto id = detail::seq_from(row[0]);
    after = std::max(after, id);
    if (row[3].is_null()) continue;
    const std::string action = row[1].c_str();
    const auto detail = nlohmann::json::parse(row[3].c_str(), nullptr, false);
    if (action == core::audit_action::ack) {
      // Only acknowledgements that moved a cursor count.
      if (std::string_view(row[2].c_str()) != "ok" || !detail.is_object()) continue;
      const auto member = detail.value("member", nlohmann::json()),
                 from = detail.value("from_seq", nlohmann::json()),
                 to = detail.value("up_to_seq", nlohmann::json());
      if (!member.is_string() || !from.is_number_unsigned() || !to.is_number_unsigned() ||
          from.get<std::uint64_t>() > to.get<std::uint64_t>())
        continue;
      ack_ids.add(id);
      ack_members.add(detail::storable_text(member.get<std::string>()));
      ack_from.add(from.get<std::uint64_t>());
      ack_to.add(to.get<std::uint64_t>());
      acks = true;
      continue;
    }
    for (auto seq : seqs_of(action, detail)) {
      event_seqs.add(seq);
      event_ids.add(id);
      events = true;
    }
  }
  if (events)
    tx.exec_params(
        "INSERT INTO alert_events (seq, audit_id) SELECT * FROM unnest($1::bigint[], $2::bigint[]) "
        "ON CONFLICT DO NOTHING",
        event_seqs.take(), event_ids.take());
  if (acks)
    tx.exec_params(
        "INSERT INTO ack_ranges (audit_id, member, from_seq, up_to_seq) "
        "SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[]) ON CONFLICT DO "
        "NOTHING",
        ack_ids.take(), ack_members.take(), ack_from.take(), ack_to.take());
  return rows.size();
}

bool history_indexer::impl::step(pqxx::connection& c) {
  pqxx::work tx(c);
  auto look = tx.exec1(
      "SELECT s.alerts_seq < (SELECT last_seq FROM log_head) OR s.audit_id < (SELECT last_id FROM "
      "audit_head) "
      "FROM history_index_state s");
  if (!look[0].as<bool>()) {
    tx.commit();
    return false;
  }
  auto state = tx.exec1("SELECT alerts_seq, audit_id FROM history_index_state FOR UPDATE");
  std::uint64_t alerts_seq = detail::seq_from(state[0]), audit_id = detail::seq_from(state[1]);
  const auto alerts = index_alerts(tx, alerts_seq);
  const auto audit_rows = index_audit(tx, audit_id);
  tx.exec_params("UPDATE history_index_state SET alerts_seq = $1, audit_id = $2", alerts_seq,
                 audit_id);
  tx.commit();
  return alerts == alerts_per_step || audit_rows == audit_rows_per_step;
}

history_indexer::history_indexer(config::database_section database, payload_decoder decode)
    : impl_(std::make_unique<impl>(std::move(decode))) {
  impl_->loop = std::make_unique<detail::db_worker>(
      std::move(database), "history indexer", [this](pqxx::connection& c) {
        return impl_->step(c) ? detail::db_worker::duration::zero()
                              : detail::db_worker::duration(poll);
      });
}

history_indexer::~history_indexer() {
  stop();
}

void history_indexer::start() {
  impl_->loop->start();
}
void history_indexer::stop() {
  impl_->loop->stop();
}
void history_indexer::wake() {
  impl_->loop->wake();
}

}  // namespace liaison::store
