// Private to store/: how domain values travel to and from SQL. Values always
// go as statement parameters (text format); this file builds the parameter
// texts and the placeholder lists, never SQL containing values.
#pragma once

#include "core/types.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liaison::store::detail {

// Parameters of one statement; nullopt is SQL NULL.
using sql_params = std::vector<std::optional<std::string>>;

// PostgreSQL's limit on the parameters of one statement.
inline constexpr std::size_t max_statement_params = 65535;

// Runs `sql` with a run-time number of parameters.
pqxx::result exec_with(pqxx::transaction_base& tx, const std::string& sql,
                       const sql_params& params);

// "($1::bigint,$2::text),($3::bigint,$4::text)" for rows x casts, numbering
// from `first`.
std::string placeholders(std::size_t rows, std::initializer_list<std::string_view> casts,
                         std::size_t first = 1);

// Microseconds since the epoch as an exact timestamptz literal in UTC,
// "2024-05-01 12:34:56.123456+00".
std::string sql_timestamp(core::time_point t);
// A bytea parameter in hex input form, "\x0aff".
std::string sql_bytea(std::string_view bytes);
// A text[] parameter, '{"AT","DE"}', quoting every element.
std::string sql_text_array(const std::vector<std::string>& items);

// Builds the text of one array parameter (e.g. for `$1::bytea[]`), element
// by element, quoting every element, for INSERT ... SELECT FROM unnest(...)
// statements whose arity does not depend on the number of rows. Elements are
// appended without intermediate strings (payloads are the bulk of a batch).
class sql_array {
 public:
  explicit sql_array(std::size_t reserve_bytes = 0);
  void add(std::string_view text);  // a text (or numeric, uuid...) element
  void add(const std::string& text) { add(std::string_view(text)); }
  void add(const char* text) { add(std::string_view(text)); }
  void add(std::uint64_t number);
  void add_bytea(std::string_view bytes);  // a bytea element, hex input form
  void add_timestamp(core::time_point t);  // as sql_timestamp()
  void add_null();
  // The parameter text, "{...}"; the builder is empty afterwards.
  std::string take();

 private:
  void separate();
  std::string text_;
  bool empty_ = true;
};

// Builds a bytea[] parameter in PostgreSQL's binary array format (to be
// sent as a binary parameter): raw bytes, no hex text to build, send and
// parse. Measured with bench/ceiling/pq_ceiling --method binary: about a
// quarter less server time for a batch of 1 KiB alerts than hex text.
class sql_binary_bytea_array {
 public:
  explicit sql_binary_bytea_array(std::size_t reserve_bytes = 0);
  void add(std::string_view bytes);
  // The parameter's bytes; the builder is empty afterwards.
  std::string take();

 private:
  std::string bytes_;
  std::uint32_t count_ = 0;
};

// Decoders for result fields (throw std::runtime_error on malformed input).
std::string bytea_from(const pqxx::field& f);  // hex output form
std::vector<std::string> text_array_from(const pqxx::field& f);
core::time_point micros_from(const pqxx::field& f);  // bigint microseconds
std::uint64_t seq_from(const pqxx::field& f);

// The select list that decode_alert reads, for a query aliasing alerts as `a`.
inline constexpr std::string_view alert_columns =
    "a.seq, a.alert_id::text, a.origin, a.recipients, a.named_recipients, a.priority, a.tlp, "
    "a.payload, a.signature, a.key_id, (extract(epoch from a.received_at) * 1000000)::bigint";
inline constexpr std::size_t alert_column_count = 11;

// Decodes the alert_columns starting at column `first` of `row`.
core::stored_alert_ptr decode_alert(const pqxx::row& row, std::size_t first = 0);

// Text columns reject NUL bytes and invalid UTF-8. Replaces them by U+FFFD so
// that one malformed string cannot fail a whole batch; valid text is
// returned unchanged.
std::string storable_text(std::string_view text);

}  // namespace liaison::store::detail
