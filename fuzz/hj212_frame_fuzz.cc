// libFuzzer target for the HJ 212 codec (src/hj212). The input is a TCP byte stream; the first byte
// picks the chunk sizes it is fed in. Checks:
// - FrameReader gives the same frames and errors whatever the chunking (one chunk vs small
//   chunks), never holds more than one frame (1036 bytes), and every error names its reason;
// - each frame's data segment is ≤ 1024 bytes and build -> parse gives it back byte for byte;
// - ParseSegment (run on every frame and on the raw input, so segments are reached without a
//   valid CRC) either refuses with bad_segment or yields views inside the segment that survive
//   AppendCp/AppendSegment -> ParseSegment with the same values.
// Traps (a fuzzer finding) when broken.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "zp/hj212/frame.h"
#include "zp/hj212/segment.h"

namespace {

using zp::hj212::FrameError;
using zp::hj212::FrameReader;

void Fail(const char* what) {
  std::fprintf(stderr, "hj212_frame_fuzz: %s\n", what);
  std::abort();
}

struct Events {
  std::vector<std::string> frames;
  std::vector<FrameError> errors;
};

void Drain(FrameReader& reader, Events* out) {
  std::string_view segment;
  zp::Status error;
  for (;;) {
    const FrameReader::Event e = reader.Next(&segment, &error);
    if (reader.buffered() > zp::hj212::kMaxFrameLength) Fail("reader holds more than a frame");
    if (e == FrameReader::Event::kNeedMore) return;
    if (e == FrameReader::Event::kFrame) {
      out->frames.emplace_back(segment);
    } else {
      const FrameError reason = zp::hj212::FrameErrorOf(error);
      if (reason == FrameError::kNone || reason == FrameError::kBadSegment) {
        Fail("reader error without a frame-level reason");
      }
      out->errors.push_back(reason);
    }
  }
}

Events Read(std::string_view stream, size_t chunk) {
  FrameReader reader;
  Events out;
  for (size_t pos = 0; pos < stream.size(); pos += chunk) {
    const std::string piece(
        stream.substr(pos, chunk));  // dies after the chunk, like a socket buffer
    reader.Feed(piece);
    Drain(reader, &out);
  }
  zp::Status error;
  if (reader.Finish(&error)) out.errors.push_back(zp::hj212::FrameErrorOf(error));
  if (reader.buffered() != 0) Fail("Finish left bytes behind");
  return out;
}

bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Values of a parse as "name=value" strings, in a layout-independent order.
std::vector<std::string> Flatten(const zp::hj212::DataSegment& s) {
  std::string cp;
  zp::hj212::AppendCp(s, &cp);
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= cp.size()) {
    size_t j = cp.find_first_of(";,", i);
    if (j == std::string::npos) j = cp.size();
    if (j > i) out.emplace_back(cp.substr(i, j - i));
    i = j + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

void CheckSegment(std::string_view segment) {
  zp::hj212::DataSegment s;
  const zp::Status status = zp::hj212::ParseSegment(segment, &s);
  if (!status.ok()) {
    if (zp::hj212::FrameErrorOf(status) != FrameError::kBadSegment) {
      Fail("segment refused without bad_segment");
    }
    return;
  }
  for (const std::string_view v : {s.qn, s.st, s.cn, s.pw, s.mn, s.cp, s.data_time}) {
    if (!Inside(v, segment)) Fail("header view outside the segment");
  }
  for (const zp::hj212::PollutantRecord& r : s.records) {
    if (!Inside(r.code, segment) || r.code.empty()) Fail("record code outside the segment");
  }
  for (const zp::hj212::CpField& f : s.other) {
    if (!Inside(f.name, segment) || !Inside(f.value, segment)) Fail("field outside the segment");
    if (f.record >= static_cast<int32_t>(s.records.size())) Fail("field names no record");
  }
  std::string cp;
  zp::hj212::AppendCp(s, &cp);
  std::string rebuilt;
  zp::hj212::AppendSegment({s.qn, s.st, s.cn, s.pw, s.mn, s.flag, s.pnum, s.pno}, cp, &rebuilt);
  zp::hj212::DataSegment again;
  if (!zp::hj212::ParseSegment(rebuilt, &again).ok()) Fail("rebuilt segment does not parse");
  if (again.qn != s.qn || again.cn != s.cn || again.flag != s.flag || again.mn != s.mn ||
      again.pnum != s.pnum) {
    Fail("rebuilt segment changed the header");
  }
  if (Flatten(again) != Flatten(s)) Fail("rebuilt segment changed the values");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Events whole = Read(stream, stream.size() + 1);
  const Events pieces = Read(stream, chunk);
  if (whole.frames != pieces.frames) Fail("chunking changed the frames");
  if (whole.errors != pieces.errors) Fail("chunking changed the errors");

  for (const std::string& segment : whole.frames) {
    if (segment.size() > zp::hj212::kMaxSegmentLength) Fail("segment over 1024 bytes");
    const zp::Result<std::string> frame = zp::hj212::BuildFrame(segment);
    if (!frame.ok()) Fail("a read segment does not build");
    const zp::Result<std::string_view> back = zp::hj212::ParseFrame(*frame);
    if (!back.ok() || *back != segment) Fail("build -> parse changed the segment");
    CheckSegment(segment);
  }
  const zp::Result<std::string_view> one = zp::hj212::ParseFrame(stream);
  if (!one.ok() && zp::hj212::FrameErrorOf(one.error()) == FrameError::kNone) {
    Fail("ParseFrame error without a reason");
  }
  if (one.ok() && (whole.frames.size() != 1 || *one != whole.frames[0])) {
    Fail("ParseFrame and FrameReader disagree");
  }
  CheckSegment(stream);
  return 0;
}
