// Follows the frame headers of a WebSocket client's byte stream (RFC 6455
// §5.2) as they arrive, skipping payloads, so that a bad frame is refused by
// its header, before any payload is waited for: a message whose frames
// announce more than the message limit, and a 64-bit payload length whose
// most significant bit is set (the RFC forbids it). Pure; untrusted input;
// no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace liaison::protocol {

class ws_frame_scanner {
 public:
  enum class verdict { ok, too_large, length_msb_set };

  explicit ws_frame_scanner(std::uint64_t max_message_bytes) : max_(max_message_bytes) {}

  // The next bytes of the stream, in order. Once it returns something else
  // than ok, the stream is broken and it says so on every later call.
  verdict scan(std::string_view bytes);
  // For too_large: the message size the headers announced so far.
  std::uint64_t announced() const { return announced_; }

 private:
  verdict header_complete();

  std::uint64_t max_;
  std::array<unsigned char, 14> header_{};  // at most 2 + 8 + 4 bytes
  std::size_t have_ = 0;
  std::uint64_t payload_left_ = 0;
  std::uint64_t message_ = 0;    // bytes announced by the data frames of the current message
  std::uint64_t announced_ = 0;  // of the message refused
  verdict state_ = verdict::ok;
};

}  // namespace liaison::protocol
