#include "zp/hj212/frame.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace zp::hj212 {
namespace {

constexpr std::array<std::string_view, kFrameErrorKinds> kErrorNames = {
    "ok", "bad_crc", "bad_length", "truncated", "oversized", "garbage", "bad_segment"};

// Appendix A processes a byte as crc = (crc >> 8) ^ byte (a value below 256) followed by eight
// shift/xor rounds, so each step is crc = full[(crc >> 8) ^ byte], with full[x] the rounds applied
// to x. Only the high byte of crc feeds the next step, and x -> full[x] >> 8 is linear over GF(2)
// (call it L), so for the high byte h:
//   h' = L(h ^ b0),  and 8 bytes on:  h8 = L^8(h ^ b0) ^ L^7(b1) ^ ... ^ L^1(b7)
// which needs 8 independent lookups instead of a chain of 8 ("slicing by 8"); the last byte takes
// the full 16-bit table.
struct CrcTables {
  std::array<uint16_t, 256> full{};
  std::array<std::array<uint8_t, 256>, 8> high{};  // high[j][x] = L^(j+1)(x)
};

constexpr CrcTables MakeCrcTables() {
  CrcTables t;
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    t.full[i] = static_cast<uint16_t>(crc);
    t.high[0][i] = static_cast<uint8_t>(crc >> 8);
  }
  for (size_t j = 1; j < 8; ++j) {
    for (size_t i = 0; i < 256; ++i) t.high[j][i] = t.high[0][t.high[j - 1][i]];
  }
  return t;
}
constexpr CrcTables kCrc = MakeCrcTables();

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// What the bytes at the start of a window are.
enum class ScanKind { kFrame, kError, kNeed };

// Which check refused the bytes, for the error message.
enum class Cause : uint8_t { kOther, kNoCrlfAtEnd, kEarlyCrlf, kCrcNotHex, kCrcMismatch };

struct Scan {
  ScanKind kind = ScanKind::kNeed;
  FrameError error = FrameError::kNone;
  Cause cause = Cause::kOther;
  size_t consumed = 0;  // kFrame / kError: bytes to drop from the window
  size_t need = 0;      // kNeed: window size required to decide
  bool resync = false;  // kError: what follows is garbage up to the next "##"
  std::string_view segment;
  // Numbers for the error message (meaning depends on the error).
  size_t a = 0;
  size_t b = 0;
};

Scan Error(FrameError error, Cause cause, size_t consumed, bool resync, size_t a = 0,
           size_t b = 0) {
  Scan s;
  s.kind = ScanKind::kError;
  s.error = error;
  s.cause = cause;
  s.consumed = consumed;
  s.resync = resync;
  s.a = a;
  s.b = b;
  return s;
}

Scan Need(size_t bytes) {
  Scan s;
  s.need = bytes;
  return s;
}

// Whether w could begin a frame: "##" and 4 digits, as far as w goes.
bool MaybeFrameStart(std::string_view w) {
  if (w.empty() || w[0] != '#' || (w.size() > 1 && w[1] != '#')) return false;
  for (size_t i = 2; i < std::min(w.size(), kFrameHeaderLength); ++i) {
    if (!IsDigit(w[i])) return false;
  }
  return true;
}

// Position of the first possible frame start in [from, w.size()), or npos. Callers pass a window
// cut where their decision must stop looking, so that the answer never depends on how the stream
// was chunked.
size_t FindFrameStart(std::string_view w, size_t from) {
  while (from < w.size()) {
    const size_t p = w.find("##", from);
    if (p == std::string_view::npos) return p;
    if (MaybeFrameStart(w.substr(p))) return p;
    from = p + 1;
  }
  return std::string_view::npos;
}

