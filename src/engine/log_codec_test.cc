#include "log_codec.h"

#include <gtest/gtest.h>

namespace zp::engine::internal {
namespace {

TEST(LogCodecTest, RoundTrip) {
  std::vector<ReadingIn> rs = {{7, 1704038400, 1.5}, {7, 1704039300, -2.25}, {3, 1600000000, 1e9}};
  std::string payload = EncodeLogEntry("POST /write from 127.0.0.1", 1704040000, rs);
  LogEntry e;
  ASSERT_TRUE(DecodeLogEntry(payload, &e).ok());
  EXPECT_EQ(e.source, "POST /write from 127.0.0.1");
  EXPECT_EQ(e.recorded_s, 1704040000);
  ASSERT_EQ(e.readings.size(), 3u);
  for (size_t i = 0; i < rs.size(); ++i) {
    EXPECT_EQ(e.readings[i].meter_id, rs[i].meter_id);
    EXPECT_EQ(e.readings[i].ts_s, rs[i].ts_s);
    EXPECT_EQ(e.readings[i].value, rs[i].value);
  }
}

TEST(LogCodecTest, EveryTruncationIsRefused) {
  std::vector<ReadingIn> rs = {{7, 1704038400, 1.5}, {8, 1704039300, 2.5}};
  std::string payload = EncodeLogEntry("src", 1, rs);
  LogEntry e;
  for (size_t n = 0; n < payload.size(); ++n) {
    EXPECT_FALSE(DecodeLogEntry(std::string_view(payload).substr(0, n), &e).ok()) << n;
  }
  std::string future = payload;
  future[0] = 9;
  EXPECT_EQ(DecodeLogEntry(future, &e).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace zp::engine::internal
