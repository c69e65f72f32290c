#include "zp/tsdb/chunk.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

namespace zp::tsdb {
namespace {

constexpr int64_t kDayStart = 1704038400;  // 2024-01-01T00:00:00+08:00

std::vector<Point> RoundTrip(const std::vector<Point>& points) {
  const std::string data = EncodeChunk(points);
  std::vector<Point> out;
  const Status s = DecodeChunk(data, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// Values bit for bit (== would let -0.0 and 0.0 pass; the scaled coding is exact otherwise).
void ExpectSamePoints(const std::vector<Point>& got, const std::vector<Point>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i].ts_s, want[i].ts_s) << "at " << i;
    ASSERT_EQ(got[i].value, want[i].value) << "at " << i;
  }
}

// A working day of an office-like load: base + daily shape + noise, kWh per 15 minutes with two
// decimals, as a meter reports it.
std::vector<Point> RealisticDay(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 0.6);
  std::vector<Point> day;
  for (int i = 0; i < 96; ++i) {
    const double h = i / 4.0;
    const double shape =
        30 + 12 * std::sin((h - 9) / 24 * 2 * std::numbers::pi) + (h > 8 && h < 18 ? 8 : 0);
    day.push_back({kDayStart + i * 900, std::round((shape + noise(rng)) * 100) / 100});
  }
  return day;
}

TEST(ChunkTest, EmptyChunk) {
  const std::string data = EncodeChunk({});
  EXPECT_EQ(data.size(), 2u);
  std::vector<Point> out = {{1, 2}};
  ASSERT_TRUE(DecodeChunk(data, &out).ok());
  EXPECT_EQ(out.size(), 1u);
}

TEST(ChunkTest, SinglePoint) {
  ExpectSamePoints(RoundTrip({{kDayStart, 37.41}}), {{kDayStart, 37.41}});
  ExpectSamePoints(RoundTrip({{-5, -0.5}}), {{-5, -0.5}});
  ExpectSamePoints(RoundTrip({{0, 1.0 / 3}}), {{0, 1.0 / 3}});
}

TEST(ChunkTest, DecodeAppends) {
  const std::vector<Point> a = {{10, 1.5}, {20, 2.5}};
  const std::vector<Point> b = {{30, 3.25}};
  std::vector<Point> out;
  ASSERT_TRUE(DecodeChunk(EncodeChunk(a), &out).ok());
  ASSERT_TRUE(DecodeChunk(EncodeChunk(b), &out).ok());
  ExpectSamePoints(out, {{10, 1.5}, {20, 2.5}, {30, 3.25}});
}

TEST(ChunkTest, RealisticDayIsCompact) {
  size_t total = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::vector<Point> day = RealisticDay(seed);
    const std::string data = EncodeChunk(day);
    ExpectSamePoints(RoundTrip(day), day);
    total += data.size();
    EXPECT_LT(static_cast<double>(data.size()) / 96, 1.4) << "seed " << seed;
  }
  const double per_reading = static_cast<double>(total) / (20 * 96);
  EXPECT_LT(per_reading, 1.32);  // about 1.29 with the block coding; fixed width gave 1.46
}

TEST(ChunkTest, GentleDayIsUnderOnePointTwoFiveBytes) {
  // 37.41, 36.95, ...: deltas mostly below a kWh.
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 0.4);
  std::vector<Point> day;
  for (int i = 0; i < 96; ++i) {
    const double shape = 37 + 6 * std::sin((i / 4.0 - 9) / 24 * 2 * std::numbers::pi);
    day.push_back({kDayStart + i * 900, std::round((shape + noise(rng)) * 100) / 100});
  }
  const std::string data = EncodeChunk(day);
  EXPECT_LT(static_cast<double>(data.size()) / 96, 1.25);
  ExpectSamePoints(RoundTrip(day), day);
}

