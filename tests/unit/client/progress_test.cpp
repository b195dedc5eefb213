// Progress of long CLI commands: the line's text, and that nothing at all is
// written when there is no terminal.
#include "client/progress.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace liaison::client {
namespace {

using namespace std::chrono_literals;

TEST(ProgressTest, TheLineSaysWhatHowFarAndHowLong) {
  EXPECT_EQ(progress_line("export", "1204 rows, 3.4 MB", 12s), "export: 1204 rows, 3.4 MB (12 s)");
  EXPECT_EQ(progress_line("waiting for the server", "", 0s), "waiting for the server (0 s)");
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(999), "999 B");
  EXPECT_EQ(human_bytes(3'400'000), "3.4 MB");
  EXPECT_EQ(human_bytes(12'300'000'000), "12.3 GB");
}

TEST(ProgressTest, WithoutATerminalNothingIsWritten) {
  progress p("export", {}, 1ms);
  EXPECT_FALSE(p.drawing());
  p.set("10 rows");  // no effect, no thread
}

TEST(ProgressTest, OnATerminalTheLineIsRedrawnInPlaceAndClearedAtTheEnd) {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> written;
  {
    progress p(
        "export",
        [&](const std::string& text) {
          std::lock_guard lock(m);
          written.push_back(text);
          cv.notify_all();
        },
        1ms);
    EXPECT_TRUE(p.drawing());
    p.set("10 rows");
    // Waits for the drawer to show the status (no deadline a slow machine
    // could miss: the test's own timeout bounds it).
    std::unique_lock lock(m);
    cv.wait(lock, [&] {
      return !written.empty() && written.back().find("export: 10 rows (") != std::string::npos;
    });
  }
  ASSERT_GE(written.size(), 2u);
  for (const auto& w : written) {
    EXPECT_EQ(w.substr(0, 4), "\r\033[K") << w;       // each draw starts at column 0
    EXPECT_EQ(w.find('\n'), std::string::npos) << w;  // never a new line
  }
  EXPECT_EQ(written.back(), "\r\033[K");  // the end erases the line
}

}  // namespace
}  // namespace liaison::client
