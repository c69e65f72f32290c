// Decodes arbitrary bytes as a chunk. Whatever decodes must be a valid series (sorted, unique,
// finite) that survives encode -> decode unchanged, and encoding must be deterministic.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "zp/tsdb/chunk.h"

namespace {

void Fail(const char* what) {
  std::fprintf(stderr, "chunk_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using zp::tsdb::Point;
  std::vector<Point> points = {{-7, 1.5}};  // decoding appends after existing points
  const zp::Status s =
      zp::tsdb::DecodeChunk(std::string_view(reinterpret_cast<const char*>(data), size), &points);
  if (!s.ok()) {
    if (points.size() != 1) Fail("failed decode left points behind");
    return 0;
  }
  points.erase(points.begin());
  for (size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].value)) Fail("decoded a non-finite value");
    if (i > 0 && points[i - 1].ts_s >= points[i].ts_s) Fail("decoded unsorted timestamps");
  }
  const std::string encoded = zp::tsdb::EncodeChunk(points);
  std::vector<Point> again;
  if (!zp::tsdb::DecodeChunk(encoded, &again).ok()) Fail("re-encoded chunk does not decode");
  if (again != points) Fail("round trip changed the points");
  if (zp::tsdb::EncodeChunk(again) != encoded) Fail("encoding is not deterministic");
  return 0;
}
