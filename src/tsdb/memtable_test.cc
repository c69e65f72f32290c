#include "zp/tsdb/memtable.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

namespace zp::tsdb {
namespace {

std::vector<int64_t> Times(const std::vector<MemPoint>& pts) {
  std::vector<int64_t> ts;
  for (const MemPoint& p : pts) ts.push_back(p.ts_s);
  return ts;
}

std::vector<double> Values(const std::vector<MemPoint>& pts) {
  std::vector<double> v;
  for (const MemPoint& p : pts) v.push_back(p.value);
  return v;
}

TEST(MemtableTest, EmptyTable) {
  Memtable m;
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.size(), 0u);
  EXPECT_TRUE(m.SeriesIds().empty());
  EXPECT_TRUE(m.All(1).empty());
  EXPECT_TRUE(m.Range(1, 0, 100).empty());
  EXPECT_TRUE(m.overwrites().empty());
}

TEST(MemtableTest, InOrderAppends) {
  Memtable m;
  for (int i = 0; i < 10; ++i) m.Add(7, 1000 + i * 900, i * 1.5, 1);
  m.Add(8, 50, 2, 3);
  EXPECT_EQ(m.size(), 11u);
  EXPECT_FALSE(m.empty());
  std::vector<int64_t> ids = m.SeriesIds();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<int64_t>{7, 8}));
  const std::vector<MemPoint> all = m.All(7);
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all[3].ts_s, 1000 + 3 * 900);
  EXPECT_EQ(all[3].value, 4.5);
  EXPECT_EQ(all[3].source_id, 1u);
  EXPECT_EQ(m.All(8).size(), 1u);
  EXPECT_TRUE(m.All(9).empty());
}

TEST(MemtableTest, OutOfOrderIsSortedOnRead) {
  Memtable m;
  for (int64_t ts : {500, 100, 400, 200, 300}) m.Add(1, ts, static_cast<double>(ts) / 100, 0);
  EXPECT_EQ(Times(m.All(1)), (std::vector<int64_t>{100, 200, 300, 400, 500}));
  EXPECT_EQ(Values(m.All(1)), (std::vector<double>{1, 2, 3, 4, 5}));
  m.Add(1, 250, 2.5, 0);  // sorted again after a read, then unsorted by a late point
  EXPECT_EQ(Times(m.All(1)), (std::vector<int64_t>{100, 200, 250, 300, 400, 500}));
  EXPECT_TRUE(m.overwrites().empty());
}

TEST(MemtableTest, RangeIsHalfOpen) {
  Memtable m;
  for (int64_t ts = 0; ts < 10; ++ts) m.Add(1, 9 - ts, 1, 0);
  EXPECT_EQ(Times(m.Range(1, 3, 6)), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(Times(m.Range(1, -5, 2)), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(Times(m.Range(1, 9, 100)), (std::vector<int64_t>{9}));
  EXPECT_TRUE(m.Range(1, 6, 6).empty());
  EXPECT_TRUE(m.Range(1, 6, 3).empty());
  EXPECT_TRUE(m.Range(2, 0, 10).empty());
}

TEST(MemtableTest, SameValueAgainIsANoOp) {
  Memtable m;
  m.Add(1, 100, 5.0, 1);
  m.Add(1, 200, 6.0, 1);
  m.Add(1, 200, 6.0, 2);  // immediate duplicate
  m.Add(1, 100, 5.0, 3);  // late duplicate
  EXPECT_EQ(m.All(1).size(), 2u);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_TRUE(m.overwrites().empty());
  // The first provenance is kept: nothing changed.
  EXPECT_EQ(m.All(1)[0].source_id, 1u);
  EXPECT_EQ(m.All(1)[1].source_id, 1u);
}

TEST(MemtableTest, CorrectionOfTheLastPointIsRecorded) {
  Memtable m;
  m.Add(4, 100, 5.0, 1);
  m.Add(4, 100, 5.5, 2);
  ASSERT_EQ(m.overwrites().size(), 1u);
  const Overwrite& o = m.overwrites()[0];
  EXPECT_EQ(o.series_id, 4);
  EXPECT_EQ(o.ts_s, 100);
  EXPECT_EQ(o.old_value, 5.0);
  EXPECT_EQ(o.new_value, 5.5);
  EXPECT_EQ(o.source_id, 2u);
  ASSERT_EQ(m.All(4).size(), 1u);
  EXPECT_EQ(m.All(4)[0].value, 5.5);
  EXPECT_EQ(m.All(4)[0].source_id, 2u);
  EXPECT_EQ(m.size(), 1u);
}

TEST(MemtableTest, LateCorrectionIsRecordedWithoutAnExplicitRead) {
  Memtable m;
  for (int i = 0; i < 5; ++i) m.Add(1, i * 900, 10.0 + i, 1);
  m.Add(1, 900, 20.0, 7);  // correction of an older point: lazily merged
  m.Add(2, 0, 1.0, 1);
  m.Add(2, 0, 1.0, 1);
  // overwrites() alone must see it: no All/Range call in between.
  ASSERT_EQ(m.overwrites().size(), 1u);
  EXPECT_EQ(m.overwrites()[0].series_id, 1);
  EXPECT_EQ(m.overwrites()[0].ts_s, 900);
  EXPECT_EQ(m.overwrites()[0].old_value, 11.0);
  EXPECT_EQ(m.overwrites()[0].new_value, 20.0);
  EXPECT_EQ(m.overwrites()[0].source_id, 7u);
  EXPECT_EQ(Values(m.All(1)), (std::vector<double>{10, 20, 12, 13, 14}));
  EXPECT_EQ(m.size(), 6u);  // 5 + 1: both duplicates merged
  // Reading again records nothing new.
  EXPECT_EQ(m.overwrites().size(), 1u);
}

TEST(MemtableTest, ChainOfCorrectionsKeepsTheLastAndEveryStep) {
  Memtable m;
  m.Add(1, 900, 1.0, 1);
  m.Add(1, 1800, 2.0, 1);
  m.Add(1, 900, 3.0, 2);  // 1 -> 3
  m.Add(1, 900, 3.0, 3);  // same: no-op
  m.Add(1, 900, 1.0, 4);  // 3 -> 1
  const std::vector<Overwrite>& o = m.overwrites();
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0].old_value, 1.0);
  EXPECT_EQ(o[0].new_value, 3.0);
  EXPECT_EQ(o[0].source_id, 2u);
  EXPECT_EQ(o[1].old_value, 3.0);
  EXPECT_EQ(o[1].new_value, 1.0);
  EXPECT_EQ(o[1].source_id, 4u);
  const std::vector<MemPoint> all = m.All(1);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].value, 1.0);
  EXPECT_EQ(all[0].source_id, 4u);
}

