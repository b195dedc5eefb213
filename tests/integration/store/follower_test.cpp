#include "integration/store/store_fixture.hpp"

#include "store/log_follower.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace liaison::testing {
namespace {

// Collects what the follower delivers and checks the order as it arrives.
class recording_sink {
 public:
  explicit recording_sink(std::uint64_t after = 0) : next_(after + 1) {}

  store::log_follower::sink fn() {
    return [this](const std::vector<core::stored_alert_ptr>& alerts) {
      std::lock_guard lock(mutex_);
      for (const auto& a : alerts) {
        if (a->seq != next_)
          problems_ +=
              "got " + std::to_string(a->seq) + " expecting " + std::to_string(next_) + "; ";
        next_ = a->seq + 1;
        seqs_.push_back(a->seq);
      }
      changed_.notify_all();
    };
  }
  // Waits until `n` alerts were delivered; throws after the deadline.
  void wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, deadline, [&] { return seqs_.size() >= n; }))
      throw std::runtime_error("timed out: " + std::to_string(seqs_.size()) + " of " +
                               std::to_string(n) + " alerts delivered");
  }
  std::vector<std::uint64_t> seqs() {
    std::lock_guard lock(mutex_);
    return seqs_;
  }
  std::string problems() {
    std::lock_guard lock(mutex_);
    return problems_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::uint64_t> seqs_;
  std::uint64_t next_;
  std::string problems_;
};

class FollowerTest : public store_test {
 protected:
  static void expect_one_to(const std::vector<std::uint64_t>& seqs, std::uint64_t n) {
    ASSERT_EQ(seqs.size(), n);
    for (std::uint64_t i = 0; i < n; ++i) ASSERT_EQ(seqs[i], i + 1) << "at index " << i;
  }
};

TEST_F(FollowerTest, DeliversLocalCommitsInOrder) {
  recording_sink sink;
  store::log_follower follower(db_->section(), 0, sink.fn());
  follower.start();
  auto writer = start_writer([&](const auto& alerts) { follower.on_local_commit(alerts); });

  // 50 publishes queued at once (several batches).
  std::vector<std::future<core::result<core::publish_outcome>>> outcomes;
  for (int i = 0; i < 50; ++i) outcomes.push_back(publish_async(*writer, make_publish_request()));
  for (auto& f : outcomes) ASSERT_TRUE(get_within(f, "publish").has_value());

  // Every alert once, in order.
  sink.wait_for(50);
  expect_one_to(sink.seqs(), 50);
  EXPECT_EQ(sink.problems(), "");
  // last_delivered() moves once the sink has returned, just after it saw 50.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (follower.last_delivered() < 50u && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(follower.last_delivered(), 50u);
  // Straight from the writer: nothing had to be read back from the log.
  EXPECT_EQ(follower.statistics().let_go, 0u);
}

// The back-pressure rule of log_follower.hpp: the writer never waits for a
// slow sink, memory stays bounded, and what was let go is read back from the
// log, in order, once the sink catches up.
TEST_F(FollowerTest, ASlowSinkNeitherStopsTheWriterNorLosesAlerts) {
  recording_sink sink;
  std::mutex gate_mutex;
  std::condition_variable gate_changed;
  bool gate_open = false;
  std::atomic<std::size_t> calls{0};
  auto record = sink.fn();
  // At most 8 alerts wait in memory; the sink is stuck in its first call.
  store::log_follower follower(
      db_->section(), 0,
      [&](const std::vector<core::stored_alert_ptr>& alerts) {
        ++calls;
        std::unique_lock lock(gate_mutex);
        gate_changed.wait(lock, [&] { return gate_open; });
        lock.unlock();
        record(alerts);
      },
      8);
  follower.start();
  wait_until([&] { return backends("liaisond log follower").size() == 1; }, "the follower listens");
  auto writer = start_writer([&](const auto& alerts) { follower.on_local_commit(alerts); });

  // 200 publishes, one at a time, are all acknowledged while the sink is stuck.
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(publish(*writer, make_publish_request()).has_value());
  wait_until([&] { return calls.load() >= 1; }, "the sink is called");
  auto stats = follower.statistics();
  EXPECT_LE(stats.pending, 8u) << "more alerts in memory than the bound";
  EXPECT_GT(stats.let_go, 0u) << "nothing was let go: the bound was not reached";

  // Released, the sink gets all 200 once, in order: the rest came from the log.
  {
    std::lock_guard lock(gate_mutex);
    gate_open = true;
  }
  gate_changed.notify_all();
  sink.wait_for(200);
  expect_one_to(sink.seqs(), 200);
  EXPECT_EQ(sink.problems(), "");
}

