// The auditors' query parameters: what is accepted, and that SQL
// metacharacters in closed vocabularies, huge limits, malformed cursors and
// malformed times are refused with a message that names the parameter.
#include "audit/history_query.hpp"

#include "audit/encoding.hpp"

#include <gtest/gtest.h>

namespace liaison::audit {
namespace {

const query_limits limits{};

query_params p(std::initializer_list<std::pair<const char*, const char*>> items) {
  query_params out;
  for (auto [k, v] : items) out.emplace_back(k, v);
  return out;
}

// The error message of a refused alert query ("" when it was accepted).
std::string refused(const query_params& params) {
  auto q = parse_alert_query(params, limits);
  if (q) return "";
  EXPECT_EQ(q.error().code, core::errc::invalid_argument);
  return q.error().message;
}

std::string refused_audit(const query_params& params) {
  auto q = parse_audit_query(params, limits);
  return q ? "" : q.error().message;
}

TEST(HistoryQueryTest, AlertFiltersAreParsed) {
  auto q = parse_alert_query(p({{"origin", "at,DE"},
                                {"recipient", "HU"},
                                {"category", "vehicle,SMUGGLING_ROUTE"},
                                {"priority", "FLASH"},
                                {"kind", "warning"},
                                {"handling", "AMBER+STRICT,RED,H2"},
                                {"entity", "vehicle-plate:W-12345X"},
                                {"entity", "PHONE:+43 660 1234567"},
                                {"q", "white van \"Nickelsdorf\""},
                                {"from", "2026-03-01"},
                                {"to", "2026-03-02T12:00:00+01:00"},
                                {"limit", "500"},
                                {"justification", "case 2026/17"}}),
                             limits);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->filter.origins, (std::vector<std::string>{"AT", "DE"}));
  EXPECT_EQ(q->filter.recipients, (std::vector<std::string>{"HU"}));
  EXPECT_EQ(q->filter.categories,
            (std::vector{core::category::vehicle, core::category::smuggling_route}));
  EXPECT_EQ(q->filter.priorities, (std::vector{core::priority::flash}));
  EXPECT_EQ(q->filter.kinds, (std::vector{core::alert_kind::warning}));
  EXPECT_EQ(q->filter.tlps, (std::vector{core::tlp::amber_strict, core::tlp::red}));
  EXPECT_EQ(q->filter.restrictions, (std::vector{core::restriction::h2}));
  EXPECT_EQ(q->filter.entities,
            (std::vector<std::string>{"VEHICLE_PLATE:W-12345X", "PHONE:+43 660 1234567"}));
  EXPECT_EQ(q->filter.text, "white van \"Nickelsdorf\"");
  ASSERT_TRUE(q->filter.from && q->filter.to);
  EXPECT_EQ(*q->filter.to - *q->filter.from, std::chrono::hours(35));
  EXPECT_EQ(q->page.limit, 500u);
  EXPECT_EQ(q->page.after, 0u);
  EXPECT_EQ(q->page.format, export_format::json);
}

TEST(HistoryQueryTest, DefaultsAndExports) {
  auto q = parse_alert_query({}, limits);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->page.limit, 100u);
  auto csv = parse_alert_query(p({{"format", "csv"}}), limits);
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->page.format, export_format::csv);
  EXPECT_NE(refused(p({{"format", "csv"}, {"limit", "10"}})).find("limit"), std::string::npos);
  EXPECT_NE(refused(p({{"format", "xml"}})).find("format"), std::string::npos);
}

TEST(HistoryQueryTest, SqlMetacharactersInClosedVocabulariesAreRefused) {
  EXPECT_NE(refused(p({{"origin", "AT' OR '1'='1"}})).find("origin"), std::string::npos);
  EXPECT_NE(refused(p({{"recipient", "HU;DROP TABLE alerts"}})).find("recipient"),
            std::string::npos);
  EXPECT_NE(refused(p({{"category", "VEHICLE'--"}})).find("category"), std::string::npos);
  EXPECT_NE(refused(p({{"handling", "RED)"}})).find("handling"), std::string::npos);
  EXPECT_NE(refused(p({{"entity", "PLATE'--:x"}})).find("entity"), std::string::npos);
  EXPECT_NE(refused_audit(p({{"actor", "x' OR '1'='1"}})).find("actor"), std::string::npos);
  EXPECT_NE(refused_audit(p({{"action", "alert.publish;--"}})).find("action"), std::string::npos);
  EXPECT_NE(refused_audit(p({{"subject", "a b"}})).find("subject"), std::string::npos);
  // Free text is free: it reaches the database only as a bound parameter.
  EXPECT_EQ(refused(p({{"q", "'; DROP TABLE alerts; --"}})), "");
  EXPECT_NE(refused(p({{"q", "\xff\xfe"}})).find("UTF-8"), std::string::npos);
  EXPECT_NE(refused(p({{"q", std::string(300, 'x').c_str()}})).find("q"), std::string::npos);
}

TEST(HistoryQueryTest, LimitsMustBeSmallPositiveIntegers) {
  for (const char* bad :
       {"0", "1001", "-1", "1e3", "99999999999999999999999", "", " 5", "5 ", "0x10"})
    EXPECT_NE(refused(p({{"limit", bad}})).find("limit must be an integer from 1 to 1000"),
              std::string::npos)
        << bad;
  EXPECT_EQ(refused(p({{"limit", "1000"}})), "");
}

