// Evaluation of HJ 212 frames: the value of each frame kind, O2 correction (computed, sent by the
// logger, impossible), data flags and their events, hourly averages under Appendix C's validity
// rules (flue gas 75 %, wastewater one abnormal value), loads from Cou or from the flow, when
// hours close, the limit of an hour's local day, and the standard's Appendix C upload.

#include "zp/environment/evaluation.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "src/hj212/example_frames_test.h"
#include "zp/hj212/segment.h"

namespace zp::environment {
namespace {

using hj212::DataFlag;

Source Stack() {
  Source s;
  s.code = "E1.DA001";
  s.enterprise_code = "91330100MA2B000001";
  s.kind = SourceKind::kStack;
  s.mn = "010000A8900016F000169DC0";
  s.fuel = Fuel::kCoal;
  s.boiler_class = BoilerClass::kInUse;  // SO2 400, NOx 400, PM 80
  s.reference_o2_pct = 9;
  s.realtime_interval_s = 30;
  s.minute_interval_s = 60;
  s.pollutants = {"a34013", "a21026", "a21002", "a19001", "a00000"};
  return s;
}

Source Outfall() {
  Source s;
  s.code = "E2.DW001";
  s.enterprise_code = "91330100MA2B000002";
  s.kind = SourceKind::kOutfall;
  s.mn = "88888880000002";
  s.realtime_interval_s = 60;
  s.minute_interval_s = 60;
  s.pollutants = {"w00000", "w01018", "w21003", "w01001"};
  return s;
}

CivilTime At(int hour, int minute, int second = 0, int day = 1) {
  return CivilTime{2025, 3, day, hour, minute, second};
}

class EvalTest : public ::testing::Test {
 protected:
  int64_t Utc(const CivilTime& local) const { return zone_.FromLocal(CivilToSeconds(local)); }

  // Builds, parses and evaluates one frame of `cn` with DataTime `local` and CP items `items`.
  void Feed(Evaluator& ev, int cn, const CivilTime& local, const std::string& items) {
    std::string cp;
    hj212::AppendDataTime(local, &cp);
    cp = "DataTime=" + cp;
    if (!items.empty()) cp += ";" + items;
    auto text = std::make_unique<std::string>();
    const std::string cn_text = std::to_string(cn);
    hj212::SegmentHeader h;
    h.qn = "20250301080000000";
    h.st = "31";
    h.cn = cn_text;
    h.pw = "123456";
    h.mn = ev.source().mn;
    hj212::AppendSegment(h, cp, text.get());
    hj212::DataSegment seg;
    Status st = hj212::ParseSegment(*text, &seg);
    ASSERT_TRUE(st.ok()) << st.ToString() << " " << *text;
    ev.Add(seg, Utc(local), &samples_, &hours_, &events_);
    texts_.push_back(std::move(text));
  }

  // Feeds minute frames 0..59 of local hour `hour` with `item(minute)`, then the next hour's first.
  template <typename F>
  void FeedHourOfMinutes(Evaluator& ev, int hour, F item) {
    for (int m = 0; m < 60; ++m) Feed(ev, 2051, At(hour, m), item(m));
  }

  const Sample* FindSample(std::string_view pollutant) const {
    for (const Sample& s : samples_) {
      if (s.pollutant == pollutant) return &s;
    }
    return nullptr;
  }
  const store::EnvHourRow* FindHour(std::string_view pollutant, int64_t hour_s) const {
    for (const store::EnvHourRow& h : hours_) {
      if (h.pollutant == pollutant && h.hour_s == hour_s) return &h;
    }
    return nullptr;
  }
  int CountEvents(EventKind kind) const {
    int n = 0;
    for (const Event& e : events_) n += e.kind == kind;
    return n;
  }
  void ClearOutputs() {
    samples_.clear();
    hours_.clear();
    events_.clear();
  }