TEST(ChunkTest, RealSteelPlantDaysAreCompact) {
  const char* root = std::getenv("ZP_SOURCE_DIR");
  const std::string path =
      std::string(root ? root : ".") + "/../shared/data/steel-plant-2018/steel_industry_data.csv";
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) GTEST_SKIP() << "no real data at " << path;
  std::vector<double> usage;
  char line[512];
  bool header = true;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (header) {
      header = false;
      continue;
    }
    const char* comma = std::strchr(line, ',');
    if (comma != nullptr) usage.push_back(std::strtod(comma + 1, nullptr));
  }
  std::fclose(f);
  ASSERT_GE(usage.size(), 96u * 300);
  size_t total = 0;
  size_t days = 0;
  for (size_t d = 0; d + 96 <= usage.size(); d += 96, ++days) {
    std::vector<Point> day;
    for (size_t i = 0; i < 96; ++i) {
      day.push_back({kDayStart + static_cast<int64_t>(d + i) * 900, usage[d + i]});
    }
    const std::string data = EncodeChunk(day);
    total += data.size();
    std::vector<Point> out;
    ASSERT_TRUE(DecodeChunk(data, &out).ok());
    ASSERT_EQ(out, day);
  }
  // A steel plant swings by tens of kWh between readings; still about 1.5 bytes a reading.
  EXPECT_LT(static_cast<double>(total) / (days * 96), 1.55);
}

TEST(ChunkTest, RegularTimestampsAreOneRun) {
  std::vector<Point> day;
  for (int i = 0; i < 96; ++i) day.push_back({kDayStart + i * 900, 0});
  // version, count, first ts (5), delta (2), run (1), scale, first value, 3 block headers.
  EXPECT_LE(EncodeChunk(day).size(), 16u);
  ExpectSamePoints(RoundTrip(day), day);
}

TEST(ChunkTest, ShapesRoundTrip) {
  const std::vector<std::vector<Point>> shapes = {
      {{0, 0}, {1, 0}, {2, 0}},
      {{100, -3.5}, {200, 0}, {300, 7.25}, {400, -1e6}},
      {{kDayStart, 98765432.1}, {kDayStart + 900, 98765433.4}, {kDayStart + 1800, 98765440.0}},
      {{1, 0.123456}, {2, -0.000001}, {3, 999999.999999}},
      {{1, 1.0 / 3}, {2, 2.0 / 3}, {3, 1.0}, {4, std::numbers::pi}, {5, -1e-300}},
      {{1, 1e300}, {2, -1e300}, {3, std::numeric_limits<double>::denorm_min()}},
      {{1, 9007199254740991.0}, {2, -9007199254740991.0}, {3, 0}},  // +-(2^53 - 1)
      {{std::numeric_limits<int64_t>::min(), 1}, {std::numeric_limits<int64_t>::max(), 2}},
      {{-1000, 5}, {-10, 6}, {0, 7}, {3, 8}, {86400 * 365, 9}},
      {{1, 0.1}, {2, 0.2}, {3, 0.30000000000000004}},  // the last is not a short decimal
  };
  for (const auto& shape : shapes) ExpectSamePoints(RoundTrip(shape), shape);
}

TEST(ChunkTest, ScaledCodingIsSmallerThanXorFallback) {
  std::vector<Point> decimal, thirds;
  for (int i = 0; i < 96; ++i) {
    decimal.push_back({kDayStart + i * 900, (4000 + i % 7) / 100.0});
    thirds.push_back({kDayStart + i * 900, 40 + (i % 7) / 3.0});
  }
  EXPECT_LT(EncodeChunk(decimal).size(), 60u);
  EXPECT_GT(EncodeChunk(thirds).size(), 200u);
  ExpectSamePoints(RoundTrip(decimal), decimal);
  ExpectSamePoints(RoundTrip(thirds), thirds);
}

