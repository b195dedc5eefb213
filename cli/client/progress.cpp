#include "client/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace liaison::client {

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1000 && u + 1 < std::size(units)) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string progress_line(const std::string& what, const std::string& status,
                          std::chrono::seconds elapsed) {
  std::string line = what;
  if (!status.empty()) line += ": " + status;
  return line + " (" + std::to_string(elapsed.count()) + " s)";
}

progress::progress(std::string what, writer write, std::chrono::milliseconds redraw)
    : what_(std::move(what)), write_(std::move(write)), redraw_(redraw) {
  if (write_) drawer_ = std::thread([this] { run(); });
}

progress progress::on_terminal(std::string what) {
  writer to_stderr;
  if (::isatty(STDERR_FILENO))
    to_stderr = [](const std::string& text) { std::cerr << text << std::flush; };
  return progress(std::move(what), std::move(to_stderr));
}

progress::~progress() {
  if (!drawer_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  drawer_.join();
  // Erase the line: what the command prints next starts clean.
  write_("\r\033[K");
}

void progress::set(std::string status) {
  if (!write_) return;
  std::lock_guard lock(mutex_);
  status_ = std::move(status);
}

void progress::say(std::ostream& out, const std::string& text) {
  std::lock_guard lock(mutex_);
  if (write_) write_("\r\033[K");
  out << text << std::flush;
}

void progress::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - started_);
    write_("\r\033[K" + progress_line(what_, status_, elapsed));
    wake_.wait_for(lock, redraw_, [this] { return stopping_; });
  }
}

}  // namespace liaison::client
