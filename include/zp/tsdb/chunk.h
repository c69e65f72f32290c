#pragma once

// Compressed per-series chunks. A chunk holds the readings of one series for one local day,
// sorted by time with unique timestamps. The encoding starts with a format version byte; a
// decoder refuses versions it does not know (never misreads). Pure functions, thread-safe.
//
// Layout (version 1): timestamps as runs of (delta, count) varints (a regular 15-minute day is
// one run); values either as scaled integers (smallest decimal scale 0..6 that represents every
// value exactly) delta-coded and zigzagged, in blocks of 32 each bit-packed at the block's widest
// delta or Rice-coded, whichever is smaller, or, when no scale fits, as raw IEEE doubles with XOR
// coding. A realistic 15-minute day of kWh with 2 decimals takes about 1.2 bytes a reading.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"

namespace zp::tsdb {

struct Point {
  int64_t ts_s = 0;
  double value = 0;
  bool operator==(const Point&) const = default;
};

inline constexpr uint8_t kChunkFormatVersion = 1;
// Most points one chunk may hold (a day at one reading a second is 86,400); a decoder treats a
// larger count as corruption.
inline constexpr size_t kMaxChunkPoints = size_t{1} << 22;

// `points` must be sorted by ts_s with unique timestamps and finite values, at most
// kMaxChunkPoints of them (ZP_CHECK). Decoding gives back the same points (-0.0 may come back as
// 0.0).
std::string EncodeChunk(std::span<const Point> points);
// Appends the decoded points to *out. DataLoss on a corrupt chunk, FailedPrecondition on a
// format version newer than this build knows. On error *out is left as it was.
Status DecodeChunk(std::string_view data, std::vector<Point>* out);

}  // namespace zp::tsdb