// Random series of many shapes with a fixed seed.
TEST(ChunkTest, RandomPropertyRoundTrip) {
  std::mt19937_64 rng(20240131);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 3000; ++iter) {
    const size_t n = static_cast<size_t>(uniform(0, 1) ? uniform(0, 8) : uniform(0, 400));
    const int kind = static_cast<int>(uniform(0, 6));
    const int decimals = static_cast<int>(uniform(0, 6));
    const double magnitude = std::pow(10.0, static_cast<double>(uniform(0, 8)));
    std::vector<Point> pts;
    int64_t ts = uniform(-2000000000, 2000000000);
    double walk = 0;
    for (size_t i = 0; i < n; ++i) {
      switch (uniform(0, 4)) {  // regular steps, irregular steps and gaps
        case 0:
        case 1:
          ts += 900;
          break;
        case 2:
          ts += uniform(1, 60);
          break;
        case 3:
          ts += uniform(1, 100000);
          break;
        default:
          ts += uniform(1, int64_t{1} << 40);
          break;
      }
      double v = 0;
      switch (kind) {
        case 0:
          v = 0;
          break;
        case 1:  // decimal random walk, may go negative
          walk += std::normal_distribution<double>(0, magnitude / 100)(rng);
          v = std::round(walk * std::pow(10.0, decimals)) / std::pow(10.0, decimals);
          break;
        case 2:  // cumulative register with 1 decimal
          walk += std::round(std::uniform_real_distribution<double>(0, 50)(rng) * 10) / 10;
          v = std::round((98765432.1 + walk) * 10) / 10;
          break;
        case 3:
          v = static_cast<double>(uniform(-1000000, 1000000)) / 3;
          break;
        case 4:
          v = std::uniform_real_distribution<double>(-magnitude, magnitude)(rng);
          break;
        case 5:
          v = static_cast<double>(uniform(-5, 5));
          break;
        default:
          v = (uniform(0, 9) == 0) ? 1.0 / 3 : std::round(walk += 1.25);
          break;
      }
      pts.push_back({ts, v + 0.0});  // + 0.0 turns -0.0 into 0.0
    }
    ExpectSamePoints(RoundTrip(pts), pts);
    if (HasFatalFailure()) {
      ADD_FAILURE() << "iteration " << iter << " kind " << kind << " n " << n;
      return;
    }
  }
}

TEST(ChunkTest, MillionPoints) {
  std::vector<Point> pts;
  pts.reserve(1000000);
  double v = 40;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 0.6);
  for (int i = 0; i < 1000000; ++i) {
    v = std::round((v + noise(rng)) * 100) / 100;
    pts.push_back({kDayStart + int64_t{i} * 900, v});
  }
  const std::string data = EncodeChunk(pts);
  EXPECT_LT(data.size(), 1200000u);
  std::vector<Point> out;
  ASSERT_TRUE(DecodeChunk(data, &out).ok());
  EXPECT_TRUE(out == pts);
  for (auto& p : pts) p.value /= 3;  // the XOR fallback at the same size
  out.clear();
  ASSERT_TRUE(DecodeChunk(EncodeChunk(pts), &out).ok());
  EXPECT_TRUE(out == pts);
}

std::vector<std::string> ValidChunks() {
  std::vector<std::string> chunks;
  chunks.push_back(EncodeChunk(RealisticDay(1)));
  std::vector<Point> irregular = {{5, 0.5}, {6, 1e9}, {1000, -42}, {1001, -41.99}};
  chunks.push_back(EncodeChunk(irregular));
  std::vector<Point> xor_values;
  for (int i = 0; i < 40; ++i) xor_values.push_back({i * 60, std::sqrt(i + 2.0)});
  chunks.push_back(EncodeChunk(xor_values));
  std::vector<Point> outlier;  // Rice blocks with escapes
  for (int i = 0; i < 70; ++i) outlier.push_back({i * 900, i == 33 ? 1e12 : i % 5 * 1.0});
  chunks.push_back(EncodeChunk(outlier));
  return chunks;
}

TEST(ChunkTest, EveryTruncationFails) {
  for (const std::string& data : ValidChunks()) {
    for (size_t len = 0; len < data.size(); ++len) {
      std::vector<Point> out = {{1, 1}};
      const Status s = DecodeChunk(std::string_view(data).substr(0, len), &out);
      EXPECT_EQ(s.code(), StatusCode::kDataLoss) << "length " << len << " of " << data.size();
      EXPECT_EQ(out.size(), 1u);  // nothing half-appended
    }
  }
}

