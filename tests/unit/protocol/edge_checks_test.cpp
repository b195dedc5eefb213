// What the edge refuses before reading further: HTTP header blocks that a
// proxy and liaisond could read differently or that are too large, and
// WebSocket frame headers that announce too much or break the RFC.
#include "protocol/http_header_check.hpp"
#include "protocol/ws_frame_scanner.hpp"

#include <gtest/gtest.h>

#include <string>

namespace liaison::protocol {
namespace {

using fields = std::vector<std::pair<std::string_view, std::string_view>>;

TEST(HttpHeaderCheckTest, OnlyExactlyChunkedIsATransferEncoding) {
  http_header_limits limits;
  EXPECT_FALSE(check_http_header({{"Host", "x"}, {"Transfer-Encoding", " chunked "}}, limits));
  EXPECT_FALSE(check_http_header({{"transfer-encoding", "CHUNKED"}}, limits));
  for (auto te : {"xchunked", "gzip, chunked", "chunked, gzip", "identity", ""}) {
    auto refusal = check_http_header({{"Transfer-Encoding", te}}, limits);
    ASSERT_TRUE(refusal) << te;
    EXPECT_EQ(refusal->status, 400u);
    EXPECT_EQ(refusal->error.code, core::errc::invalid_argument);
  }
  EXPECT_EQ(check_http_header({{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}, limits)
                ->status,
            400u);
  EXPECT_EQ(check_http_header({{"Content-Length", "5"}, {"Content-Length", "5"}}, limits)->status,
            400u);
  EXPECT_EQ(check_http_header({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}},
                              limits)
                ->status,
            400u);
}

TEST(HttpHeaderCheckTest, TooManyOrTooLongFieldsGet431) {
  http_header_limits limits{3, 32};
  fields many{{"A", "1"}, {"B", "2"}, {"C", "3"}, {"D", "4"}};
  auto refusal = check_http_header(many, limits);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 431u);
  EXPECT_EQ(refusal->error.message, "the request has 4 header fields; at most 3 are accepted");
  std::string long_value(40, 'v');
  refusal = check_http_header({{"X-Long", long_value}}, limits);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 431u);
  EXPECT_FALSE(check_http_header({{"A", "1"}, {"B", "2"}, {"C", "3"}}, limits));
}

// A client frame header: FIN, opcode, MASK, the length in its shortest form
// (or the form asked for), a zero mask key.
std::string frame(unsigned opcode, std::uint64_t length, bool fin = true, int form = 0) {
  std::string h;
  h.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (form == 0) form = length < 126 ? 7 : length < 65536 ? 16 : 64;
  if (form == 7) {
    h.push_back(static_cast<char>(0x80 | length));
  } else if (form == 16) {
    h.push_back(static_cast<char>(0x80 | 126));
    for (int s = 8; s >= 0; s -= 8) h.push_back(static_cast<char>((length >> s) & 0xff));
  } else {
    h.push_back(static_cast<char>(0x80 | 127));
    for (int s = 56; s >= 0; s -= 8) h.push_back(static_cast<char>((length >> s) & 0xff));
  }
  h += std::string(4, '\0');
  return h;
}

TEST(WsFrameScannerTest, FramesWithinTheLimitPassPayloadsIncluded) {
  ws_frame_scanner s(1000);
  // Two messages, one of them in two fragments, and a ping between them.
  auto stream = frame(2, 300) + std::string(300, 'x') + frame(9, 4) + "ping" +
                frame(1, 600, false) + std::string(600, 'y') + frame(0, 400) +
                std::string(400, 'z');
  EXPECT_EQ(s.scan(stream), ws_frame_scanner::verdict::ok);
}

TEST(WsFrameScannerTest, AMessageAnnouncedOverTheLimitIsRefusedByItsHeader) {
  // 2^63 - 1 announced: refused with the header alone, no payload needed.
  ws_frame_scanner s(1 << 20);
  EXPECT_EQ(s.scan(frame(2, 0x7fffffffffffffffULL)), ws_frame_scanner::verdict::too_large);
  EXPECT_EQ(s.announced(), 0x7fffffffffffffffULL);
  // Fragments add up.
  ws_frame_scanner f(1000);
  EXPECT_EQ(f.scan(frame(1, 600, false) + std::string(600, 'y')), ws_frame_scanner::verdict::ok);
  EXPECT_EQ(f.scan(frame(0, 401)), ws_frame_scanner::verdict::too_large);
  EXPECT_EQ(f.announced(), 1001u);
}

TEST(WsFrameScannerTest, A64BitLengthWithTheTopBitSetIsAProtocolError) {
  ws_frame_scanner s(UINT64_MAX);
  EXPECT_EQ(s.scan(frame(2, 0x8000000000000000ULL)), ws_frame_scanner::verdict::length_msb_set);
  // Byte by byte, as a trickling client sends it: caught at the first length byte.
  ws_frame_scanner t(UINT64_MAX);
  auto header = frame(2, 0x8000000000000001ULL);
  EXPECT_EQ(t.scan(header.substr(0, 2)), ws_frame_scanner::verdict::ok);
  EXPECT_EQ(t.scan(header.substr(2, 1)), ws_frame_scanner::verdict::length_msb_set);
  EXPECT_EQ(t.scan("more"), ws_frame_scanner::verdict::length_msb_set);
}

}  // namespace
}  // namespace liaison::protocol
