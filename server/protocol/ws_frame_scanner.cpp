#include "protocol/ws_frame_scanner.hpp"

#include <algorithm>

namespace liaison::protocol {

ws_frame_scanner::verdict ws_frame_scanner::header_complete() {
  const unsigned len7 = header_[1] & 0x7f;
  const std::size_t extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  std::uint64_t length = len7;
  if (extended > 0) {
    length = 0;
    for (std::size_t k = 0; k < extended; ++k) length = (length << 8) | header_[2 + k];
  }
  const unsigned opcode = header_[0] & 0x0f;
  const bool fin = (header_[0] & 0x80) != 0;
  if ((opcode & 0x08) == 0) {  // a data frame: text, binary or continuation
    if (opcode != 0) message_ = 0;
    message_ += length;
    if (message_ > max_) {
      announced_ = message_;
      return verdict::too_large;
    }
    if (fin) message_ = 0;
  }
  payload_left_ = length;
  have_ = 0;
  return verdict::ok;
}

ws_frame_scanner::verdict ws_frame_scanner::scan(std::string_view bytes) {
  std::size_t i = 0;
  while (state_ == verdict::ok && i < bytes.size()) {
    if (payload_left_ > 0) {
      const auto skip =
          static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, bytes.size() - i));
      payload_left_ -= skip;
      i += skip;
      continue;
    }
    header_[have_++] = static_cast<unsigned char>(bytes[i++]);
    if (have_ < 2) continue;
    const unsigned len7 = header_[1] & 0x7f;
    const bool masked = (header_[1] & 0x80) != 0;
    const std::size_t extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    if (extended == 8 && have_ == 3 && (header_[2] & 0x80) != 0) {
      state_ = verdict::length_msb_set;
      break;
    }
    if (have_ < 2 + extended + (masked ? 4 : 0)) continue;
    state_ = header_complete();
  }
  return state_;
}

}  // namespace liaison::protocol