TEST(ChunkTest, CorruptBytesNeverCrash) {
  std::mt19937_64 rng(99);
  for (const std::string& data : ValidChunks()) {
    for (size_t i = 0; i < data.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = data;
        bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
        std::vector<Point> out;
        if (!DecodeChunk(bad, &out).ok()) continue;
        for (size_t k = 0; k < out.size(); ++k) {
          ASSERT_TRUE(std::isfinite(out[k].value));
          if (k > 0) {
            ASSERT_LT(out[k - 1].ts_s, out[k].ts_s);
          }
        }
      }
    }
    for (int r = 0; r < 200; ++r) {  // random garbage after a valid header
      std::string bad = data.substr(0, 2);
      const size_t len = rng() % 64;
      for (size_t k = 0; k < len; ++k) bad.push_back(static_cast<char>(rng()));
      std::vector<Point> out;
      (void)DecodeChunk(bad, &out);
    }
  }
}

TEST(ChunkTest, UnknownVersionIsFailedPrecondition) {
  std::string data = EncodeChunk(RealisticDay(2));
  for (uint8_t version : {uint8_t{0}, uint8_t{2}, uint8_t{0xfe}}) {
    data[0] = static_cast<char>(version);
    std::vector<Point> out;
    EXPECT_EQ(DecodeChunk(data, &out).code(), StatusCode::kFailedPrecondition);
    EXPECT_TRUE(out.empty());
  }
}

TEST(ChunkTest, MalformedChunksAreDataLoss) {
  auto code = [](std::string data) {
    std::vector<Point> out;
    return DecodeChunk(data, &out).code();
  };
  EXPECT_EQ(code(""), StatusCode::kDataLoss);
  EXPECT_EQ(code(EncodeChunk(std::vector<Point>{{1, 2}}) + "x"),
            StatusCode::kDataLoss);  // trailing bytes
  EXPECT_EQ(code(EncodeChunk({}) + "x"), StatusCode::kDataLoss);
  // count far above kMaxChunkPoints
  EXPECT_EQ(code(std::string("\x01\xff\xff\xff\xff\x0f", 6)), StatusCode::kDataLoss);
  // overlong varint (11 bytes)
  EXPECT_EQ(code(std::string("\x01\x81\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 12)),
            StatusCode::kDataLoss);
  // 2 points, first ts 0, delta 0 (duplicate timestamp)
  EXPECT_EQ(code(std::string("\x01\x02\x00\x00\x01\x00\x00\x00", 8)), StatusCode::kDataLoss);
  // 2 points whose run says 2 gaps
  EXPECT_EQ(code(std::string("\x01\x02\x00\x01\x02\x00\x00\x00", 8)), StatusCode::kDataLoss);
  // timestamps overflowing int64: first ts = INT64_MAX - 1 (zigzag), delta 2
  std::string overflow("\x01\x02", 2);
  overflow += std::string("\xfc\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
  overflow += std::string("\x02\x01\x00\x00\x00", 5);
  EXPECT_EQ(code(overflow), StatusCode::kDataLoss);
  // unknown value encoding
  EXPECT_EQ(code(std::string("\x01\x01\x00\x07\x00", 5)), StatusCode::kDataLoss);
  // bad block header 57 (7 bits) for the second point
  EXPECT_EQ(
      code(std::string("\x01\x02\x00\x01\x01\x00\x00\x39\x00\x00\x00\x00\x00\x00\x00\x00", 16)),
      StatusCode::kDataLoss);
  // XOR coding of a NaN
  std::string nan("\x01\x01\x00\x10", 4);
  const uint64_t bits = 0x7ff8000000000000ULL;
  for (int i = 0; i < 8; ++i) nan.push_back(static_cast<char>(bits >> (8 * i)));
  EXPECT_EQ(code(nan), StatusCode::kDataLoss);
}

TEST(ChunkDeathTest, UnsortedInputIsAProgrammerError) {
  const std::vector<Point> unsorted = {{2, 1}, {1, 1}};
  EXPECT_DEATH((void)EncodeChunk(unsorted), "ts_s");
  const std::vector<Point> nan = {{1, std::nan("")}};
  EXPECT_DEATH((void)EncodeChunk(nan), "isfinite");
}

}  // namespace
}  // namespace zp::tsdb