  TimeZone zone_ = TimeZone::Fixed(8 * 3600);
  std::vector<Sample> samples_;
  std::vector<store::EnvHourRow> hours_;
  std::vector<Event> events_;
  std::vector<std::unique_ptr<std::string>> texts_;
};

TEST_F(EvalTest, O2CorrectionComputedFromTheFrame) {
  Evaluator ev(Stack(), zone_);
  // 300 x (21 - 9) / (21 - 12) = 400: at the limit, not above.
  Feed(ev, 2011, At(8, 0), "a21026-Rtd=300,a21026-Flag=N;a19001-Rtd=12,a19001-Flag=N");
  ASSERT_EQ(samples_.size(), 2u);
  const Sample& so2 = samples_[0];
  EXPECT_EQ(so2.pollutant, "a21026");
  EXPECT_EQ(so2.cn, 2011);
  EXPECT_EQ(so2.time_s, Utc(At(8, 0)));
  EXPECT_DOUBLE_EQ(so2.value, 300);
  EXPECT_DOUBLE_EQ(so2.zs, 400);
  EXPECT_TRUE(so2.corrected);
  EXPECT_TRUE(so2.valid);
  EXPECT_EQ(so2.flag, DataFlag::kNormal);
  EXPECT_DOUBLE_EQ(so2.limit, 400);
  EXPECT_FALSE(so2.exceeded);
  // O2 itself is not a concentration: as sent, no limit.
  const Sample& o2 = samples_[1];
  EXPECT_EQ(o2.pollutant, "a19001");
  EXPECT_DOUBLE_EQ(o2.zs, 12);
  EXPECT_FALSE(o2.corrected);
  EXPECT_DOUBLE_EQ(o2.limit, 0);
  EXPECT_TRUE(events_.empty());

  // 300 x 12 / 8 = 450 > 400: an exceedance.
  ClearOutputs();
  Feed(ev, 2011, At(8, 0, 30), "a21026-Rtd=300,a21026-Flag=N;a19001-Rtd=13,a19001-Flag=N");
  EXPECT_DOUBLE_EQ(samples_[0].zs, 450);
  EXPECT_TRUE(samples_[0].exceeded);
  ASSERT_EQ(events_.size(), 1u);
  const Event& e = events_[0];
  EXPECT_EQ(e.kind, EventKind::kExceedance);
  EXPECT_EQ(e.pollutant, "a21026");
  EXPECT_EQ(e.time_s, Utc(At(8, 0, 30)));
  EXPECT_DOUBLE_EQ(e.value, 450);
  EXPECT_DOUBLE_EQ(e.limit, 400);
  EXPECT_EQ(e.unit, "mg/m3");
  EXPECT_EQ(e.flag, DataFlag::kNormal);
  EXPECT_EQ(e.cn, 2011);
  EXPECT_NE(e.basis.find("GB 13271-2014 表1 在用锅炉 燃煤"), std::string::npos) << e.basis;
}

TEST_F(EvalTest, ZsSentByTheLoggerWins) {
  Evaluator ev(Stack(), zone_);
  Feed(ev, 2011, At(8, 0), "a21026-Rtd=300,a21026-ZsRtd=123.4,a21026-Flag=N;a19001-Rtd=12");
  EXPECT_DOUBLE_EQ(FindSample("a21026")->zs, 123.4);
  EXPECT_TRUE(FindSample("a21026")->corrected);
  // Minute data: Avg and ZsAvg (Rtd / ZsRtd of the same record ignored).
  ClearOutputs();
  Feed(ev, 2051, At(8, 1),
       "a21026-Rtd=1,a21026-ZsRtd=2,a21026-Avg=300,a21026-ZsAvg=350,a21026-Min=200,"
       "a21026-Max=400,a21026-Flag=N;a19001-Avg=12");
  EXPECT_DOUBLE_EQ(FindSample("a21026")->value, 300);
  EXPECT_DOUBLE_EQ(FindSample("a21026")->zs, 350);
  EXPECT_EQ(FindSample("a21026")->cn, 2051);
  // Minute data without ZsAvg: corrected with the O2 Avg.
  ClearOutputs();
  Feed(ev, 2051, At(8, 2), "a21026-Avg=300,a21026-Flag=N;a19001-Rtd=15,a19001-Avg=12");
  EXPECT_DOUBLE_EQ(FindSample("a21026")->zs, 400);
  // Minute data without Avg: Rtd.
  ClearOutputs();
  Feed(ev, 2051, At(8, 3), "a21026-Rtd=270,a21026-Flag=N;a19001-Rtd=12");
  EXPECT_DOUBLE_EQ(FindSample("a21026")->value, 270);
  EXPECT_DOUBLE_EQ(FindSample("a21026")->zs, 360);
}

TEST_F(EvalTest, O2MissingOrMeaninglessLeavesTheValueUncorrected) {
  Evaluator ev(Stack(), zone_);
  Feed(ev, 2011, At(8, 0), "a21026-Rtd=300,a21026-Flag=N");
  EXPECT_DOUBLE_EQ(FindSample("a21026")->zs, 300);
  EXPECT_FALSE(FindSample("a21026")->corrected);
  EXPECT_DOUBLE_EQ(FindSample("a21026")->limit, 400);
  ClearOutputs();
  Feed(ev, 2011, At(8, 0, 30), "a21026-Rtd=300;a19001-Rtd=20.5");
  EXPECT_FALSE(FindSample("a21026")->corrected);
  EXPECT_DOUBLE_EQ(FindSample("a21026")->zs, 300);
  ClearOutputs();
  Feed(ev, 2011, At(8, 1), "a21026-Rtd=300;a19001-Rtd=20.4");
  EXPECT_TRUE(FindSample("a21026")->corrected);
  EXPECT_NEAR(FindSample("a21026")->zs, 6000, 1e-9);
  // An O2 analyser in fault does not correct anything.
  ClearOutputs();
  Feed(ev, 2011, At(8, 1, 30), "a21026-Rtd=300;a19001-Rtd=3,a19001-Flag=D");
  EXPECT_FALSE(FindSample("a21026")->corrected);
  EXPECT_DOUBLE_EQ(FindSample("a21026")->zs, 300);
  // The real-time value of O2 only for real-time data (its Avg is not looked at).
  ClearOutputs();
  Feed(ev, 2011, At(8, 2), "a21026-Rtd=300;a19001-Avg=12");
  EXPECT_FALSE(FindSample("a21026")->corrected);
}

TEST_F(EvalTest, NoCorrectionWithoutReferenceO2OrForWastewater) {
  Source s = Stack();
  s.reference_o2_pct = 0;
  Evaluator ev(s, zone_);
  Feed(ev, 2011, At(8, 0), "a21026-Rtd=300,a21026-ZsRtd=999;a19001-Rtd=12");
  EXPECT_DOUBLE_EQ(FindSample("a21026")->zs, 300);
  EXPECT_FALSE(FindSample("a21026")->corrected);

  ClearOutputs();
  Evaluator ww(Outfall(), zone_);
  Feed(ww, 2011, At(8, 0), "w01018-Rtd=42.5,w01018-Flag=N");
  EXPECT_DOUBLE_EQ(FindSample("w01018")->zs, 42.5);
  EXPECT_FALSE(FindSample("w01018")->corrected);
  EXPECT_DOUBLE_EQ(FindSample("w01018")->limit, 0);
}

TEST_F(EvalTest, FlagHandling) {
  struct Case {
    const char* flag;  // "" = no Flag field
    bool valid;
    int device_faults;
    int exceedances;
  };
  const Case cases[] = {
      {"", true, 0, 0},   {"N", true, 0, 0},  {"S", true, 0, 0},  {"F", false, 0, 0},
      {"M", false, 0, 0}, {"C", false, 0, 0}, {"D", false, 1, 0}, {"B", false, 1, 0},
      {"T", false, 0, 1},  // over range: an exceedance although the value sent is below
  };
  for (const Case& c : cases) {
    ClearOutputs();
    Evaluator ev(Stack(), zone_);
    std::string item = "a21026-Rtd=100";
    if (*c.flag != 0) item += std::string(",a21026-Flag=") + c.flag;
    Feed(ev, 2011, At(8, 0), item + ";a19001-Rtd=9");
    const Sample* s = FindSample("a21026");
    ASSERT_NE(s, nullptr) << c.flag;
    EXPECT_EQ(s->valid, c.valid) << c.flag;
    EXPECT_EQ(static_cast<char>(s->flag), *c.flag) << c.flag;
    EXPECT_EQ(s->exceeded, c.exceedances > 0) << c.flag;
    EXPECT_EQ(CountEvents(EventKind::kDeviceFault), c.device_faults) << c.flag;
    EXPECT_EQ(CountEvents(EventKind::kExceedance), c.exceedances) << c.flag;
    EXPECT_EQ(CountEvents(EventKind::kRecovered), 0) << c.flag;
    for (const Event& e : events_) {
      EXPECT_EQ(static_cast<char>(e.flag), *c.flag);
      EXPECT_DOUBLE_EQ(e.value, 100);
    }
  }
}

TEST_F(EvalTest, ValuesAboveTheLimitAlarmOnlyWhenValid) {
  Evaluator ev(Stack(), zone_);
  // Manually entered values count; maintenance, calibration, stopped do not.
  Feed(ev, 2011, At(8, 0), "a21026-Rtd=450,a21026-Flag=S;a19001-Rtd=9");
  EXPECT_EQ(CountEvents(EventKind::kExceedance), 1);
  for (const char* f : {"M", "C", "F"}) {
    ClearOutputs();
    Feed(ev, 2011, At(8, 1), std::string("a21026-Rtd=450,a21026-Flag=") + f + ";a19001-Rtd=9");
    EXPECT_FALSE(FindSample("a21026")->exceeded) << f;
    EXPECT_TRUE(events_.empty()) << f;
  }
  // Over range of a pollutant without a limit: nothing to exceed.
  ClearOutputs();
  Feed(ev, 2011, At(8, 2), "a19001-Rtd=25,a19001-Flag=T");
  EXPECT_TRUE(events_.empty());
  EXPECT_FALSE(FindSample("a19001")->exceeded);
}

TEST_F(EvalTest, DeviceFaultThenRecovery) {
  Evaluator ev(Stack(), zone_);
  Feed(ev, 2011, At(8, 0), "a21026-Rtd=0,a21026-Flag=D;a21002-Rtd=50,a21002-Flag=N");
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, EventKind::kDeviceFault);
  EXPECT_EQ(events_[0].pollutant, "a21026");
  EXPECT_EQ(events_[0].unit, "mg/m3");
  ClearOutputs();
  Feed(ev, 2011, At(8, 0, 30), "a21026-Rtd=0,a21026-Flag=B");  // still in fault
  EXPECT_EQ(CountEvents(EventKind::kDeviceFault), 1);
  ClearOutputs();
  Feed(ev, 2011, At(8, 1), "a21026-Rtd=0,a21026-Flag=M");  // maintenance: not a recovery
  EXPECT_TRUE(events_.empty());
  ClearOutputs();
  Feed(ev, 2011, At(8, 1, 30), "a21026-Rtd=120,a21026-Flag=N;a21002-Rtd=50,a21002-Flag=N");
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, EventKind::kRecovered);
  EXPECT_EQ(events_[0].pollutant, "a21026");
  EXPECT_DOUBLE_EQ(events_[0].value, 120);
  ClearOutputs();
  Feed(ev, 2011, At(8, 2), "a21026-Rtd=120,a21026-Flag=N");
  EXPECT_TRUE(events_.empty());
}

