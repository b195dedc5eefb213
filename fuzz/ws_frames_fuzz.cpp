// protocol::ws_frame_scanner, as the WebSocket listener runs it on every byte
// a client sends. The verdict does not depend on how the bytes are split
// into reads; once broken it stays broken; too_large names a size over the
// limit.
//
// Input: byte 0 sets the size of the reads; the rest is the client's stream.
#include "fuzz_check.hpp"
#include "protocol/ws_frame_scanner.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  using liaison::protocol::ws_frame_scanner;
  const std::size_t chunk = 1 + data[0] % 16;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr std::uint64_t limit = 4096;

  ws_frame_scanner whole(limit);
  const auto at_once = whole.scan(stream);

  ws_frame_scanner pieces(limit);
  auto split = ws_frame_scanner::verdict::ok;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    auto v = pieces.scan(stream.substr(at, chunk));
    if (split != ws_frame_scanner::verdict::ok)
      LIAISON_FUZZ_CHECK(v == split, "a broken stream stays broken");
    split = v;
  }
  LIAISON_FUZZ_CHECK(split == at_once, "the verdict does not depend on how reads are split");
  if (at_once == ws_frame_scanner::verdict::too_large)
    LIAISON_FUZZ_CHECK(whole.announced() > limit && pieces.announced() == whole.announced(),
                       "too_large names the size announced, over the limit");
  return 0;
}