// Decides what the window starts with: a complete frame, an error covering `consumed` bytes, or
// "need more bytes" (never more than kMaxFrameLength). A frame starts with "##" and 4 digits;
// other bytes up to the next such start are garbage.
Scan ScanWindow(std::string_view w) {
  if (w.empty()) return Need(kFrameHeaderLength);
  if (!MaybeFrameStart(w)) {
    size_t p = FindFrameStart(w, 1);
    if (p == std::string_view::npos) p = w.back() == '#' ? w.size() - 1 : w.size();
    return Error(FrameError::kGarbage, Cause::kOther, p, false);
  }
  if (w.size() < kFrameHeaderLength) return Need(kFrameHeaderLength);
  const size_t n = static_cast<size_t>((w[2] - '0') * 1000 + (w[3] - '0') * 100 +
                                       (w[4] - '0') * 10 + (w[5] - '0'));
  if (n > kMaxSegmentLength) return Error(FrameError::kOversized, Cause::kOther, 2, true, n);
  const size_t total = n + kFrameOverhead;
  // A CR LF before the declared end: the frame is shorter than its length field says. When a new
  // frame begins before that CR LF, this frame was cut off and the CR LF belongs to the next.
  const size_t lf_end = std::min(w.size(), total - 1);
  for (size_t j = kFrameHeaderLength + 1; j < lf_end;) {
    const void* hit = std::memchr(w.data() + j, '\n', lf_end - j);
    if (hit == nullptr) break;
    const size_t at = static_cast<const char*>(hit) - w.data();
    if (w[at - 1] == '\r') {
      const size_t p = FindFrameStart(w.substr(0, at + 1), kFrameHeaderLength);
      if (p != std::string_view::npos) {
        return Error(FrameError::kTruncated, Cause::kOther, p, false, total, p);
      }
      return Error(FrameError::kBadLength, Cause::kEarlyCrlf, at + 1, false, n, at - 1);
    }
    j = at + 1;
  }
  if (w.size() < total) return Need(total);
  if (w[total - 2] != '\r' || w[total - 1] != '\n') {
    const size_t p = FindFrameStart(w.substr(0, total), kFrameHeaderLength);
    if (p != std::string_view::npos) {
      return Error(FrameError::kTruncated, Cause::kOther, p, false, total, p);
    }
    return Error(FrameError::kBadLength, Cause::kNoCrlfAtEnd, 2, true, n);
  }
  uint32_t declared = 0;
  for (size_t i = 0; i < 4; ++i) {
    const int v = HexValue(w[kFrameHeaderLength + n + i]);
    if (v < 0) return Error(FrameError::kBadCrc, Cause::kCrcNotHex, total, false, n);
    declared = declared << 4 | static_cast<uint32_t>(v);
  }
  Scan s;
  s.segment = w.substr(kFrameHeaderLength, n);
  const uint16_t computed = Crc16(s.segment);
  if (computed != declared) {
    // A cut-off frame whose declared end happens to fall on the next frame's CR LF: resynchronise
    // on the "##dddd" inside rather than drop the next frame with it.
    const size_t p = FindFrameStart(w.substr(0, kFrameHeaderLength + n), kFrameHeaderLength);
    if (p != std::string_view::npos) {
      return Error(FrameError::kTruncated, Cause::kOther, p, false, total, p);
    }
    return Error(FrameError::kBadCrc, Cause::kCrcMismatch, total, false, declared, computed);
  }
  s.kind = ScanKind::kFrame;
  s.consumed = total;
  return s;
}

Status ScanStatus(const Scan& s, std::string_view w) {
  switch (s.error) {
    case FrameError::kGarbage:
      return FrameErrorStatus(s.error, fmt::format("{} bytes outside a frame", s.consumed));
    case FrameError::kBadLength:
      if (s.cause == Cause::kNoCrlfAtEnd) {
        return FrameErrorStatus(
            s.error,
            fmt::format("no CR LF where the length field ({}) puts the end of the frame", s.a));
      }
      return FrameErrorStatus(
          s.error,
          fmt::format("length field says {} but CR LF comes at byte {}, before the declared end",
                      s.a, s.b));
    case FrameError::kOversized:
      return FrameErrorStatus(s.error, fmt::format("length field {} exceeds the maximum of {}", s.a,
                                                   kMaxSegmentLength));
    case FrameError::kTruncated:
      return FrameErrorStatus(
          s.error,
          fmt::format("frame declared {} bytes but a new frame starts at byte {}", s.a, s.b));
    case FrameError::kBadCrc:
      if (s.cause == Cause::kCrcNotHex) {
        return FrameErrorStatus(s.error, fmt::format("CRC field '{}' is not 4 hex digits",
                                                     w.substr(kFrameHeaderLength + s.a, 4)));
      }
      return FrameErrorStatus(s.error,
                              fmt::format("CRC {:04X} in frame, {:04X} computed over the data "
                                          "segment",
                                          s.a, s.b));
    default:
      return FrameErrorStatus(s.error, "refused");
  }
}

}  // namespace