TEST_F(EvalTest, FlueGasHourValidAt75PercentExactly) {
  for (int valid : {45, 44}) {
    ClearOutputs();
    Evaluator ev(Stack(), zone_);
    FeedHourOfMinutes(ev, 8, [&](int m) {
      return "a21026-Avg=" + std::to_string(100 + m) + ",a21026-Flag=" + (m < valid ? "N" : "D") +
             ";a19001-Avg=9";
    });
    EXPECT_TRUE(hours_.empty());  // the hour is still open
    Feed(ev, 2051, At(9, 0), "a21026-Avg=100;a19001-Avg=9");
    const store::EnvHourRow* h = FindHour("a21026", Utc(At(8, 0)));
    ASSERT_NE(h, nullptr) << valid;
    EXPECT_EQ(h->source, "E1.DA001");
    EXPECT_EQ(h->samples, 60);
    EXPECT_EQ(h->valid, valid);
    EXPECT_EQ(h->expected, 60);
    EXPECT_EQ(h->flag, valid == 45 ? "N" : "D") << valid;
    EXPECT_EQ(h->origin, "computed");
    // Averages over the valid values: 100 .. 100 + valid - 1.
    EXPECT_DOUBLE_EQ(h->avg, 100 + (valid - 1) / 2.0);
    EXPECT_DOUBLE_EQ(h->zs_avg, h->avg);  // O2 = reference
    EXPECT_DOUBLE_EQ(h->min, 100);
    EXPECT_DOUBLE_EQ(h->max, 100 + valid - 1);
    EXPECT_DOUBLE_EQ(h->limit, 400);
    EXPECT_FALSE(h->exceeded);
    // O2 is evaluated too (no limit, all valid).
    const store::EnvHourRow* o2 = FindHour("a19001", Utc(At(8, 0)));
    ASSERT_NE(o2, nullptr);
    EXPECT_EQ(o2->flag, "N");
    EXPECT_DOUBLE_EQ(o2->limit, 0);
    EXPECT_EQ(hours_.size(), 2u);  // pollutants without data have no row
  }
}

