// Splits a byte stream into native frames: a 4-byte big-endian length, then
// that many bytes. Pure and incremental: feed what the socket gave, take
// complete frames out. Memory is bounded by the maximum frame size.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace liaison::protocol {

inline constexpr std::size_t frame_header_bytes = 4;

class frame_reader {
 public:
  explicit frame_reader(std::uint32_t max_frame_bytes) : max_frame_(max_frame_bytes) {}

  // A writable area of up to `n` bytes at the end of the buffer; call
  // commit() with how many were written.
  std::span<char> prepare(std::size_t n);
  void commit(std::size_t n);
  void append(std::string_view bytes);

  enum class status { need_more, frame, too_large };
  struct item {
    status state = status::need_more;
    std::string_view body;            // valid until the next prepare/append/next
    std::uint32_t declared_size = 0;  // for too_large: what the header announced
  };
  // The next complete frame, or need_more, or too_large (the stream cannot be
  // resynchronised after that: close the connection).
  item next();

  // Bytes received but not yet returned as frames.
  std::size_t buffered() const { return data_.size() - prepared_ - begin_; }

 private:
  std::uint32_t max_frame_;
  std::string data_;
  std::size_t begin_ = 0;     // first byte not yet returned
  std::size_t prepared_ = 0;  // bytes at the end handed out by prepare(), not yet committed
};

// The 4-byte big-endian header for a body of `size` bytes.
void put_frame_header(std::string& out, std::uint32_t size);

}  // namespace liaison::protocol
