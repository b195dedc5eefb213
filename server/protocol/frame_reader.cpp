#include "protocol/frame_reader.hpp"

#include <cassert>

namespace liaison::protocol {

std::span<char> frame_reader::prepare(std::size_t n) {
  data_.resize(data_.size() - prepared_);
  // Drop consumed bytes before growing, so the buffer stays near one frame.
  if (begin_ > 0 && (begin_ * 2 >= data_.size() || data_.size() + n > data_.capacity())) {
    data_.erase(0, begin_);
    begin_ = 0;
  }
  std::size_t old = data_.size();
  data_.resize(old + n);
  prepared_ = n;
  return {data_.data() + old, n};
}

void frame_reader::commit(std::size_t n) {
  assert(n <= prepared_);
  data_.resize(data_.size() - (prepared_ - n));
  prepared_ = 0;
}

void frame_reader::append(std::string_view bytes) {
  auto area = prepare(bytes.size());
  std::copy(bytes.begin(), bytes.end(), area.begin());
  commit(bytes.size());
}

frame_reader::item frame_reader::next() {
  std::size_t available = data_.size() - prepared_ - begin_;
  if (available < frame_header_bytes) return {};
  const auto* h = reinterpret_cast<const unsigned char*>(data_.data() + begin_);
  std::uint32_t size = (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) |
                       (std::uint32_t{h[2]} << 8) | std::uint32_t{h[3]};
  if (size > max_frame_) return {status::too_large, {}, size};
  if (available < frame_header_bytes + size) return {};
  std::string_view body(data_.data() + begin_ + frame_header_bytes, size);
  begin_ += frame_header_bytes + size;
  return {status::frame, body, size};
}

void put_frame_header(std::string& out, std::uint32_t size) {
  out.push_back(static_cast<char>((size >> 24) & 0xff));
  out.push_back(static_cast<char>((size >> 16) & 0xff));
  out.push_back(static_cast<char>((size >> 8) & 0xff));
  out.push_back(static_cast<char>(size & 0xff));
}

}  // namespace liaison::protocol