TEST_F(EvalTest, FlueGasHourOfAStoppedBoilerIsFlaggedStoppedNotFault) {
  for (const char* flag : {"F", "M", "C", "D"}) {
    ClearOutputs();
    Evaluator ev(Stack(), zone_);
    FeedHourOfMinutes(ev, 8, [&](int) { return std::string("a21026-Avg=0,a21026-Flag=") + flag; });
    Feed(ev, 2051, At(9, 0), "a21026-Avg=100");
    const store::EnvHourRow* h = FindHour("a21026", Utc(At(8, 0)));
    ASSERT_NE(h, nullptr) << flag;
    EXPECT_EQ(h->valid, 0);
    EXPECT_EQ(h->flag, flag) << flag;
  }
  // One valid value among stopped ones: under 75 %, an instrument fault as Appendix C says.
  ClearOutputs();
  Evaluator ev(Stack(), zone_);
  FeedHourOfMinutes(ev, 8, [&](int m) {
    return std::string("a21026-Avg=0,a21026-Flag=") + (m == 59 ? "N" : "F");
  });
  Feed(ev, 2051, At(9, 0), "a21026-Avg=100");
  ASSERT_NE(FindHour("a21026", Utc(At(8, 0))), nullptr);
  EXPECT_EQ(FindHour("a21026", Utc(At(8, 0)))->flag, "D");
}

TEST_F(EvalTest, RealtimeHourExpectsItsInterval) {
  for (int valid : {90, 89}) {
    ClearOutputs();
    Evaluator ev(Stack(), zone_);
    for (int i = 0; i < 120; ++i) {
      Feed(ev, 2011, At(8, i / 2, (i % 2) * 30),
           std::string("a34013-Rtd=10,a34013-Flag=") + (i < valid ? "N" : "C"));
    }
    Feed(ev, 2011, At(9, 0), "a34013-Rtd=10");
    const store::EnvHourRow* h = FindHour("a34013", Utc(At(8, 0)));
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->expected, 120);
    EXPECT_EQ(h->samples, 120);
    EXPECT_EQ(h->valid, valid);
    EXPECT_EQ(h->flag, valid == 90 ? "N" : "D");
    EXPECT_DOUBLE_EQ(h->limit, 80);
  }
}

TEST_F(EvalTest, HourWithoutValidValuesAveragesAllAndIsNotExceeded) {
  Evaluator ev(Stack(), zone_);
  FeedHourOfMinutes(ev, 8, [](int m) {
    return "a21026-Avg=" + std::to_string(500 + m) + ",a21026-Flag=F;a19001-Avg=9";
  });
  ev.CloseAll(&hours_);
  const store::EnvHourRow* h = FindHour("a21026", Utc(At(8, 0)));
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->valid, 0);
  EXPECT_EQ(h->flag, "F");  // stopped all hour: not an instrument fault
  EXPECT_DOUBLE_EQ(h->avg, 529.5);
  EXPECT_DOUBLE_EQ(h->min, 500);
  EXPECT_DOUBLE_EQ(h->max, 559);
  EXPECT_FALSE(h->exceeded);  // above 400, but not a valid hour
}