TEST(MemtableTest, CorrectionsAcrossReadsMatchEagerSemantics) {
  // Random adds with duplicates and corrections, reads interleaved; compare with a map that
  // applies every Add immediately.
  std::mt19937_64 rng(42);
  Memtable m;
  std::map<std::pair<int64_t, int64_t>, std::pair<double, uint32_t>> model;
  std::vector<Overwrite> expected;
  for (int i = 0; i < 20000; ++i) {
    const int64_t series = static_cast<int64_t>(rng() % 3);
    const int64_t ts = static_cast<int64_t>(rng() % 200) * 900;
    const double value = static_cast<double>(rng() % 4);
    const uint32_t source = static_cast<uint32_t>(i);
    m.Add(series, ts, value, source);
    auto [it, inserted] = model.try_emplace({series, ts}, value, source);
    if (!inserted && it->second.first != value) {
      expected.push_back({series, ts, it->second.first, value, source});
      it->second = {value, source};
    }
    if (rng() % 500 == 0) (void)m.Range(series, 0, 90000);
  }
  // Same set of overwrites (order may differ between series and timestamps).
  auto key = [](const Overwrite& o) {
    return std::make_tuple(o.series_id, o.ts_s, o.source_id, o.old_value, o.new_value);
  };
  std::vector<Overwrite> got = m.overwrites();
  auto by_key = [&](const Overwrite& a, const Overwrite& b) { return key(a) < key(b); };
  std::sort(got.begin(), got.end(), by_key);
  std::sort(expected.begin(), expected.end(), by_key);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(key(got[i]), key(expected[i])) << i;
  size_t total = 0;
  for (int64_t series = 0; series < 3; ++series) {
    const std::vector<MemPoint> all = m.All(series);
    total += all.size();
    for (const MemPoint& p : all) {
      const auto& want = model.at({series, p.ts_s});
      EXPECT_EQ(p.value, want.first);
      EXPECT_EQ(p.source_id, want.second);
    }
  }
  EXPECT_EQ(total, model.size());
  EXPECT_EQ(m.size(), model.size());
}

TEST(MemtableTest, ClearDropsPointsAndOverwrites) {
  Memtable m;
  m.Add(1, 1, 1, 0);
  m.Add(1, 1, 2, 0);
  m.Add(2, 5, 1, 0);
  m.Add(2, 3, 1, 0);
  ASSERT_EQ(m.overwrites().size(), 1u);
  m.Clear();
  EXPECT_TRUE(m.empty());
  EXPECT_TRUE(m.SeriesIds().empty());
  EXPECT_TRUE(m.overwrites().empty());
  EXPECT_TRUE(m.All(1).empty());
  m.Add(1, 1, 3, 0);  // usable after Clear
  EXPECT_EQ(m.All(1).size(), 1u);
  EXPECT_TRUE(m.overwrites().empty());
}

TEST(MemtableTest, MillionAppends) {
  Memtable m;
  for (int64_t i = 0; i < 1000000; ++i) m.Add(i % 1000, (i / 1000) * 900, 1.0, 0);
  EXPECT_EQ(m.size(), 1000000u);
  EXPECT_EQ(m.SeriesIds().size(), 1000u);
  EXPECT_EQ(m.All(999).size(), 1000u);
  EXPECT_TRUE(m.overwrites().empty());
}

}  // namespace
}  // namespace zp::tsdb
