#include "store/detail/sql_codec.hpp"

#include "core/hex.hpp"
#include "core/names.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace liaison::store::detail {

pqxx::result exec_with(pqxx::transaction_base& tx, const std::string& sql,
                       const sql_params& params) {
  return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
}

std::string placeholders(std::size_t rows, std::initializer_list<std::string_view> casts,
                         std::size_t first) {
  std::string out;
  out.reserve(rows * casts.size() * 12);
  std::size_t n = first;
  for (std::size_t r = 0; r < rows; ++r) {
    out += r == 0 ? "(" : ",(";
    bool first_column = true;
    for (auto cast : casts) {
      if (!first_column) out += ',';
      first_column = false;
      out += '$';
      out += std::to_string(n++);
      out += "::";
      out += cast;
    }
    out += ')';
  }
  return out;
}

std::string sql_timestamp(core::time_point t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<microseconds> tod{t - day};
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u %02lld:%02lld:%02lld.%06lld+00",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long long>(tod.hours().count()),
                static_cast<long long>(tod.minutes().count()),
                static_cast<long long>(tod.seconds().count()),
                static_cast<long long>(tod.subseconds().count()));
  return text;
}

std::string sql_bytea(std::string_view bytes) {
  return "\\x" + core::to_hex(bytes);
}

std::string sql_text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

sql_array::sql_array(std::size_t reserve_bytes) : text_("{") {
  text_.reserve(reserve_bytes + 2);
}

void sql_array::separate() {
  if (!empty_) text_ += ',';
  empty_ = false;
}

void sql_array::add(std::string_view text) {
  separate();
  text_ += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void sql_array::add(std::uint64_t number) {
  separate();
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, number);
  text_.append(digits, end);
}

void sql_array::add_bytea(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  separate();
  // "\\x" inside the quotes is the hex input form's "\x" once the array is parsed.
  const std::size_t at = text_.size();
  text_.resize(at + 5 + 2 * bytes.size());
  char* out = text_.data() + at;
  *out++ = '"';
  *out++ = '\\';
  *out++ = '\\';
  *out++ = 'x';
  for (unsigned char b : bytes) {
    *out++ = hex[b >> 4];
    *out++ = hex[b & 15];
  }
  *out = '"';
}

void sql_array::add_timestamp(core::time_point t) {
  separate();
  text_ += '"';
  text_ += sql_timestamp(t);
  text_ += '"';
}

void sql_array::add_null() {
  separate();
  text_ += "NULL";
}

std::string sql_array::take() {
  text_ += '}';
  std::string out = std::move(text_);
  text_ = "{";
  empty_ = true;
  return out;
}

namespace {

void put_u32(char* out, std::uint32_t v) {
  out[0] = static_cast<char>(v >> 24);
  out[1] = static_cast<char>(v >> 16);
  out[2] = static_cast<char>(v >> 8);
  out[3] = static_cast<char>(v);
}

// array_recv's header: dimensions, has-NULLs flag, element type, then per
// dimension its length and lower bound.
constexpr std::size_t array_header_bytes = 20;
constexpr std::uint32_t bytea_oid = 17;

}  // namespace

sql_binary_bytea_array::sql_binary_bytea_array(std::size_t reserve_bytes)
    : bytes_(array_header_bytes, '\0') {
  bytes_.reserve(array_header_bytes + reserve_bytes);
}

void sql_binary_bytea_array::add(std::string_view bytes) {
  char length[4];
  put_u32(length, static_cast<std::uint32_t>(bytes.size()));
  bytes_.append(length, 4);
  bytes_.append(bytes);
  ++count_;
}

std::string sql_binary_bytea_array::take() {
  put_u32(bytes_.data(), 1);
  put_u32(bytes_.data() + 4, 0);
  put_u32(bytes_.data() + 8, bytea_oid);
  put_u32(bytes_.data() + 12, count_);
  put_u32(bytes_.data() + 16, 1);
  std::string out = std::move(bytes_);
  bytes_.assign(array_header_bytes, '\0');
  count_ = 0;
  return out;
}

std::string bytea_from(const pqxx::field& f) {
  std::string_view text(f.c_str(), f.size());
  if (!text.starts_with("\\x")) throw std::runtime_error("bytea column is not in hex form");
  auto bytes = core::from_hex(text.substr(2));
  if (!bytes) throw std::runtime_error("malformed bytea hex");
  return std::move(*bytes);
}

std::vector<std::string> text_array_from(const pqxx::field& f) {
  std::vector<std::string> out;
  auto parser = f.as_array();
  for (;;) {
    auto [what, value] = parser.get_next();
    if (what == pqxx::array_parser::done) break;
    if (what == pqxx::array_parser::string_value) out.push_back(std::move(value));
  }
  return out;
}

core::time_point micros_from(const pqxx::field& f) {
  return core::time_point{core::duration{f.as<long long>()}};
}

std::uint64_t seq_from(const pqxx::field& f) {
  return f.as<std::uint64_t>();
}

core::stored_alert_ptr decode_alert(const pqxx::row& row, std::size_t first) {
  auto a = std::make_shared<core::stored_alert>();
  const auto col = [&](std::size_t i) { return row[static_cast<pqxx::row::size_type>(first + i)]; };
  a->seq = seq_from(col(0));
  a->alert_id = col(1).c_str();
  a->origin = col(2).c_str();
  a->recipients.members = text_array_from(col(3));
  a->recipients.named = text_array_from(col(4));
  auto prio = core::parse_name<core::priority>(col(5).c_str());
  auto disclosure = core::parse_name<core::tlp>(col(6).c_str());
  if (!prio || !disclosure) throw std::runtime_error("alert row with an unknown priority or tlp");
  a->prio = *prio;
  a->disclosure = *disclosure;
  a->signed_bytes.payload = bytea_from(col(7));
  a->signed_bytes.signature = bytea_from(col(8));
  a->signed_bytes.key_id = col(9).c_str();
  a->received_at = micros_from(col(10));
  return a;
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid
// (overlong forms, surrogates and code points above U+10FFFF included).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c >= 0x01 && c <= 0x7f) return 1;
  std::size_t n;
  unsigned lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;  // NUL, continuation byte, or never valid
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  return n;
}

}  // namespace

std::string storable_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (std::size_t n = utf8_sequence(text, i); n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\xef\xbf\xbd";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    }
  }
  return out;
}

}  // namespace liaison::store::detail