TEST_F(EvalTest, HourExceededOnItsCorrectedAverage) {
  Evaluator ev(Stack(), zone_);
  // Measured 300 at O2 12 %: corrected 400 each minute but for 15 minutes at O2 13 % (450).
  // Valid hour, zs_avg = (45 x 400 + 15 x 450) / 60 = 412.5 > 400.
  FeedHourOfMinutes(ev, 8, [](int m) {
    return std::string("a21026-Avg=300,a21026-Flag=N;a19001-Avg=") + (m < 45 ? "12" : "13");
  });
  EXPECT_EQ(CountEvents(EventKind::kExceedance), 15);
  ev.CloseAll(&hours_);
  const store::EnvHourRow* h = FindHour("a21026", Utc(At(8, 0)));
  ASSERT_NE(h, nullptr);
  EXPECT_DOUBLE_EQ(h->avg, 300);
  EXPECT_DOUBLE_EQ(h->zs_avg, 412.5);
  EXPECT_TRUE(h->exceeded);
}

TEST_F(EvalTest, WastewaterOneAbnormalValueMakesTheHourAbnormal) {
  struct Case {
    int m1;  // minute with flag f1 (-1: none)
    const char* f1;
    int m2;
    const char* f2;
    const char* hour_flag;
    int valid;
  };
  const Case cases[] = {
      {-1, "", -1, "", "N", 60},
      {10, "M", 20, "D", "M", 58},  // the first abnormal value's flag
      {59, "T", -1, "", "T", 59},
      {0, "S", -1, "", "N", 60},  // manual values are normal
  };
  for (const Case& c : cases) {
    ClearOutputs();
    Evaluator ev(Outfall(), zone_);
    FeedHourOfMinutes(ev, 8, [&](int m) {
      std::string flag = "N";
      if (m == c.m1) flag = c.f1;
      if (m == c.m2) flag = c.f2;
      return "w01018-Avg=" + std::to_string(40 + (m % 2) * 10) + ",w01018-Flag=" + flag;
    });
    ev.CloseAll(&hours_);
    const store::EnvHourRow* h = FindHour("w01018", Utc(At(8, 0)));
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->flag, c.hour_flag) << c.f1;
    EXPECT_EQ(h->valid, c.valid) << c.f1;
    EXPECT_EQ(h->samples, 60);
    EXPECT_EQ(h->expected, 60);
  }
  // One value in the hour is enough for a normal wastewater hour (no 75 % rule).
  ClearOutputs();
  Evaluator ev(Outfall(), zone_);
  Feed(ev, 2051, At(8, 30), "w01018-Avg=45,w01018-Flag=N");
  ev.CloseAll(&hours_);
  ASSERT_EQ(hours_.size(), 1u);
  EXPECT_EQ(hours_[0].flag, "N");
  EXPECT_EQ(hours_[0].valid, 1);
}

TEST_F(EvalTest, LoadFromCouOrFromFlow) {
  // Flue gas, minute data with Cou: the sum of Cou.
  Evaluator a(Stack(), zone_);
  FeedHourOfMinutes(
      a, 8, [](int) { return "a21026-Avg=100,a21026-Cou=0.05;a00000-Avg=10,a00000-Cou=600"; });
  a.CloseAll(&hours_);
  EXPECT_NEAR(FindHour("a21026", Utc(At(8, 0)))->load_kg, 3.0, 1e-9);
  EXPECT_DOUBLE_EQ(FindHour("a00000", Utc(At(8, 0)))->load_kg, 0);  // m3, not kg
  // Without Cou: 100 mg/m3 x 10 m3/s x 60 s x 1e-6 = 0.06 kg a minute, 3.6 kg the hour.
  ClearOutputs();
  Evaluator b(Stack(), zone_);
  FeedHourOfMinutes(b, 8, [](int) { return "a21026-Avg=100;a00000-Avg=10"; });
  b.CloseAll(&hours_);
  EXPECT_NEAR(FindHour("a21026", Utc(At(8, 0)))->load_kg, 3.6, 1e-9);
  // Without flow: not computable.
  ClearOutputs();
  Evaluator c(Stack(), zone_);
  FeedHourOfMinutes(c, 8, [](int) { return "a21026-Avg=100"; });
  c.CloseAll(&hours_);
  EXPECT_DOUBLE_EQ(FindHour("a21026", Utc(At(8, 0)))->load_kg, 0);
  // Real-time data: 30 s each, 120 values: 100 x 10 x 30 x 1e-6 x 120 = 3.6 kg.
  ClearOutputs();
  Evaluator d(Stack(), zone_);
  for (int i = 0; i < 120; ++i) {
    Feed(d, 2011, At(8, i / 2, (i % 2) * 30), "a21026-Rtd=100;a00000-Rtd=10");
  }
  d.CloseAll(&hours_);
  EXPECT_NEAR(FindHour("a21026", Utc(At(8, 0)))->load_kg, 3.6, 1e-9);
  // Wastewater (HJ 212 Appendix D, G = D x C x 1e-3 with D in m3): 50 mg/L x 20 L/s x 60 s
  // = 1.2 m3 x 50 x 1e-3 = 0.06 kg a minute.
  ClearOutputs();
  Evaluator w(Outfall(), zone_);
  FeedHourOfMinutes(w, 8, [](int) { return "w01018-Avg=50;w00000-Avg=20;w01001-Avg=7.2"; });
  w.CloseAll(&hours_);
  EXPECT_NEAR(FindHour("w01018", Utc(At(8, 0)))->load_kg, 3.6, 1e-9);
  EXPECT_DOUBLE_EQ(FindHour("w01001", Utc(At(8, 0)))->load_kg, 0);  // pH has no amount
  EXPECT_DOUBLE_EQ(FindHour("w00000", Utc(At(8, 0)))->load_kg, 0);
}

