#include "support/publish_requests.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>

namespace liaison::testing {
namespace {

std::mt19937_64& generator() {
  static std::mt19937_64 g{std::random_device{}()};
  return g;
}
std::mutex generator_mutex;

std::string random_bytes(std::size_t n) {
  std::lock_guard lock(generator_mutex);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(generator()() & 0xff);
  return out;
}

}  // namespace

std::string random_uuid() {
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string out;
  static constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += digits[(b[i] >> 4) & 0xf];
    out += digits[b[i] & 0xf];
  }
  return out;
}

core::publish_request make_publish_request(const std::string& origin,
                                           std::vector<std::string> members) {
  core::publish_request r;
  r.actor = origin + ".desk";
  r.actor_member = origin;
  r.alert_id = random_uuid();
  r.origin = origin;
  r.recipients.named = members;
  r.recipients.members = std::move(members);
  r.signed_bytes.payload =
      std::string("\x0a\x24", 2) + r.alert_id + std::string("\0\xff\xfe", 3) + random_bytes(64);
  r.signed_bytes.signature = random_bytes(64);
  r.signed_bytes.key_id = origin + "-2024";
  r.kind = core::alert_kind::warning;
  r.cat = core::category::vehicle;
  r.prio = core::priority::urgent;
  r.disclosure = core::tlp::amber;
  r.usage = core::restriction::h2;
  r.subject = "Silver van, plate W-12345, heading to the border";
  r.created_at =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  r.case_reference = "OP-TEST-1";
  return r;
}

}  // namespace liaison::testing
