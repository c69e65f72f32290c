// The green state of charge of a storage asset: worked hours, the cap by the physically stored
// energy, inactive hours, carrying the state across calls, and on random series the guarantee
// that no stored Wh leaves as green twice.

#include "zp/green/storage.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace zp::green {
namespace {

StorageFlows Simulate(const std::vector<int64_t>& charge, const std::vector<int64_t>& discharge,
                      const std::vector<int64_t>& surplus, std::vector<uint8_t> active = {},
                      StorageState start = {}) {
  if (active.empty()) active.assign(charge.size(), 1);
  Result<StorageFlows> f = SimulateStorage(charge, discharge, surplus, active, start);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : StorageFlows{};
}

TEST(Storage, GreenChargeIsCappedBySurplusAndDischargeByGreenState) {
  // h0: grey charge 3 (no surplus); h1-h2: charge 5 with surplus 7 and 2; h3: discharge 4;
  // h4: discharge 6 (only 3 green left); h5: nothing.
  const StorageFlows f = Simulate({3, 5, 5, 0, 0, 0}, {0, 0, 0, 4, 6, 0}, {0, 7, 2, 0, 0, 0});
  EXPECT_EQ(f.green_charge_wh, (std::vector<int64_t>{0, 5, 2, 0, 0, 0}));
  EXPECT_EQ(f.green_discharge_wh, (std::vector<int64_t>{0, 0, 0, 4, 3, 0}));
  // Stored: 3 + 5 + 5 - 4 - 6 = 3, all grey now.
  EXPECT_EQ(f.end, (StorageState{0, 3}));
}

TEST(Storage, DischargeBeforeChargeWithinAnHour) {
  // Charged and discharged in the same hour: the charge is green only from the next hour on.
  const StorageFlows f = Simulate({5, 0}, {5, 5}, {5, 0});
  EXPECT_EQ(f.green_charge_wh, (std::vector<int64_t>{5, 0}));
  EXPECT_EQ(f.green_discharge_wh, (std::vector<int64_t>{0, 5}))
      << "hour 0 discharges before it charges (grey, from before the start); hour 1 discharges "
         "the 5 green Wh charged in hour 0";
}

TEST(Storage, GreenStateNeverExceedsWhatIsStored) {
  // 10 green in, 3 + 3 out, then 8 out of the 4 left: only 4 of them can be green, and the
  // storage reads empty afterwards.
  const StorageFlows f = Simulate({10, 0, 0, 0, 0}, {0, 3, 3, 8, 5}, {10, 0, 0, 0, 0});
  EXPECT_EQ(f.green_discharge_wh, (std::vector<int64_t>{0, 3, 3, 4, 0}));
  EXPECT_EQ(f.end, (StorageState{0, 0}));
  // Energy present at the start and not declared is grey.
  const StorageFlows g = Simulate({0, 0}, {5, 5}, {0, 0});
  EXPECT_EQ(g.green_discharge_wh, (std::vector<int64_t>{0, 0}));
  // Declared: green up to the declared state.
  const StorageFlows d = Simulate({0, 0}, {5, 5}, {0, 0}, {}, StorageState{7, 12});
  EXPECT_EQ(d.green_discharge_wh, (std::vector<int64_t>{5, 2}));
  EXPECT_EQ(d.end, (StorageState{0, 2}));
}

TEST(Storage, InactiveHoursNeitherChargeNorDischargeGreen) {
  const StorageFlows f = Simulate({5, 5, 0, 0}, {0, 0, 3, 3}, {9, 9, 0, 0}, {0, 1, 0, 1});
  EXPECT_EQ(f.green_charge_wh, (std::vector<int64_t>{0, 5, 0, 0}));
  EXPECT_EQ(f.green_discharge_wh, (std::vector<int64_t>{0, 0, 0, 3}));
  EXPECT_EQ(f.end, (StorageState{2, 4}));
}

TEST(Storage, CarryingTheStateEqualsOneRun) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> wh(0, 5000);
  const int n = 500;
  std::vector<int64_t> c(n), d(n), s(n);
  for (int i = 0; i < n; ++i) {
    c[i] = wh(rng) * (i % 24 < 12);
    d[i] = wh(rng) * (i % 24 >= 12);
    s[i] = wh(rng) / 2;
  }
  const StorageFlows whole = Simulate(c, d, s);
  const int cut = 211;
  const StorageFlows a = Simulate({c.begin(), c.begin() + cut}, {d.begin(), d.begin() + cut},
                                  {s.begin(), s.begin() + cut});
  const StorageFlows b = Simulate({c.begin() + cut, c.end()}, {d.begin() + cut, d.end()},
                                  {s.begin() + cut, s.end()}, {}, a.end);
  std::vector<int64_t> joined = a.green_discharge_wh;
  joined.insert(joined.end(), b.green_discharge_wh.begin(), b.green_discharge_wh.end());
  EXPECT_EQ(joined, whole.green_discharge_wh);
  EXPECT_EQ(b.end, whole.end);
}

TEST(Storage, NoStoredWhLeavesGreenTwiceOnRandomSeries) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 200);
    std::vector<int64_t> c(n), d(n), s(n);
    std::vector<uint8_t> act(n);
    for (int i = 0; i < n; ++i) {
      c[i] = rng() % 3 == 0 ? rng() % 4000 : 0;
      d[i] = rng() % 3 == 0 ? rng() % 4000 : 0;
      s[i] = rng() % 5000;
      act[i] = rng() % 8 != 0;
    }
    const StorageFlows f = Simulate(c, d, s, act);
    int64_t gc = 0, gd = 0, in = 0, out = 0;
    for (int i = 0; i < n; ++i) {
      ASSERT_LE(f.green_charge_wh[i], std::min(c[i], s[i]));
      ASSERT_LE(f.green_discharge_wh[i], d[i]);
      ASSERT_GE(f.green_discharge_wh[i], 0);
      gc += f.green_charge_wh[i];
      gd += f.green_discharge_wh[i];
      in += c[i];
      out += d[i];
      // Every prefix: green out <= green in, and green out <= metered out.
      ASSERT_LE(gd, gc) << "trial " << trial << " hour " << i;
    }
    EXPECT_LE(f.end.green_wh, f.end.stored_wh);
    EXPECT_EQ(gc - gd >= f.end.green_wh, true);
    EXPECT_LE(gd, out);
    (void)in;
  }
}

TEST(Storage, RejectsBadInput) {
  std::vector<int64_t> one{1}, two{1, 2};
  std::vector<uint8_t> a1{1};
  EXPECT_FALSE(SimulateStorage(one, two, one, a1, {}).ok());
  std::vector<int64_t> neg{-1};
  EXPECT_FALSE(SimulateStorage(neg, one, one, a1, {}).ok());
  EXPECT_FALSE(SimulateStorage(one, one, one, a1, StorageState{5, 2}).ok());
}

}  // namespace
}  // namespace zp::green