TEST_F(EvalTest, RealtimeHourClosesOnTheNextHoursData) {
  Evaluator ev(Stack(), zone_);
  for (int i = 0; i < 120; ++i) Feed(ev, 2011, At(8, i / 2, (i % 2) * 30), "a21026-Rtd=100");
  EXPECT_TRUE(hours_.empty());
  Feed(ev, 2011, At(9, 0), "a21026-Rtd=100");
  ASSERT_EQ(hours_.size(), 1u);
  EXPECT_EQ(hours_[0].hour_s, Utc(At(8, 0)));
  EXPECT_EQ(hours_[0].hour_s, CivilToSeconds(At(0, 0)));  // 08:00 +08:00 = 00:00 UTC
  EXPECT_EQ(hours_[0].samples, 120);
  // Late data of the closed hour: evaluated (a sample) but the hour is not reopened.
  ClearOutputs();
  Feed(ev, 2011, At(8, 30, 15), "a21026-Rtd=100");
  EXPECT_EQ(samples_.size(), 1u);
  ev.CloseAll(&hours_);
  ASSERT_EQ(hours_.size(), 1u);
  EXPECT_EQ(hours_[0].hour_s, Utc(At(9, 0)));
  EXPECT_EQ(hours_[0].samples, 1);
}

TEST_F(EvalTest, MinuteAndRealtimeStreamsBothMoveOnBeforeTheHourCloses) {
  Evaluator ev(Stack(), zone_);
  for (int m = 0; m < 59; ++m) {
    Feed(ev, 2011, At(8, m), "a21026-Rtd=90");
    Feed(ev, 2051, At(8, m), "a21026-Avg=100");
  }
  Feed(ev, 2011, At(8, 59), "a21026-Rtd=90");
  // The real-time value of 09:00:00 comes before the minute value of 08:59 (sent at 09:00).
  Feed(ev, 2011, At(9, 0), "a21026-Rtd=90");
  EXPECT_TRUE(hours_.empty());
  Feed(ev, 2051, At(8, 59), "a21026-Avg=100");
  EXPECT_TRUE(hours_.empty());
  Feed(ev, 2051, At(9, 0), "a21026-Avg=100");
  ASSERT_EQ(hours_.size(), 1u);
  const store::EnvHourRow& h = hours_[0];
  EXPECT_EQ(h.hour_s, Utc(At(8, 0)));
  EXPECT_EQ(h.samples, 60);  // from the minute data
  EXPECT_EQ(h.expected, 60);
  EXPECT_DOUBLE_EQ(h.avg, 100);
  EXPECT_EQ(h.flag, "N");
}

TEST_F(EvalTest, TickClosesAfterTheGrace) {
  Evaluator ev(Stack(), zone_);
  Feed(ev, 2011, At(8, 10), "a21026-Rtd=100");
  ev.Tick(Utc(At(9, 9, 59)), &hours_);
  EXPECT_TRUE(hours_.empty());
  ev.Tick(Utc(At(9, 10)), &hours_);  // default grace 600 s
  ASSERT_EQ(hours_.size(), 1u);
  EXPECT_EQ(hours_[0].hour_s, Utc(At(8, 0)));
  ev.Tick(Utc(At(12, 0)), &hours_);
  EXPECT_EQ(hours_.size(), 1u);
  // Closed by Tick: late data does not reopen it.
  Feed(ev, 2011, At(8, 20), "a21026-Rtd=100");
  ev.CloseAll(&hours_);
  EXPECT_EQ(hours_.size(), 1u);

  ClearOutputs();
  EvalOptions no_grace;
  no_grace.hour_grace_s = 0;
  Evaluator ev2(Stack(), zone_, no_grace);
  Feed(ev2, 2011, At(8, 10), "a21026-Rtd=100");
  Feed(ev2, 2011, At(10, 10), "a21026-Rtd=100");  // closes 08:00
  ASSERT_EQ(hours_.size(), 1u);
  ev2.Tick(Utc(At(10, 59, 59)), &hours_);
  EXPECT_EQ(hours_.size(), 1u);
  ev2.Tick(Utc(At(11, 0)), &hours_);
  ASSERT_EQ(hours_.size(), 2u);
  EXPECT_EQ(hours_[1].hour_s, Utc(At(10, 0)));
}

