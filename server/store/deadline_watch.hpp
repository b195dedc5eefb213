// Looks for read deadlines that have passed, on a thread and connection of
// its own, every check interval, and hands them to the exchange, which plans
// each escalation and commits it through the writer (exactly once: see
// writer::escalate). Deadlines live in the database, so a restart finds the
// ones that passed while the server was down. Also reads the members'
// combined presence at the same pace, for the exchange's view.
#pragma once

#include "config/server_config.hpp"
#include "core/rapid.hpp"

#include <functional>
#include <memory>
#include <vector>

namespace liaison::store {

class deadline_watch {
 public:
  using clock_fn = std::function<core::time_point()>;
  // The passed deadlines; call `done` once their escalations are settled
  // (committed or failed): only then are deadlines looked for again, so
  // none is handed over twice while its escalation is on its way.
  using due_fn = std::function<void(std::vector<core::due_deadline>, std::function<void()> done)>;
  using presence_fn = std::function<void(std::vector<core::member_presence>)>;

  deadline_watch(config::database_section options, core::duration interval, clock_fn now,
                 due_fn on_due, presence_fn on_presence);
  ~deadline_watch();  // stop()
  deadline_watch(const deadline_watch&) = delete;
  deadline_watch& operator=(const deadline_watch&) = delete;

  void start();
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::store