TEST(HistoryQueryTest, CursorsRoundTripAndAreCheckedStrictly) {
  auto c = encode_cursor(cursor_kind::alerts, 12345);
  auto q = parse_alert_query(query_params{{"cursor", c}}, limits);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->page.after, 12345u);
  EXPECT_EQ(decode_cursor(cursor_kind::audit_log, encode_cursor(cursor_kind::audit_log, 0)).value(),
            0u);
  const std::string bad[] = {"",
                             "abc",
                             "12345",
                             "' OR 1=1 --",
                             encode_cursor(cursor_kind::audit_log, 5),
                             to_base64url("a.-5"),
                             to_base64url("a.007"),
                             to_base64url("a.99999999999999999999"),
                             to_base64url("a.12x"),
                             std::string(100, 'A')};
  for (const auto& cursor : bad)
    EXPECT_NE(refused(query_params{{"cursor", cursor}}).find("cursor"), std::string::npos)
        << cursor;
}

TEST(HistoryQueryTest, TimesMustBeRfc3339AndOrdered) {
  for (const char* bad :
       {"yesterday", "2026-02-30", "2026-03-01 12:00", "1709290000", "2026-03-01T25:00:00Z"})
    EXPECT_NE(refused(p({{"from", bad}})).find("RFC 3339"), std::string::npos) << bad;
  EXPECT_NE(refused(p({{"from", "2026-03-02"}, {"to", "2026-03-01"}})).find("earlier"),
            std::string::npos);
  EXPECT_NE(refused_audit(p({{"to", "now"}})).find("RFC 3339"), std::string::npos);
}

TEST(HistoryQueryTest, UnknownAndRepeatedParametersAreRefused) {
  EXPECT_NE(refused(p({{"orign", "AT"}})).find("unknown query parameter 'orign'"),
            std::string::npos);
  EXPECT_NE(refused(p({{"limit", "5"}, {"limit", "6"}})).find("more than once"), std::string::npos);
  EXPECT_NE(refused(p({{"origin", "AT,"}})).find("empty"), std::string::npos);
  EXPECT_EQ(refused(p({{"origin", "AT"}, {"origin", "DE"}})), "");
  EXPECT_NE(refused_audit(p({{"q", "x"}})).find("unknown"), std::string::npos);
}

TEST(HistoryQueryTest, ProofCoordinates) {
  auto i = parse_inclusion_query(p({{"index", "0"}, {"tree_size", "1"}}));
  ASSERT_TRUE(i);
  EXPECT_EQ(i->tree_size, 1u);
  EXPECT_FALSE(parse_inclusion_query(p({{"index", "5"}, {"tree_size", "5"}})));
  EXPECT_FALSE(parse_inclusion_query(p({{"index", "1"}})));
  EXPECT_FALSE(parse_inclusion_query(p({{"index", "1"}, {"tree_size", "0"}})));
  auto c = parse_consistency_query(p({{"first", "3"}, {"second", "7"}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->first, 3u);
  EXPECT_FALSE(parse_consistency_query(p({{"first", "0"}, {"second", "7"}})));
  EXPECT_FALSE(parse_consistency_query(p({{"first", "8"}, {"second", "7"}})));
  auto v = parse_verify_query(p({{"from", "10"}}));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->from, 10u);
  EXPECT_FALSE(v->to);
  EXPECT_FALSE(parse_verify_query(p({{"from", "10"}, {"to", "9"}})));
  EXPECT_FALSE(parse_verify_query(p({{"from", "x"}})));
  EXPECT_TRUE(parse_tree_heads_query(p({{"limit", "10"}}), limits));
}

TEST(HistoryQueryTest, AlertIdsAreCanonicalUuids) {
  auto ok = parse_alert_id("7f1c1f5e-1b8a-4c3e-9d2a-2f0c3b4a5d6e", p({{"origin", "at"}}));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->second, "AT");
  EXPECT_FALSE(parse_alert_id("7F1C1F5E-1B8A-4C3E-9D2A-2F0C3B4A5D6E", {}));
  EXPECT_FALSE(parse_alert_id("1 OR 1=1", {}));
}

TEST(HistoryQueryTest, WellFormedValuesThatNameNothingAreRefusedByName) {
  core::registry_data d;
  for (const char* code : {"AT", "HU"}) d.members.push_back({code, code});
  core::registry reg(d);
  // A member code of the task force passes; a typo is named, not answered
  // with an empty page that reads as "nothing happened".
  auto ok = parse_alert_query(p({{"origin", "AT"}, {"recipient", "HU"}}), limits);
  ASSERT_TRUE(ok);
  EXPECT_FALSE(unknown_values(ok->filter, reg));
  auto typo = parse_alert_query(p({{"origin", "XX"}}), limits);
  ASSERT_TRUE(typo);
  auto e = unknown_values(typo->filter, reg);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, core::errc::invalid_argument);
  EXPECT_EQ(e->message, "origin: 'XX' is not a member of this exchange");
  auto to = parse_alert_query(p({{"recipient", "HU,ZZ"}}), limits);
  ASSERT_TRUE(to);
  EXPECT_EQ(unknown_values(to->filter, reg)->message,
            "recipient: 'ZZ' is not a member of this exchange");
  // Actions: only those the server writes.
  auto action = parse_audit_query(p({{"action", "alert.publish"}}), limits);
  ASSERT_TRUE(action);
  EXPECT_FALSE(unknown_values(action->filter));
  auto made_up = parse_audit_query(p({{"action", "alert.publsh"}}), limits);
  ASSERT_TRUE(made_up);
  auto ea = unknown_values(made_up->filter);
  ASSERT_TRUE(ea);
  EXPECT_NE(ea->message.find("'alert.publsh' is not an action the server writes"),
            std::string::npos);
}

}  // namespace
}  // namespace liaison::audit
