#include "store/ordered_log.hpp"

namespace liaison::store {

ordered_log::ordered_log(config::database_section options, writer::clock_fn now,
                         log_follower::sink live_feed)
    : options_(std::move(options)), now_(std::move(now)), live_feed_(std::move(live_feed)) {}

ordered_log::~ordered_log() {
  stop();
}

std::uint64_t ordered_log::open() {
  reader_ = std::make_unique<store::reader>(options_);
  const auto head = reader_->log_head_blocking();
  follower_ = std::make_unique<log_follower>(options_, head, live_feed_, options_.live_queue_max);
  writer_ = std::make_unique<store::writer>(
      options_, now_,
      [follower = follower_.get()](const std::vector<core::stored_alert_ptr>& alerts) {
        follower->on_local_commit(alerts);
      });
  return head;
}

void ordered_log::start() {
  reader_->start();
  follower_->start();
  writer_->start();
}

void ordered_log::stop() {
  if (writer_) writer_->stop();
  if (follower_) follower_->stop();
  if (reader_) reader_->stop();
}

log_follower::stats ordered_log::live_feed() const {
  return follower_ ? follower_->statistics() : log_follower::stats{};
}

}  // namespace liaison::store
