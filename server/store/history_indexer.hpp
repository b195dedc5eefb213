// Fills the history index after commit, on a thread and connection of its
// own: the searchable text of each alert (body and entities, decoded from its
// signed payload by the function the application passes, since protobuf
// stays out of the store) and, for each alert, the audit rows that
// delivered, withheld or acknowledged it. It follows the log and the audit
// trail in order and records how far it got, so searches and timelines see
// an alert within about a second of its commit, and a restart resumes.
#pragma once

#include "config/server_config.hpp"
#include "store/audit_records.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

namespace liaison::store {

class history_indexer {
 public:
  // nullopt when the payload cannot be decoded (it is indexed without body
  // and entities, and logged).
  using payload_decoder = std::function<std::optional<search_text>(std::string_view payload)>;

  history_indexer(config::database_section database, payload_decoder decode);
  ~history_indexer();  // stop()
  history_indexer(const history_indexer&) = delete;
  history_indexer& operator=(const history_indexer&) = delete;

  void start();
  void stop();
  // Looks for new rows now rather than at the next poll. Thread-safe.
  void wake();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::store
