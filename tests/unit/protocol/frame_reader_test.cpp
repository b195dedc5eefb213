#include "protocol/frame_reader.hpp"

#include <gtest/gtest.h>

namespace liaison::protocol {
namespace {

std::string framed(std::string_view body) {
  std::string out;
  put_frame_header(out, static_cast<std::uint32_t>(body.size()));
  out.append(body);
  return out;
}

TEST(FrameReaderTest, SplitsFramesFedInOneChunk) {
  frame_reader r(1024);
  r.append(framed("one") + framed("") + framed("three"));
  EXPECT_EQ(r.next().body, "one");
  auto empty = r.next();
  EXPECT_EQ(empty.state, frame_reader::status::frame);
  EXPECT_EQ(empty.body, "");
  EXPECT_EQ(r.next().body, "three");
  EXPECT_EQ(r.next().state, frame_reader::status::need_more);
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(FrameReaderTest, ReassemblesAFrameTrickledOneByteAtATime) {
  frame_reader r(1024);
  auto bytes = framed("trickled slowly");
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    r.append(bytes.substr(i, 1));
    EXPECT_EQ(r.next().state, frame_reader::status::need_more);
  }
  r.append(bytes.substr(bytes.size() - 1));
  EXPECT_EQ(r.next().body, "trickled slowly");
}

TEST(FrameReaderTest, AnnouncedSizeOverTheLimitIsTooLargeBeforeTheBodyArrives) {
  frame_reader r(16);
  std::string header;
  put_frame_header(header, 17);
  r.append(header);
  auto item = r.next();
  EXPECT_EQ(item.state, frame_reader::status::too_large);
  EXPECT_EQ(item.declared_size, 17u);
}

TEST(FrameReaderTest, FrameExactlyAtTheLimitIsAccepted) {
  frame_reader r(16);
  r.append(framed(std::string(16, 'x')));
  EXPECT_EQ(r.next().state, frame_reader::status::frame);
}

TEST(FrameReaderTest, PrepareAndCommitKeepOnlyWhatWasWritten) {
  frame_reader r(1024);
  auto bytes = framed("abc");
  auto area = r.prepare(100);
  std::copy(bytes.begin(), bytes.end(), area.begin());
  r.commit(bytes.size());
  EXPECT_EQ(r.buffered(), bytes.size());
  EXPECT_EQ(r.next().body, "abc");
  // Memory stays near one frame across many frames.
  for (int i = 0; i < 10000; ++i) {
    r.append(framed("payload"));
    ASSERT_EQ(r.next().body, "payload");
  }
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(FrameReaderTest, HeaderIsBigEndian) {
  std::string header;
  put_frame_header(header, 0x01020304);
  EXPECT_EQ(header, std::string("\x01\x02\x03\x04", 4));
}

}  // namespace
}  // namespace liaison::protocol