TEST_F(EvalTest, HourLimitIsTheOneInForceOnItsLocalDay) {
  Source s = Stack();
  s.limits.push_back(
      {"a21026", 35, "mg/m3", DaysFromCivil(2025, 3, 2), INT32_MAX, "超低排放 / ultra-low"});
  Evaluator ev(s, zone_);
  Feed(ev, 2011, At(23, 59, 30, 1), "a21026-Rtd=100;a19001-Rtd=9");
  EXPECT_DOUBLE_EQ(FindSample("a21026")->limit, 400);
  EXPECT_TRUE(events_.empty());
  ClearOutputs();
  Feed(ev, 2011, At(0, 0, 0, 2), "a21026-Rtd=100;a19001-Rtd=9");
  EXPECT_DOUBLE_EQ(FindSample("a21026")->limit, 35);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].basis, "超低排放 / ultra-low");
  ev.CloseAll(&hours_);
  const store::EnvHourRow* before = FindHour("a21026", Utc(At(23, 0, 0, 1)));
  const store::EnvHourRow* after = FindHour("a21026", Utc(At(0, 0, 0, 2)));
  ASSERT_NE(before, nullptr);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(before->hour_s, CivilToSeconds(At(15, 0, 0, 1)));  // UTC
  EXPECT_DOUBLE_EQ(before->limit, 400);
  EXPECT_FALSE(before->exceeded);
  EXPECT_DOUBLE_EQ(after->limit, 35);
  EXPECT_FALSE(after->exceeded);  // 1 of 120 values: not a valid hour
}

TEST_F(EvalTest, LoggerHourOnlyWhenNothingToComputeFrom) {
  Evaluator ev(Stack(), zone_);
  Feed(ev, 2061, At(8, 0),
       "a21026-Cou=1.5,a21026-Min=300,a21026-Avg=410,a21026-Max=500,a21026-ZsAvg=420,"
       "a21026-Flag=N");
  ASSERT_EQ(samples_.size(), 1u);
  EXPECT_EQ(samples_[0].cn, 2061);
  EXPECT_DOUBLE_EQ(samples_[0].zs, 420);
  EXPECT_EQ(CountEvents(EventKind::kExceedance), 1);
  EXPECT_TRUE(hours_.empty());
  Feed(ev, 2061, At(9, 0), "a21026-Avg=100,a21026-Flag=N");
  ASSERT_EQ(hours_.size(), 1u);
  const store::EnvHourRow& h = hours_[0];
  EXPECT_EQ(h.origin, "logger");
  EXPECT_EQ(h.hour_s, Utc(At(8, 0)));
  EXPECT_DOUBLE_EQ(h.avg, 410);
  EXPECT_DOUBLE_EQ(h.zs_avg, 420);
  EXPECT_DOUBLE_EQ(h.min, 300);
  EXPECT_DOUBLE_EQ(h.max, 500);
  EXPECT_DOUBLE_EQ(h.load_kg, 1.5);
  EXPECT_EQ(h.samples, 1);
  EXPECT_EQ(h.valid, 1);
  EXPECT_EQ(h.expected, 1);
  EXPECT_EQ(h.flag, "N");
  EXPECT_DOUBLE_EQ(h.limit, 400);
  EXPECT_TRUE(h.exceeded);

  // Real-time data in the hour: the logger's 2061 (arriving while the hour is open) is not kept.
  ClearOutputs();
  Evaluator ev2(Stack(), zone_);
  Feed(ev2, 2011, At(10, 0), "a21026-Rtd=100;a19001-Rtd=9");
  Feed(ev2, 2061, At(10, 0), "a21026-Avg=999,a21026-Flag=D");
  ev2.CloseAll(&hours_);
  const store::EnvHourRow* c = FindHour("a21026", Utc(At(10, 0)));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->origin, "computed");
  EXPECT_DOUBLE_EQ(c->avg, 100);
  // ... nor after the hour closed.
  ClearOutputs();
  Feed(ev2, 2011, At(11, 0), "a21026-Rtd=100");
  Feed(ev2, 2011, At(12, 0), "a21026-Rtd=100");  // closes 11:00
  Feed(ev2, 2061, At(11, 0), "a21026-Avg=999");
  ev2.CloseAll(&hours_);
  ASSERT_EQ(hours_.size(), 2u);
  for (const store::EnvHourRow& r : hours_) EXPECT_EQ(r.origin, "computed");
  // A logger hour flagged abnormal keeps its flag and is not exceeded.
  ClearOutputs();
  Evaluator ev3(Stack(), zone_);
  Feed(ev3, 2061, At(8, 0), "a21026-Avg=900,a21026-Flag=C");
  ev3.CloseAll(&hours_);
  ASSERT_EQ(hours_.size(), 1u);
  EXPECT_EQ(hours_[0].flag, "C");
  EXPECT_EQ(hours_[0].valid, 0);
  EXPECT_FALSE(hours_[0].exceeded);
}

