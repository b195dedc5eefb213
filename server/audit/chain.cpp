#include "audit/chain.hpp"

namespace liaison::audit {
namespace {

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_text(std::string& out, const std::string& s) {
  auto n = static_cast<std::uint32_t>(s.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(s);
}

}  // namespace

std::string canonical_bytes(std::uint64_t id, const core::audit_event& e) {
  std::string out("liaison.audit.v1", 16);
  out.push_back('\0');
  put_u64(out, id);
  put_u64(out, static_cast<std::uint64_t>(e.at.time_since_epoch().count()));
  put_text(out, e.actor);
  put_text(out, e.actor_member);
  put_text(out, e.action);
  put_text(out, e.subject);
  put_text(out, e.outcome);
  put_text(out, e.detail);
  return out;
}

digest chain_hash(const digest& previous, std::uint64_t id, const core::audit_event& event) {
  return crypto::sha256({crypto::as_bytes(previous), canonical_bytes(id, event)});
}

chained_event chain_builder::append(core::audit_event event) {
  chained_event out;
  out.id = ++id_;
  out.previous = hash_;
  out.hash = chain_hash(hash_, out.id, event);
  out.event = std::move(event);
  hash_ = out.hash;
  return out;
}

}  // namespace liaison::audit
