// Progress of a long command (an export, `audit verify`) on one line of a
// terminal: "what: status (12 s)", redrawn in place every quarter second by
// a thread of its own, cleared at the end. Silent when the output is not a
// terminal, so pipes and log files get no carriage returns.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

namespace liaison::client {

// "export: 1,204 rows, 3.4 MB (12 s)". Pure.
std::string progress_line(const std::string& what, const std::string& status,
                          std::chrono::seconds elapsed);
// 3400000 -> "3.4 MB"; 12 -> "12 B". Pure.
std::string human_bytes(std::uint64_t bytes);

class progress {
 public:
  // `write` gets the text to put on the terminal (carriage return and
  // erase-line included); an empty function draws nothing and starts no thread.
  using writer = std::function<void(const std::string& text)>;
  progress(std::string what, writer write,
           std::chrono::milliseconds redraw = std::chrono::milliseconds(250));
  // On stderr when stderr is a terminal, else silent.
  static progress on_terminal(std::string what);
  ~progress();  // stops drawing and clears the line
  progress(progress&&) = delete;

  void set(std::string status);
  // Writes `text` to `out` (the command's own output, e.g. stdout on the
  // same terminal) with the progress line erased first, so the two never
  // share a line; the next redraw puts the progress line back below.
  void say(std::ostream& out, const std::string& text);
  bool drawing() const { return static_cast<bool>(write_); }

 private:
  void run();

  const std::string what_;
  const writer write_;
  const std::chrono::milliseconds redraw_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string status_;
  bool stopping_ = false;
  std::thread drawer_;
};

}  // namespace liaison::client
