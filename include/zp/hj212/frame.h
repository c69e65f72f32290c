#pragma once

// HJ 212-2017 communication packets (通讯包, §6.3.1 Table 2):
//
//   "##" + 4 decimal digits (length of the data segment) + data segment (0..1024 ASCII/UTF-8
//   bytes) + 4 hex digits (CRC16 of the data segment, Appendix A) + "\r\n"
//
// Parsing never copies a data segment: results are string_views into the caller's bytes (or, for
// FrameReader, into its small carry buffer). Every refusal carries a FrameError reason so the
// server can count refused frames by kind; see docs/hj212.md for what is accepted and refused.
// 通讯包的解析、校验（附录 A CRC16）与组包；错误附带原因码以便计数。

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "zp/base/result.h"
#include "zp/base/status.h"

namespace zp::hj212 {

// Table 2: the data segment holds 0 ≤ n ≤ 1024 characters.
inline constexpr size_t kMaxSegmentLength = 1024;
inline constexpr size_t kFrameHeaderLength = 6;   // "##" + 4 digits
inline constexpr size_t kFrameTrailerLength = 6;  // 4 hex digits + CR LF
inline constexpr size_t kFrameOverhead = kFrameHeaderLength + kFrameTrailerLength;
inline constexpr size_t kMaxFrameLength = kMaxSegmentLength + kFrameOverhead;  // 1036

// Why a frame (or a run of bytes) was refused. Stable names for counters and logs.
enum class FrameError : uint8_t {
  kNone = 0,
  kBadCrc,      // "bad_crc": the 4 CRC characters are not hex or do not match the data segment
  kBadLength,   // "bad_length": the CR LF is not where the length field puts the end
  kTruncated,   // "truncated": the stream ended, or a new frame began, before the declared end
  kOversized,   // "oversized": the length field exceeds 1024
  kGarbage,     // "garbage": bytes outside any frame; a frame starts with "##" + 4 digits
  kBadSegment,  // "bad_segment": the frame is sound but its data segment is not (segment.h)
};
inline constexpr size_t kFrameErrorKinds = 7;

// "bad_crc", "bad_length", ... ("ok" for kNone).
std::string_view FrameErrorName(FrameError error);
// The reason of a Status made by this module (its message starts with "<name>: "); kNone for OK
// and for statuses from elsewhere.
FrameError FrameErrorOf(const Status& status);
// A non-OK Status whose message is "<name>: <detail>". Oversized frames are RESOURCE_EXHAUSTED,
// everything else INVALID_ARGUMENT.
Status FrameErrorStatus(FrameError error, std::string_view detail);

// CRC16 of Appendix A: register 0xFFFF; per byte crc = (crc >> 8) ^ byte, then 8 rounds of
// "shift right, xor 0xA001 if the bit shifted out was 1". Not the Modbus CRC (which xors the byte
// into the low half): for the same bytes the two differ.
uint16_t Crc16(std::string_view data);
// Appends the CRC as 4 upper-case hex digits (high byte first), e.g. "1C80".
void AppendCrcHex(uint16_t crc, std::string* out);

// Parses exactly one frame that spans all of `bytes`; returns a view of its data segment.
// Errors: garbage (not starting with "##" + 4 digits, or bytes after the CR LF), oversized,
// truncated (fewer bytes than declared), bad_length, bad_crc.
Result<std::string_view> ParseFrame(std::string_view bytes);

// Appends "##" + length + segment + CRC + CRLF. Fails with oversized when the segment is longer
// than 1024 bytes (nothing is appended then).
Status AppendFrame(std::string_view segment, std::string* out);
Result<std::string> BuildFrame(std::string_view segment);

struct FrameReaderStats {
  uint64_t frames = 0;                              // frames returned
  uint64_t bytes_skipped = 0;                       // bytes of refused frames and garbage
  std::array<uint64_t, kFrameErrorKinds> errors{};  // indexed by FrameError
  uint64_t Errors(FrameError e) const { return errors[static_cast<size_t>(e)]; }
};

// Splits a byte stream (one TCP connection) into frames. Feed it chunks of any size; it returns
// each complete frame, whatever the chunk boundaries (split packets, several frames in one
// chunk). After a refused frame or garbage it resynchronises on the next "##". It never holds
// more than one unfinished frame (≤ 1036 bytes): a length field over 1024 is refused as soon as
// its 6 header bytes have arrived. One error is reported per refused frame and per run of
// garbage between frames. Not thread-safe; one reader per connection.
//
//   reader.Feed(chunk);
//   std::string_view segment;
//   Status error;
//   for (;;) {
//     auto event = reader.Next(&segment, &error);
//     if (event == FrameReader::Event::kNeedMore) break;
//     if (event == FrameReader::Event::kFrame) Handle(segment); else Count(error);
//   }
class FrameReader {
 public:
  enum class Event { kFrame, kError, kNeedMore };

  FrameReader() = default;
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  // Hands the reader the next bytes of the stream. The reader reads `chunk` in place (no copy)
  // until Next returns kNeedMore, so the caller keeps it alive and unchanged until then; only an
  // unfinished frame at its end is copied. Call it only after Next returned kNeedMore (or at the
  // start).
  void Feed(std::string_view chunk);

  // The next frame or error. On kFrame, *segment views the data segment until the next call to
  // Feed or Next. On kError, *error says why (FrameErrorOf gives the reason).
  Event Next(std::string_view* segment, Status* error);

  // End of stream: reports an unfinished frame as truncated (or trailing garbage) and resets the
  // reader. Returns false when nothing was pending.
  bool Finish(Status* error);

  // Bytes held between Feed calls (always ≤ kMaxFrameLength).
  size_t buffered() const { return carry_.size() - carry_consumed_; }
  const FrameReaderStats& stats() const { return stats_; }

 private:
  Event Report(FrameError error, size_t skipped, std::string_view detail, Status* out);

  std::string carry_;          // unfinished frame carried over from an earlier chunk
  size_t carry_consumed_ = 0;  // bytes of carry_ already returned (erased on the next call)
  std::string_view input_;     // the chunk being read
  size_t input_pos_ = 0;
  bool in_garbage_ = false;  // inside a garbage run already reported
  FrameReaderStats stats_;
};

}  // namespace zp::hj212
