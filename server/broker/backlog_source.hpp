// Where a catching-up consumer reads from: the ordered log in the database in
// production (store::reader), an in-memory log in unit tests.
#pragma once

#include "core/error.hpp"
#include "core/records.hpp"

#include <functional>
#include <optional>
#include <string>

namespace liaison::broker {

class backlog_source {
 public:
  virtual ~backlog_source() = default;
  // See store::reader::fetch_backlog: alerts for `member` after `after_seq`
  // (of one lane, or of all), at most `limit`, with scanned_to. `done` may
  // run on any thread.
  virtual void fetch_backlog(std::string member, std::uint64_t after_seq, std::size_t limit,
                             std::optional<core::priority> lane,
                             std::function<void(core::result<core::backlog_page>)> done) = 0;
};

}  // namespace liaison::broker
