#include "auditors/audit_consult.hpp"

#include "audit/event.hpp"
#include "auditors/audit_render.hpp"
#include "core/utf8.hpp"

#include <stdexcept>

namespace liaison::auditors {
namespace {

using boost::asio::awaitable;

constexpr std::size_t max_justification_bytes = 1000;
constexpr std::size_t max_recorded_value_bytes = 256;

std::string clip(std::string_view text, std::size_t max) {
  return core::to_valid_utf8(text.substr(0, max));
}

struct export_state {
  page_fetch fetch;
  std::uint64_t after = 0;
  std::optional<std::uint64_t> bound;
  std::optional<std::string> pending;
  bool done = false;
  consultation_ptr record;
};

awaitable<std::optional<std::string>> next_chunk(std::shared_ptr<export_state> s) {
  if (s->pending) {
    std::optional<std::string> text = std::move(s->pending);
    s->pending.reset();
    co_return text;
  }
  if (s->done) {
    s->record->complete();
    co_return std::nullopt;
  }
  auto page = co_await s->fetch(s->after, s->bound);
  if (!page) {
    s->record->set("error", page.error().message);
    // Ends the connection without the last chunk: the export is visibly cut.
    throw std::runtime_error("auditor export interrupted: " + page.error().message);
  }
  s->record->add_rows(page->rows);
  if (page->rows > 0) s->after = page->last;
  s->done = !page->full;
  co_return std::move(page->text);
}

}  // namespace

core::result<std::string> justification_of(const http_request& request) {
  auto text = request.target.param(audit::justification_param);
  if (!text) text = request.header(justification_header);
  const auto invalid = [](std::string m) {
    return core::make_error(core::errc::invalid_argument, std::move(m));
  };
  if (!text || text->find_first_not_of(" \t") == std::string::npos)
    return invalid(
        "every auditor request states why it is made: add a justification parameter or a " +
        std::string(justification_header) + " header (e.g. the case or complaint it serves)");
  if (text->size() > max_justification_bytes)
    return invalid("the justification is longer than " + std::to_string(max_justification_bytes) +
                   " bytes");
  if (!core::is_valid_utf8(*text)) return invalid("the justification is not valid UTF-8");
  for (char c : *text)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
      return invalid("the justification holds a control character");
  return *text;
}

consultation::consultation(broker::exchange& exchange, const core::principal* who,
                           const std::string& peer, const http_request& request)
    : exchange_(exchange),
      actor_(who ? who->id : "tls:" + peer),
      actor_member_(who ? who->member : ""),
      endpoint_(clip(request.target.path, 200)),
      subject_(endpoint_) {
  for (const auto& [key, value] : request.target.params) {
    if (key == audit::justification_param) continue;
    const auto k = clip(key, 64);
    const auto v = clip(value, max_recorded_value_bytes);
    auto& slot = filters_[k];
    if (slot.is_null())
      slot = v;
    else if (slot.is_array())
      slot.push_back(v);
    else
      slot = nlohmann::json::array({slot, v});
  }
}

consultation::~consultation() {
  nlohmann::json detail{{"endpoint", endpoint_},
                        {"filters", filters_},
                        {"justification", justification_},
                        {"rows", rows_},
                        {"complete", complete_}};
  for (auto& [k, v] : extra_.items()) detail[k] = v;
  try {
    exchange_.audit(audit::event(exchange_.now(), core::audit_action::audit_query)
                        .by(actor_, actor_member_)
                        .subject(subject_)
                        .outcome(outcome_)
                        .with_all(detail)
                        .build());
  } catch (...) {
    // A destructor must not throw; the writer counts what it drops.
  }
}

http_reply consultation::refuse(const core::error& e) {
  outcome_ = std::string(core::to_string(e.code));
  set("reason", e.message);
  return error_reply(e);
}

http_reply refused(const consultation_ptr& record, const core::error& e) {
  return record->refuse(e);
}

http_handler audited(audited_fn fn) {
  return [fn = std::move(fn)](request_context& ctx) -> awaitable<http_reply> {
    auto record = std::make_shared<consultation>(ctx.exchange, ctx.who, ctx.peer, ctx.request);
    auto why = justification_of(ctx.request);
    if (!why) co_return record->refuse(why.error());
    record->justification(std::move(*why));
    auto reply = co_await fn(ctx, record);
    // An export completes when its last chunk is sent; any other answer now.
    if (!reply.stream && reply.status < 400) record->complete();
    co_return reply;
  };
}

awaitable<http_reply> export_reply(audit::export_format format, std::string first_line,
                                   page_fetch fetch, std::uint64_t after, consultation_ptr record) {
  auto first = co_await fetch(after, std::nullopt);
  if (!first) co_return record->refuse(first.error());
  auto state = std::make_shared<export_state>();
  state->fetch = std::move(fetch);
  state->record = record;
  state->bound = first->head;
  state->after = first->rows > 0 ? first->last : after;
  state->done = !first->full;
  state->pending = std::move(first_line) + first->text;
  record->add_rows(first->rows);
  record->set("format", std::string(audit::to_string(format)));
  http_reply reply;
  reply.content_type =
      format == audit::export_format::csv ? "text/csv; charset=utf-8" : "application/x-ndjson";
  reply.stream = [state]() { return next_chunk(state); };
  co_return reply;
}

}  // namespace liaison::auditors