// The standard's Appendix C hourly wastewater upload (standards.md §8.1), as far as the quote
// goes: w00000 Cou 63.0, Min 16.4, Avg 17.5, Max 20.1, Flag N, DataTime 2016-08-01 08:00.
TEST_F(EvalTest, AppendixCHourlyUpload) {
  const std::string_view frame = hj212::testdata::kAppendixCHourly;
  const std::string segment(frame.substr(6, 188));
  hj212::DataSegment seg;
  ASSERT_TRUE(hj212::ParseSegment(segment, &seg).ok());
  Source s = Outfall();
  s.mn = "010000A8900016F000169DC0";
  Evaluator ev(s, zone_);
  Result<CivilTime> t = hj212::ParseDataTime(seg.data_time);
  ASSERT_TRUE(t.ok());
  const int64_t data_time_s = zone_.FromLocal(CivilToSeconds(*t));
  ev.Add(seg, data_time_s, &samples_, &hours_, &events_);
  ASSERT_EQ(samples_.size(), 1u);
  EXPECT_EQ(samples_[0].pollutant, "w00000");
  EXPECT_EQ(samples_[0].cn, 2061);
  EXPECT_DOUBLE_EQ(samples_[0].value, 17.5);
  EXPECT_TRUE(samples_[0].valid);
  EXPECT_TRUE(events_.empty());
  ev.CloseAll(&hours_);
  ASSERT_EQ(hours_.size(), 1u);
  const store::EnvHourRow& h = hours_[0];
  EXPECT_EQ(h.hour_s, 1470009600);  // 2016-08-01T00:00:00Z = 08:00 +08:00
  EXPECT_EQ(h.pollutant, "w00000");
  EXPECT_EQ(h.origin, "logger");
  EXPECT_DOUBLE_EQ(h.avg, 17.5);
  EXPECT_DOUBLE_EQ(h.zs_avg, 17.5);
  EXPECT_DOUBLE_EQ(h.min, 16.4);
  EXPECT_DOUBLE_EQ(h.max, 20.1);
  EXPECT_DOUBLE_EQ(h.load_kg, 0);  // its Cou is a volume (m3), not a load
  EXPECT_EQ(h.flag, "N");
  EXPECT_DOUBLE_EQ(h.limit, 0);
}

TEST_F(EvalTest, HalfHourZoneUsesLocalHours) {
  zone_ = TimeZone::Fixed(5 * 3600 + 1800);
  Evaluator ev(Stack(), zone_);
  Feed(ev, 2011, At(10, 20), "a21026-Rtd=100");
  ev.CloseAll(&hours_);
  ASSERT_EQ(hours_.size(), 1u);
  EXPECT_EQ(hours_[0].hour_s, CivilToSeconds(At(4, 30)));  // 10:00 +05:30
}

TEST_F(EvalTest, SetSourceKeepsOpenHoursAndFaults) {
  Evaluator ev(Stack(), zone_);
  Feed(ev, 2011, At(8, 0), "a21026-Rtd=100,a21026-Flag=D;a21002-Rtd=200;a34013-Rtd=5");
  Feed(ev, 2011, At(8, 0, 30), "a21026-Rtd=110,a21026-Flag=B;a21002-Rtd=210;a34013-Rtd=5");
  ClearOutputs();
  Source s = Stack();
  s.pollutants = {"a21005", "a21002", "a21026"};  // reordered, PM dropped, CO added
  ev.SetSource(s);
  Feed(ev, 2011, At(8, 1), "a21026-Rtd=120;a21002-Rtd=220;a21005-Rtd=3");
  EXPECT_EQ(CountEvents(EventKind::kRecovered), 1);  // the fault of SO2 carried over
  ev.CloseAll(&hours_);
  ASSERT_EQ(hours_.size(), 3u);
  const store::EnvHourRow* so2 = FindHour("a21026", Utc(At(8, 0)));
  const store::EnvHourRow* nox = FindHour("a21002", Utc(At(8, 0)));
  const store::EnvHourRow* co = FindHour("a21005", Utc(At(8, 0)));
  ASSERT_TRUE(so2 && nox && co);
  EXPECT_EQ(so2->samples, 3);
  EXPECT_EQ(so2->valid, 1);
  EXPECT_DOUBLE_EQ(so2->avg, 120);
  EXPECT_DOUBLE_EQ(so2->min, 120);
  EXPECT_EQ(nox->samples, 3);
  EXPECT_DOUBLE_EQ(nox->avg, 210);
  EXPECT_EQ(co->samples, 1);
  EXPECT_DOUBLE_EQ(co->limit, 0);
  EXPECT_EQ(FindHour("a34013", Utc(At(8, 0))), nullptr);
}

TEST_F(EvalTest, OnlyTheSourcesPollutantsAndDataCommands) {
  Evaluator ev(Stack(), zone_);
  Feed(ev, 2011, At(8, 0),
       "a21005-Rtd=3;SB1-RS=1;a21026-Flag=N;a01012-Rtd=120;a21002-Rtd=50,a21002-Flag=N");
  ASSERT_EQ(samples_.size(), 1u);  // CO, temperature not monitored; SO2 without a value
  EXPECT_EQ(samples_[0].pollutant, "a21002");
  // Daily data: evaluated, no hours.
  ClearOutputs();
  Feed(ev, 2031, At(0, 0, 0, 2), "a21026-Avg=450,a21026-Flag=N;a19001-Avg=9");
  ASSERT_EQ(samples_.size(), 2u);
  EXPECT_EQ(samples_[0].cn, 2031);
  EXPECT_EQ(CountEvents(EventKind::kExceedance), 1);
  // Other commands: nothing.
  ClearOutputs();
  Feed(ev, 2021, At(8, 5), "a21026-Rtd=100");
  EXPECT_TRUE(samples_.empty());
  ev.CloseAll(&hours_);
  ASSERT_EQ(hours_.size(), 1u);  // 08:00 from the first frame only
  EXPECT_EQ(hours_[0].pollutant, "a21002");
}

}  // namespace
}  // namespace zp::environment