std::string_view FrameErrorName(FrameError error) {
  const size_t i = static_cast<size_t>(error);
  return i < kErrorNames.size() ? kErrorNames[i] : "unknown";
}

FrameError FrameErrorOf(const Status& status) {
  if (status.ok()) return FrameError::kNone;
  const std::string_view m = status.message();
  for (size_t i = 1; i < kErrorNames.size(); ++i) {
    const std::string_view name = kErrorNames[i];
    if (m.size() > name.size() && m.compare(0, name.size(), name) == 0 && m[name.size()] == ':') {
      return static_cast<FrameError>(i);
    }
  }
  return FrameError::kNone;
}

Status FrameErrorStatus(FrameError error, std::string_view detail) {
  const StatusCode code = error == FrameError::kOversized ? StatusCode::kResourceExhausted
                                                          : StatusCode::kInvalidArgument;
  return Status(code, fmt::format("{}: {}", FrameErrorName(error), detail));
}

uint16_t Crc16(std::string_view data) {
  if (data.empty()) return 0xFFFF;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  const size_t last = data.size() - 1;
  const auto& l = kCrc.high;
  uint32_t h = 0xFF;  // high byte of the register 0xFFFF
  size_t i = 0;
  for (; i + 8 <= last; i += 8) {
    h = (l[7][h ^ p[i]] ^ l[6][p[i + 1]]) ^ (l[5][p[i + 2]] ^ l[4][p[i + 3]]) ^
        (l[3][p[i + 4]] ^ l[2][p[i + 5]]) ^ (l[1][p[i + 6]] ^ l[0][p[i + 7]]);
  }
  for (; i < last; ++i) h = l[0][h ^ p[i]];
  return kCrc.full[h ^ p[last]];
}

void AppendCrcHex(uint16_t crc, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const char digits[4] = {kHex[(crc >> 12) & 0xF], kHex[(crc >> 8) & 0xF], kHex[(crc >> 4) & 0xF],
                          kHex[crc & 0xF]};
  out->append(digits, 4);
}

Result<std::string_view> ParseFrame(std::string_view bytes) {
  const Scan s = ScanWindow(bytes);
  if (s.kind == ScanKind::kNeed) {
    return FrameErrorStatus(FrameError::kTruncated,
                            fmt::format("{} bytes where the frame needs {}", bytes.size(),
                                        std::max(s.need, kFrameOverhead)));
  }
  if (s.kind == ScanKind::kError) return ScanStatus(s, bytes);
  if (s.consumed != bytes.size()) {
    return FrameErrorStatus(FrameError::kGarbage, fmt::format("{} bytes after the frame's CR LF",
                                                              bytes.size() - s.consumed));
  }
  return s.segment;
}

Status AppendFrame(std::string_view segment, std::string* out) {
  if (segment.size() > kMaxSegmentLength) {
    return FrameErrorStatus(FrameError::kOversized,
                            fmt::format("data segment of {} bytes exceeds the maximum of {}",
                                        segment.size(), kMaxSegmentLength));
  }
  const size_t n = segment.size();
  const char header[kFrameHeaderLength] = {'#',
                                           '#',
                                           static_cast<char>('0' + n / 1000),
                                           static_cast<char>('0' + n / 100 % 10),
                                           static_cast<char>('0' + n / 10 % 10),
                                           static_cast<char>('0' + n % 10)};
  out->reserve(out->size() + n + kFrameOverhead);
  out->append(header, kFrameHeaderLength);
  out->append(segment);
  AppendCrcHex(Crc16(segment), out);
  out->append("\r\n", 2);
  return Status::OK();
}

