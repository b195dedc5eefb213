// Native frame splitting: protocol::frame_reader fed a byte stream in
// arbitrary chunks, checked against a whole-stream reference parse.
//
// Input: 2 bytes big-endian maximum frame size, 1 byte that seeds how the
// stream is cut into reads, then the stream (4-byte big-endian length + body,
// repeated).
#include "fuzz_check.hpp"
#include "protocol/frame_reader.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using liaison::protocol::frame_header_bytes;
using liaison::protocol::frame_reader;

// A tiny deterministic generator: the same input always cuts the same way.
struct cutter {
  std::uint32_t state;
  std::uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
};

std::uint32_t header_at(std::string_view s, std::size_t at) {
  const auto* h = reinterpret_cast<const unsigned char*>(s.data() + at);
  return (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) | (std::uint32_t{h[2]} << 8) |
         std::uint32_t{h[3]};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::uint32_t max_frame = (std::uint32_t{data[0]} << 8) | data[1];
  cutter cut{(0x9e3779b9u ^ (std::uint32_t{data[2]} * 0x01000193u)) | 1u};
  const std::string_view input(reinterpret_cast<const char*>(data) + 3, size - 3);

  frame_reader reader(max_frame);
  std::string_view stream;  // what the reader has been given so far (a prefix of `input`)
  std::size_t taken = 0;    // bytes of `stream` returned as frames, headers included
  std::size_t fed = 0;
  do {
    // One read from the socket: 0 to 63 bytes, sometimes up to 1023; either
    // copied in with append() or read into prepare()d space that the read
    // does not fill (a short read).
    auto r = cut.next();
    std::size_t n = (r % 8 == 0) ? (r >> 3) % 1024 : (r >> 3) % 64;
    n = std::min(n, input.size() - fed);
    auto chunk = input.substr(fed, n);
    if (r & 0x100000) {
      reader.append(chunk);
    } else {
      auto area = reader.prepare(n + (r >> 21) % 16);
      LIAISON_FUZZ_CHECK(area.size() >= n, "prepare() gives at least what was asked");
      std::copy(chunk.begin(), chunk.end(), area.begin());
      reader.commit(n);
    }
    fed += n;
    stream = input.substr(0, fed);
    // Take out every complete frame, as the session does before reading more.
    for (;;) {
      LIAISON_FUZZ_CHECK(reader.buffered() == stream.size() - taken,
                         "buffered() counts the bytes not yet returned");
      auto item = reader.next();
      const std::size_t available = stream.size() - taken;
      if (item.state == frame_reader::status::need_more) {
        LIAISON_FUZZ_CHECK(available < frame_header_bytes ||
                               (header_at(stream, taken) <= max_frame &&
                                available < frame_header_bytes + header_at(stream, taken)),
                           "need_more only when the next frame is incomplete");
        LIAISON_FUZZ_CHECK(reader.buffered() < frame_header_bytes + std::size_t{max_frame},
                           "an incomplete frame holds less than a header and the limit");
        break;
      }
      LIAISON_FUZZ_CHECK(available >= frame_header_bytes, "a result needs a whole header");
      const std::uint32_t declared = header_at(stream, taken);
      LIAISON_FUZZ_CHECK(item.declared_size == declared, "declared_size is the header's value");
      if (item.state == frame_reader::status::too_large) {
        LIAISON_FUZZ_CHECK(declared > max_frame, "too_large only over the limit");
        return 0;  // the stream cannot be resynchronised: the session closes
      }
      LIAISON_FUZZ_CHECK(item.state == frame_reader::status::frame, "a known status");
      LIAISON_FUZZ_CHECK(item.body.size() <= max_frame, "a frame body never exceeds the limit");
      LIAISON_FUZZ_CHECK(item.body.size() == declared, "the body has the declared size");
      LIAISON_FUZZ_CHECK(item.body == stream.substr(taken + frame_header_bytes, declared),
                         "the body is the stream's bytes, in order");
      taken += frame_header_bytes + declared;
    }
  } while (fed < input.size());
  return 0;
}