TEST_F(FollowerTest, ReadsALongRangeFromTheLogInChunksInOrder) {
  // 2,100 alerts committed before the follower starts: more than two of its
  // read chunks (1,000 alerts each).
  auto writer = start_writer();
  std::vector<std::future<core::result<core::publish_outcome>>> outcomes;
  for (int i = 0; i < 2100; ++i) outcomes.push_back(publish_async(*writer, make_publish_request()));
  for (auto& f : outcomes) ASSERT_TRUE(get_within(f, "publish").has_value());

  recording_sink sink;
  store::log_follower follower(db_->section(), 0, sink.fn());
  follower.start();
  sink.wait_for(2100);
  expect_one_to(sink.seqs(), 2100);
  EXPECT_EQ(sink.problems(), "");
}

TEST_F(FollowerTest, CatchesUpWithCommitsOfAnotherNode) {
  recording_sink sink;
  store::log_follower follower(db_->section(), 0, sink.fn());
  follower.start();
  wait_until([&] { return backends("liaisond log follower").size() == 1; }, "the follower listens");
  auto local = start_writer([&](const auto& alerts) { follower.on_local_commit(alerts); });
  auto other_node = start_writer();

  // Both nodes publish at the same time.
  std::vector<std::future<core::result<core::publish_outcome>>> outcomes;
  std::thread remote([&] {
    for (int i = 0; i < 100; ++i)
      outcomes.push_back(publish_async(*other_node, make_publish_request("DE")));
  });
  std::vector<std::future<core::result<core::publish_outcome>>> local_outcomes;
  for (int i = 0; i < 100; ++i)
    local_outcomes.push_back(publish_async(*local, make_publish_request("AT")));
  remote.join();
  for (auto* list : {&outcomes, &local_outcomes})
    for (auto& f : *list) ASSERT_TRUE(get_within(f, "publish").has_value());

  // The follower delivers all 200 once, in seq order, with no gap.
  sink.wait_for(200);
  expect_one_to(sink.seqs(), 200);
  EXPECT_EQ(sink.problems(), "");
}

TEST_F(FollowerTest, ReconnectsAndCatchesUpAfterLosingItsConnection) {
  recording_sink sink;
  store::log_follower follower(db_->section(), 0, sink.fn());
  follower.start();
  wait_until([&] { return backends("liaisond log follower").size() == 1; }, "the follower listens");
  auto other_node = start_writer();

  // The follower's connection dies; meanwhile another node commits.
  terminate_backends("liaisond log follower");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(publish(*other_node, make_publish_request()).has_value());

  // It comes back by itself and delivers what it missed.
  sink.wait_for(3);
  expect_one_to(sink.seqs(), 3);
  wait_until([&] { return backends("liaisond log follower").size() == 1; },
             "the follower listens again");
  ASSERT_TRUE(publish(*other_node, make_publish_request()).has_value());
  sink.wait_for(4);
  expect_one_to(sink.seqs(), 4);
}

TEST_F(FollowerTest, StartsAfterTheGivenSeq) {
  auto writer = start_writer();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(publish(*writer, make_publish_request()).has_value());

  // A node starting now follows from the head it read at start-up.
  recording_sink sink(3);
  store::log_follower follower(db_->section(), 3, sink.fn());
  follower.start();
  ASSERT_TRUE(publish(*writer, make_publish_request()).has_value());
  sink.wait_for(1);
  EXPECT_EQ(sink.seqs(), (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(sink.problems(), "");
}

}  // namespace
}  // namespace liaison::testing