Result<std::string> BuildFrame(std::string_view segment) {
  std::string out;
  ZP_RETURN_IF_ERROR(AppendFrame(segment, &out));
  return out;
}

void FrameReader::Feed(std::string_view chunk) {
  ZP_CHECK(input_pos_ == input_.size());  // the previous chunk was read to kNeedMore
  input_ = chunk;
  input_pos_ = 0;
}

FrameReader::Event FrameReader::Report(FrameError error, size_t skipped, std::string_view detail,
                                       Status* out) {
  stats_.bytes_skipped += skipped;
  stats_.errors[static_cast<size_t>(error)]++;
  *out = FrameErrorStatus(error, detail);
  return Event::kError;
}

FrameReader::Event FrameReader::Next(std::string_view* segment, Status* error) {
  if (carry_consumed_ > 0) {
    carry_.erase(0, carry_consumed_);
    carry_consumed_ = 0;
  }
  for (;;) {
    const bool from_carry = !carry_.empty();
    const std::string_view w = from_carry ? std::string_view(carry_) : input_.substr(input_pos_);
    if (w.empty()) return Event::kNeedMore;
    const Scan s = ScanWindow(w);
    if (s.kind == ScanKind::kNeed) {
      if (from_carry) {
        const size_t take = std::min(s.need - carry_.size(), input_.size() - input_pos_);
        if (take == 0) return Event::kNeedMore;
        carry_.append(input_.data() + input_pos_, take);
        input_pos_ += take;
        continue;
      }
      carry_.assign(w.data(), w.size());  // < s.need ≤ kMaxFrameLength bytes
      input_pos_ = input_.size();
      return Event::kNeedMore;
    }
    if (s.kind == ScanKind::kFrame) {
      if (from_carry) {
        carry_consumed_ = s.consumed;  // *segment views carry_ until the next call
      } else {
        input_pos_ += s.consumed;
      }
      in_garbage_ = false;
      stats_.frames++;
      *segment = s.segment;
      return Event::kFrame;
    }
    // An error: build its message before the window's bytes are dropped.
    const bool suppressed = s.error == FrameError::kGarbage && in_garbage_;
    Status status = suppressed ? Status() : ScanStatus(s, w);
    if (from_carry) {
      carry_.erase(0, s.consumed);
    } else {
      input_pos_ += s.consumed;
    }
    if (suppressed) {
      stats_.bytes_skipped += s.consumed;
      continue;
    }
    in_garbage_ = s.resync || s.error == FrameError::kGarbage;
    stats_.bytes_skipped += s.consumed;
    stats_.errors[static_cast<size_t>(s.error)]++;
    *error = std::move(status);
    return Event::kError;
  }
}

bool FrameReader::Finish(Status* error) {
  if (carry_consumed_ > 0) {
    carry_.erase(0, carry_consumed_);
    carry_consumed_ = 0;
  }
  // Bytes of the last chunk the caller did not read count as pending too.
  const std::string_view rest = input_.substr(input_pos_);
  const size_t pending = carry_.size() + rest.size();
  const std::string_view head = carry_.empty() ? rest : std::string_view(carry_);
  const bool frame_started = head.starts_with("##");
  const bool was_in_garbage = in_garbage_;
  carry_.clear();
  input_ = {};
  input_pos_ = 0;
  in_garbage_ = false;
  if (pending == 0) return false;
  if (frame_started) {
    Report(FrameError::kTruncated, pending,
           fmt::format("stream ended {} bytes into a frame", pending), error);
    return true;
  }
  if (was_in_garbage) {
    stats_.bytes_skipped += pending;
    return false;
  }
  Report(FrameError::kGarbage, pending, fmt::format("{} bytes outside a frame", pending), error);
  return true;
}

}  // namespace zp::hj212
