#include "zp/hj212/frame.h"

#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "example_frames_test.h"

namespace zp::hj212 {
namespace {

using testdata::kAllFrames;

// Appendix A spelled out bit by bit, to check the table-driven Crc16 against.
uint16_t ReferenceCrc(std::string_view data) {
  uint32_t crc = 0xFFFF;
  for (const char c : data) {
    crc = (crc >> 8) ^ static_cast<uint8_t>(c);
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
  }
  return static_cast<uint16_t>(crc);
}

// The usual Modbus CRC (byte xored into the low half), which Appendix A is not.
uint16_t ModbusCrc(std::string_view data) {
  uint32_t crc = 0xFFFF;
  for (const char c : data) {
    crc ^= static_cast<uint8_t>(c);
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
  }
  return static_cast<uint16_t>(crc);
}

std::string_view SegmentOf(std::string_view frame) {
  return frame.substr(kFrameHeaderLength, frame.size() - kFrameOverhead);
}

// The frame with its CRC digits in upper case, as AppendFrame writes them.
std::string WithUpperCrc(std::string_view frame) {
  std::string out(frame);
  for (size_t i = out.size() - kFrameTrailerLength; i < out.size() - 2; ++i) {
    if (out[i] >= 'a' && out[i] <= 'f') out[i] = static_cast<char>(out[i] - 'a' + 'A');
  }
  return out;
}

TEST(Crc16Test, AppendixAWorkedExample) {
  EXPECT_EQ(Crc16(SegmentOf(testdata::kAppendixA)), 0x1C80);
  std::string hex;
  AppendCrcHex(Crc16(SegmentOf(testdata::kAppendixA)), &hex);
  EXPECT_EQ(hex, "1C80");
}

TEST(Crc16Test, HutoolAnsiVectorAndNotModbus) {
  EXPECT_EQ(Crc16(testdata::kHutoolSegment), 0x1E00);
  EXPECT_EQ(ModbusCrc(testdata::kHutoolSegment), 0x25FB);  // hutool's modbusTest
  EXPECT_NE(Crc16(testdata::kHutoolSegment), ModbusCrc(testdata::kHutoolSegment));
}

TEST(Crc16Test, EmptyAndLeadingZeros) {
  EXPECT_EQ(Crc16(""), 0xFFFF);
  std::string hex;
  AppendCrcHex(0x00AB, &hex);
  EXPECT_EQ(hex, "00AB");
}

TEST(Crc16Test, TableMatchesBitwiseReference) {
  std::mt19937 rng(212);
  for (int n = 0; n < 2000; ++n) {
    std::string s(rng() % 300, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    ASSERT_EQ(Crc16(s), ReferenceCrc(s)) << n;
  }
}

TEST(ParseFrameTest, EveryExampleDecodesAndItsCrcChecks) {
  for (const std::string_view frame : kAllFrames) {
    Result<std::string_view> segment = ParseFrame(frame);
    ASSERT_TRUE(segment.ok()) << frame << ": " << segment.error().ToString();
    EXPECT_EQ(*segment, SegmentOf(frame));
    EXPECT_EQ(segment->size(), std::stoul(std::string(frame.substr(2, 4))));
    // The segment views the input, no copy.
    EXPECT_EQ(segment->data(), frame.data() + kFrameHeaderLength);
  }
}

TEST(ParseFrameTest, BuildIsTheInverseOfParse) {
  for (const std::string_view frame : kAllFrames) {
    Result<std::string> built = BuildFrame(SegmentOf(frame));
    ASSERT_TRUE(built.ok());
    EXPECT_EQ(*built,
              WithUpperCrc(frame));  // kAirRealtime's CRC is lower case; builds are upper case
    Result<std::string_view> back = ParseFrame(*built);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, SegmentOf(frame));
  }
}

TEST(ParseFrameTest, RandomSegmentsRoundTrip) {
  std::mt19937 rng(7);
  for (int n = 0; n < 500; ++n) {
    std::string segment(rng() % (kMaxSegmentLength + 1), ' ');
    for (char& c : segment) c = static_cast<char>(' ' + rng() % 95);
    Result<std::string> frame = BuildFrame(segment);
    ASSERT_TRUE(frame.ok());
    ASSERT_EQ(frame->size(), segment.size() + kFrameOverhead);
    Result<std::string_view> back = ParseFrame(*frame);
    ASSERT_TRUE(back.ok()) << back.error().ToString();
    EXPECT_EQ(*back, segment);
  }
}

TEST(ParseFrameTest, EmptySegmentIsAFrame) {
  Result<std::string> frame = BuildFrame("");
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(*frame, "##0000FFFF\r\n");
  EXPECT_TRUE(ParseFrame(*frame).ok());
}

FrameError ReasonOf(std::string_view bytes) {
  Result<std::string_view> r = ParseFrame(bytes);
  return r.ok() ? FrameError::kNone : FrameErrorOf(r.error());
}

TEST(ParseFrameTest, BadCrcIsRefused) {
  std::string f(testdata::kAppendixA);
  f[f.size() - 3] = '1';  // CRC 1C81
  EXPECT_EQ(ReasonOf(f), FrameError::kBadCrc);
  f = testdata::kAppendixA;
  f[40] = 'X';  // one byte of the data segment changed
  EXPECT_EQ(ReasonOf(f), FrameError::kBadCrc);
  f = testdata::kAppendixA;
  f[f.size() - 4] = 'G';  // not hex
  Result<std::string_view> r = ParseFrame(f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(FrameErrorOf(r.error()), FrameError::kBadCrc);
  EXPECT_NE(r.error().message().find("not 4 hex digits"), std::string::npos);
}

TEST(ParseFrameTest, BadLengthIsRefused) {
  std::string f(testdata::kAppendixA);
  f[5] = '2';  // declares 102: the CR LF comes a byte early
  EXPECT_EQ(ReasonOf(f), FrameError::kBadLength);
  f = testdata::kAppendixA;
  f[5] = '0';  // declares 100: no CR LF where the length puts the end
  EXPECT_EQ(ReasonOf(f), FrameError::kBadLength);
  // Some loggers count CRC and CRLF in the length (e.g. +6): refused.
  f = testdata::kAppendixA;
  f.replace(2, 4, "0107");
  EXPECT_EQ(ReasonOf(f), FrameError::kBadLength);
}

TEST(ParseFrameTest, TruncatedIsRefused) {
  const std::string_view f = testdata::kAppendixA;
  EXPECT_EQ(ReasonOf(f.substr(0, f.size() - 1)), FrameError::kTruncated);
  EXPECT_EQ(ReasonOf(f.substr(0, 50)), FrameError::kTruncated);
  EXPECT_EQ(ReasonOf(f.substr(0, 4)), FrameError::kTruncated);
  EXPECT_EQ(ReasonOf(""), FrameError::kTruncated);
}

TEST(ParseFrameTest, OversizedIsRefused) {
  std::string f = "##1025" + std::string(1025, 'x') + "0000\r\n";
  Result<std::string_view> r = ParseFrame(f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(FrameErrorOf(r.error()), FrameError::kOversized);
  EXPECT_EQ(r.error().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf("##9999"), FrameError::kOversized);
  // 1024 is the maximum and is accepted.
  Result<std::string> max = BuildFrame(std::string(kMaxSegmentLength, 'x'));
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->size(), kMaxFrameLength);
  EXPECT_TRUE(ParseFrame(*max).ok());
}

TEST(ParseFrameTest, GarbageIsRefused) {
  const std::string f(testdata::kAppendixA);
  EXPECT_EQ(ReasonOf("xyz" + f), FrameError::kGarbage);
  std::string letters = f;
  letters[4] = 'a';  // "##01a1": not a frame start
  EXPECT_EQ(ReasonOf(letters), FrameError::kGarbage);
  EXPECT_EQ(ReasonOf(f + "\r\n"), FrameError::kGarbage);
  EXPECT_EQ(ReasonOf("hello"), FrameError::kGarbage);
}

TEST(FrameErrorTest, NamesAndStatusRoundTrip) {
  for (size_t i = 1; i < kFrameErrorKinds; ++i) {
    const auto e = static_cast<FrameError>(i);
    const Status s = FrameErrorStatus(e, "detail");
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(FrameErrorOf(s), e);
    EXPECT_EQ(s.message(), std::string(FrameErrorName(e)) + ": detail");
  }
  EXPECT_EQ(FrameErrorOf(Status::OK()), FrameError::kNone);
  EXPECT_EQ(FrameErrorOf(InvalidArgumentError("bad_crc without colon")), FrameError::kNone);
  EXPECT_EQ(FrameErrorName(FrameError::kBadSegment), "bad_segment");
}

TEST(AppendFrameTest, OversizedSegmentAppendsNothing) {
  std::string out = "keep";
  const Status s = AppendFrame(std::string(kMaxSegmentLength + 1, 'x'), &out);
  EXPECT_EQ(FrameErrorOf(s), FrameError::kOversized);
  EXPECT_EQ(out, "keep");
}

// What a reader produced: segments as copies, errors as reasons.
struct Drained {
  std::vector<std::string> frames;
  std::vector<FrameError> errors;
  size_t max_buffered = 0;
};

void Drain(FrameReader& reader, Drained* out) {
  std::string_view segment;
  Status error;
  for (;;) {
    const FrameReader::Event e = reader.Next(&segment, &error);
    out->max_buffered = std::max(out->max_buffered, reader.buffered());
    if (e == FrameReader::Event::kNeedMore) return;
    if (e == FrameReader::Event::kFrame) {
      out->frames.emplace_back(segment);
    } else {
      out->errors.push_back(FrameErrorOf(error));
    }
  }
}

// Feeds `stream` in chunks of the given sizes (cycled), then finishes.
Drained ReadInChunks(std::string_view stream, const std::vector<size_t>& sizes) {
  FrameReader reader;
  Drained out;
  size_t pos = 0;
  for (size_t k = 0; pos < stream.size(); ++k) {
    const size_t n = std::min(sizes[k % sizes.size()], stream.size() - pos);
    // A fresh buffer per chunk that dies after the chunk was drained, as a socket buffer would.
    const std::string chunk(stream.substr(pos, n));
    reader.Feed(chunk);
    Drain(reader, &out);
    pos += n;
  }
  Status error;
  if (reader.Finish(&error)) out.errors.push_back(FrameErrorOf(error));
  EXPECT_EQ(reader.buffered(), 0u);
  return out;
}

std::string AllExamples() {
  std::string s;
  for (const std::string_view f : kAllFrames) s += f;
  return s;
}

std::vector<std::string> AllSegments() {
  std::vector<std::string> v;
  for (const std::string_view f : kAllFrames) v.emplace_back(SegmentOf(f));
  return v;
}

TEST(FrameReaderTest, ByteByByte) {
  const Drained d = ReadInChunks(AllExamples(), {1});
  EXPECT_EQ(d.frames, AllSegments());
  EXPECT_TRUE(d.errors.empty());
  EXPECT_LE(d.max_buffered, kMaxFrameLength);
}

TEST(FrameReaderTest, AllFramesInOneChunk) {
  const std::string stream = AllExamples();
  FrameReader reader;
  reader.Feed(stream);
  Drained d;
  Drain(reader, &d);
  EXPECT_EQ(d.frames, AllSegments());
  EXPECT_TRUE(d.errors.empty());
  EXPECT_EQ(d.max_buffered, 0u);  // nothing copied when frames are whole in the chunk
  EXPECT_EQ(reader.stats().frames, std::size(kAllFrames));
}

TEST(FrameReaderTest, RandomSplits) {
  const std::string stream = AllExamples();
  std::mt19937 rng(2017);
  for (int run = 0; run < 200; ++run) {
    std::vector<size_t> sizes(17);
    for (size_t& s : sizes) s = 1 + rng() % 300;
    const Drained d = ReadInChunks(stream, sizes);
    ASSERT_EQ(d.frames, AllSegments()) << run;
    ASSERT_TRUE(d.errors.empty()) << run;
  }
}

TEST(FrameReaderTest, GarbageBetweenFramesIsOneErrorPerRun) {
  const std::string a(testdata::kAppendixA), c(testdata::kAppendixCHourly);
  const std::string stream = "noise\r\n" + a + "#x#y\r\n" + std::string(3000, 'z') + c + "#";
  for (const size_t chunk : {size_t{1}, size_t{7}, size_t{64}, size_t{100000}}) {
    const Drained d = ReadInChunks(stream, {chunk});
    EXPECT_EQ(d.frames,
              (std::vector<std::string>{std::string(SegmentOf(a)), std::string(SegmentOf(c))}))
        << chunk;
    EXPECT_EQ(d.errors, (std::vector<FrameError>{FrameError::kGarbage, FrameError::kGarbage,
                                                 FrameError::kGarbage}))
        << chunk;
    EXPECT_LE(d.max_buffered, kMaxFrameLength);
  }
}

TEST(FrameReaderTest, OversizedIsRefusedWithoutBuffering) {
  const std::string a(testdata::kAppendixA);
  // A header claiming 9999 bytes followed by 200 kB: refused after its 6 header bytes, the rest
  // skipped as part of the same error, and the next frame still read.
  const std::string stream = "##9999" + std::string(200000, 'x') + a;
  for (const size_t chunk : {size_t{1}, size_t{5}, size_t{4096}}) {
    const Drained d = ReadInChunks(stream, {chunk});
    EXPECT_EQ(d.errors, std::vector<FrameError>{FrameError::kOversized}) << chunk;
    EXPECT_EQ(d.frames, std::vector<std::string>{std::string(SegmentOf(a))}) << chunk;
    EXPECT_LT(d.max_buffered, a.size());  // never the 10011 bytes the header claimed
  }
}

TEST(FrameReaderTest, TruncatedFrameThenAGoodOne) {
  const std::string a(testdata::kAppendixA), c(testdata::kAppendixCHourly);
  // A frame cut off after 60 bytes, then a whole frame whose CR LF comes before the cut frame's
  // declared end: the whole frame must survive.
  const std::string stream = c.substr(0, 60) + a;
  for (const size_t chunk : {size_t{1}, size_t{13}, size_t{100000}}) {
    const Drained d = ReadInChunks(stream, {chunk});
    EXPECT_EQ(d.errors, std::vector<FrameError>{FrameError::kTruncated}) << chunk;
    EXPECT_EQ(d.frames, std::vector<std::string>{std::string(SegmentOf(a))}) << chunk;
  }
  // Cut off, and the next frame is long enough to cover the declared end.
  const std::string stream2 = a.substr(0, 30) + c;
  const Drained d2 = ReadInChunks(stream2, {3});
  EXPECT_EQ(d2.errors, std::vector<FrameError>{FrameError::kTruncated});
  EXPECT_EQ(d2.frames, std::vector<std::string>{std::string(SegmentOf(c))});
}

TEST(FrameReaderTest, EveryBadFrameClassThenRecovery) {
  const std::string a(testdata::kAppendixA);
  std::string bad_crc = a;
  bad_crc[bad_crc.size() - 3] = '1';
  std::string bad_length = a;
  bad_length[5] = '0';
  std::string letters = a;
  letters[3] = 'Z';
  const std::string stream = bad_crc + a + bad_length + a + letters + a + "##2000" + a;
  const Drained d = ReadInChunks(stream, {9});
  EXPECT_EQ(d.errors, (std::vector<FrameError>{FrameError::kBadCrc, FrameError::kBadLength,
                                               FrameError::kGarbage, FrameError::kOversized}));
  EXPECT_EQ(d.frames.size(), 4u);
  for (const std::string& s : d.frames) EXPECT_EQ(s, SegmentOf(a));
}

TEST(FrameReaderTest, RunOfHashesIsOneGarbageError) {
  const std::string a(testdata::kAppendixA);
  const std::string stream = std::string(40, '#') + a + "##x##" + std::string(9, '#') + a;
  for (const size_t chunk : {size_t{1}, size_t{3}, size_t{1000}}) {
    const Drained d = ReadInChunks(stream, {chunk});
    EXPECT_EQ(d.errors, (std::vector<FrameError>{FrameError::kGarbage, FrameError::kGarbage}))
        << chunk;
    EXPECT_EQ(d.frames.size(), 2u) << chunk;
  }
}

// Whatever the bytes, the events do not depend on how the stream is cut into chunks.
TEST(FrameReaderTest, ChunkingNeverChangesTheEvents) {
  const std::string examples = AllExamples();
  std::mt19937 rng(9);
  for (int run = 0; run < 300; ++run) {
    std::string stream = examples;
    const int edits = 1 + static_cast<int>(rng() % 12);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % stream.size();
      switch (rng() % 4) {
        case 0:
          stream[at] = "#\r\n0123456789ABx;="[rng() % 18];
          break;
        case 1:
          stream.erase(at, 1 + rng() % 40);
          break;
        case 2:
          stream.insert(at, std::string(1 + rng() % 5, '#'));
          break;
        default:
          stream.insert(at, stream.substr(rng() % stream.size(), 1 + rng() % 200));
          break;
      }
      if (stream.empty()) stream = examples;
    }
    const Drained whole = ReadInChunks(stream, {stream.size()});
    for (const size_t chunk : {size_t{1}, size_t{2}, 1 + rng() % 100}) {
      const Drained d = ReadInChunks(stream, {chunk});
      ASSERT_EQ(d.frames, whole.frames) << run << " " << chunk;
      ASSERT_EQ(d.errors, whole.errors) << run << " " << chunk;
      ASSERT_LE(d.max_buffered, kMaxFrameLength);
    }
  }
}

TEST(FrameReaderTest, FinishReportsAnUnfinishedFrame) {
  FrameReader reader;
  Status error;
  EXPECT_FALSE(reader.Finish(&error));
  const std::string part(testdata::kAppendixA.substr(0, 40));
  reader.Feed(part);
  Drained d;
  Drain(reader, &d);
  EXPECT_TRUE(d.frames.empty());
  EXPECT_EQ(reader.buffered(), 40u);
  ASSERT_TRUE(reader.Finish(&error));
  EXPECT_EQ(FrameErrorOf(error), FrameError::kTruncated);
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_EQ(reader.stats().Errors(FrameError::kTruncated), 1u);
  EXPECT_EQ(reader.stats().bytes_skipped, 40u);
}

TEST(FrameReaderTest, StatsCountFramesErrorsAndSkippedBytes) {
  const std::string a(testdata::kAppendixA);
  std::string bad = a;
  bad[bad.size() - 3] = '1';
  FrameReader reader;
  const std::string stream = "abc" + a + bad + a;
  reader.Feed(stream);
  Drained d;
  Drain(reader, &d);
  EXPECT_EQ(reader.stats().frames, 2u);
  EXPECT_EQ(reader.stats().Errors(FrameError::kGarbage), 1u);
  EXPECT_EQ(reader.stats().Errors(FrameError::kBadCrc), 1u);
  EXPECT_EQ(reader.stats().bytes_skipped, 3u + bad.size());
}

TEST(FrameReaderTest, SegmentFromTheCarryStaysValidUntilNextCall) {
  const std::string a(testdata::kAppendixA);
  FrameReader reader;
  const std::string first = a.substr(0, 10), rest = a.substr(10) + a;
  reader.Feed(first);
  std::string_view segment;
  Status error;
  EXPECT_EQ(reader.Next(&segment, &error), FrameReader::Event::kNeedMore);
  reader.Feed(rest);
  ASSERT_EQ(reader.Next(&segment, &error), FrameReader::Event::kFrame);
  EXPECT_EQ(segment, SegmentOf(a));  // from the carry buffer
  ASSERT_EQ(reader.Next(&segment, &error), FrameReader::Event::kFrame);
  EXPECT_EQ(segment, SegmentOf(a));  // straight from the chunk
  EXPECT_EQ(segment.data(), rest.data() + (a.size() - 10) + kFrameHeaderLength);
  EXPECT_EQ(reader.Next(&segment, &error), FrameReader::Event::kNeedMore);
}

}  // namespace
}  // namespace zp::hj212
