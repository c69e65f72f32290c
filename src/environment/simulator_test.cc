// The data-logger simulator: a deterministic, valid fleet; frames that round-trip through the
// codec with realistic values and the episodes it promises; and a short run against a real
// HJ 212 server with the environment service behind it (every frame answered and stored).

#include "zp/environment/simulator.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "zp/auth/auth.h"
#include "zp/base/time.h"
#include "zp/engine/testing.h"
#include "zp/environment/service.h"
#include "zp/environment/sources.h"
#include "zp/hj212/frame.h"
#include "zp/hj212/segment.h"
#include "zp/model/registry.h"

namespace zp::environment {
namespace {

const TimeZone kZone = TimeZone::Fixed(8 * 3600);

std::vector<std::string> EnterpriseCodes(int n) {
  std::vector<std::string> codes;
  for (int i = 0; i < n; ++i) {
    const std::string first17 = fmt::format("91210113MA0{:06d}", 100 + i);
    Result<char> check = model::CreditCodeCheckChar(first17);
    EXPECT_TRUE(check.ok());
    codes.push_back(first17 + *check);
  }
  return codes;
}

std::vector<model::Enterprise> Enterprises(const std::vector<std::string>& codes) {
  std::vector<model::Enterprise> out;
  for (size_t i = 0; i < codes.size(); ++i) {
    model::Enterprise e;
    e.code = codes[i];
    e.name = fmt::format("测试企业 {} / Test enterprise {}", i + 1, i + 1);
    e.industry_code = "C2614";
    out.push_back(e);
  }
  return out;
}

FleetOptions Options(int32_t loggers, uint64_t seed = 7) {
  FleetOptions o;
  o.seed = seed;
  o.loggers = loggers;
  o.enterprises = EnterpriseCodes(5);
  return o;
}

// A frame's parsed segment, with the text it views kept alive.
struct Parsed {
  std::string frame;
  hj212::DataSegment seg;
  int64_t data_time_s = 0;
};

std::vector<std::unique_ptr<Parsed>> ParseAll(const std::vector<std::string>& frames) {
  std::vector<std::unique_ptr<Parsed>> out;
  for (const std::string& f : frames) {
    auto p = std::make_unique<Parsed>();
    p->frame = f;
    Result<std::string_view> segment = hj212::ParseFrame(p->frame);
    EXPECT_TRUE(segment.ok()) << segment.status().ToString() << "\n" << f;
    if (!segment.ok()) continue;
    Status st = hj212::ParseSegment(*segment, &p->seg);
    EXPECT_TRUE(st.ok()) << st.ToString() << "\n" << f;
    if (!st.ok()) continue;
    Result<CivilTime> dt = hj212::ParseDataTime(p->seg.data_time);
    EXPECT_TRUE(dt.ok()) << f;
    if (dt.ok()) p->data_time_s = kZone.FromLocal(CivilToSeconds(*dt));
    out.push_back(std::move(p));
  }
  return out;
}

double Corrected(const Source& s, const hj212::DataSegment& seg, std::string_view code) {
  const hj212::PollutantRecord* r = seg.Find(code);
  const hj212::PollutantRecord* o2 = seg.Find("a19001");
  if (r == nullptr) return -1;
  const double v = r->rtd.present() ? r->rtd.value : r->avg.value;
  if (o2 == nullptr || s.reference_o2_pct <= 0) return v;
  const double o = o2->rtd.present() ? o2->rtd.value : o2->avg.value;
  return o >= 20.5 ? v : v * (21 - s.reference_o2_pct) / (21 - o);
}

TEST(SimulatorFleet, DeterministicAndWellFormed) {
  const std::vector<SimLogger> a = MakeFleet(Options(40));
  const std::vector<SimLogger> b = MakeFleet(Options(40));
  ASSERT_EQ(a.size(), 40u);
  std::set<std::string> codes, mns;
  int outfalls = 0;
  std::set<Fuel> fuels;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].source, b[i].source);
    EXPECT_EQ(a[i].password, b[i].password);
    const Source& s = a[i].source;
    EXPECT_TRUE(codes.insert(s.code).second) << s.code;
    EXPECT_TRUE(mns.insert(s.mn).second) << s.mn;
    EXPECT_EQ(s.mn.size(), 24u);
    EXPECT_EQ(s.mn.find_first_not_of("0123456789ABCDEF"), std::string::npos) << s.mn;
    EXPECT_EQ(s.password_sha256, auth::HashSecret(a[i].password));
    EXPECT_TRUE(
        s.code.starts_with(s.enterprise_code + (s.kind == SourceKind::kStack ? ".DA0" : ".DW0")))
        << s.code;
    if (s.kind == SourceKind::kOutfall) {
      ++outfalls;
      EXPECT_EQ(s.pollutants,
                (std::vector<std::string>{"w00000", "w01018", "w21003", "w01001", "w21011"}));
      ASSERT_EQ(s.limits.size(), 3u);
      for (const LimitOverride& l : s.limits) {
        EXPECT_NE(l.basis.find("演示数据"), std::string::npos);
        EXPECT_NE(l.basis.find("demo"), std::string::npos);
        EXPECT_EQ(l.unit, "mg/L");
      }
    } else {
      fuels.insert(s.fuel);
      EXPECT_EQ(s.reference_o2_pct, Gb13271ReferenceO2(s.fuel));
      EXPECT_NE(s.boiler_class, BoilerClass::kNone);
      EXPECT_EQ(s.pollutants.size(), 6u);
      EXPECT_TRUE(LimitInForce(s, "a21026", 20000).has_value());
    }
  }
  EXPECT_EQ(outfalls, 12);  // round(40 x 0.3)
  EXPECT_TRUE(fuels.contains(Fuel::kCoal));
  EXPECT_TRUE(fuels.contains(Fuel::kGas));
  // Another seed: other MNs and passwords; gas enterprises burn gas.
  FleetOptions o = Options(40, 8);
  o.gas_enterprises = {o.enterprises[0]};
  const std::vector<SimLogger> c = MakeFleet(o);
  EXPECT_NE(c[0].source.mn, a[0].source.mn);
  for (const SimLogger& lg : c) {
    if (lg.source.enterprise_code == o.enterprises[0] && lg.source.kind == SourceKind::kStack) {
      EXPECT_EQ(lg.source.fuel, Fuel::kGas);
    }
  }
  EXPECT_TRUE(MakeFleet(FleetOptions{}).empty());  // no enterprises
}

TEST(SimulatorFleet, RegistryValidatesAndRoundTrips) {
  const FleetOptions o = Options(30);
  const std::vector<SimLogger> fleet = MakeFleet(o);
  const SourceRegistry registry = FleetRegistry(fleet);
  ASSERT_EQ(registry.sources.size(), 30u);
  EXPECT_TRUE(std::is_sorted(registry.sources.begin(), registry.sources.end(),
                             [](const Source& a, const Source& b) { return a.code < b.code; }));
  Status st = ValidateSources(registry, Enterprises(o.enterprises));
  EXPECT_TRUE(st.ok()) << st.ToString();
  // Against a park without those enterprises: refused.
  EXPECT_FALSE(ValidateSources(registry, Enterprises(EnterpriseCodes(1))).ok());
  Result<SourceRegistry> back = SourcesFromJson(SourcesToJson(registry, true), nullptr);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, registry);
}

TEST(SimulatorFleet, OptionsJson) {
  FleetOptions o = Options(30, 99);
  o.gas_enterprises = {o.enterprises[1]};
  o.outfall_share = 0.5;
  Result<FleetOptions> back = FleetOptionsFromJson(FleetOptionsToJson(o));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->seed, o.seed);
  EXPECT_EQ(back->loggers, o.loggers);
  EXPECT_EQ(back->enterprises, o.enterprises);
  EXPECT_EQ(back->gas_enterprises, o.gas_enterprises);
  EXPECT_EQ(back->outfall_share, o.outfall_share);
  // Extra keys are ignored; missing or impossible ones refused.
  EXPECT_TRUE(
      FleetOptionsFromJson(R"({"seed": 1, "loggers": 2, "enterprises": ["E"], "zone": "UTC"})")
          .ok());
  for (std::string_view bad : {R"({"seed": 1, "loggers": 2})", R"({"seed": 1, "loggers": 0,
       "enterprises": ["E"]})",
                               R"({"seed": -1, "loggers": 2, "enterprises": ["E"]})", "[",
                               R"({"seed": 1, "loggers": 2, "enterprises": []})"}) {
    Result<FleetOptions> r = FleetOptionsFromJson(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(SimulatorFrames, RoundTripThroughTheCodec) {
  const std::vector<SimLogger> fleet = MakeFleet(Options(12));
  const int64_t from = kZone.DayStart(DaysFromCivil(2025, 3, 3));
  const int64_t to = from + 3 * 3600;
  bool some_zs = false, some_without_zs = false;
  for (const SimLogger& lg : fleet) {
    const Source& s = lg.source;
    const std::vector<std::string> frames = LoggerFrames(lg, from, to, kZone, false);
    EXPECT_EQ(frames, LoggerFrames(lg, from, to, kZone, false));  // deterministic
    const auto parsed = ParseAll(frames);
    ASSERT_EQ(parsed.size(), frames.size());
    std::map<int32_t, int> by_cn;
    for (const auto& p : parsed) {
      const hj212::DataSegment& seg = p->seg;
      ++by_cn[seg.cn_code];
      EXPECT_EQ(seg.mn, s.mn);
      EXPECT_EQ(seg.pw, lg.password);
      EXPECT_EQ(seg.flag, hj212::MakeFlag(hj212::kVersion2017, false, true));
      EXPECT_EQ(seg.st, s.kind == SourceKind::kStack ? "31" : "32");
      EXPECT_EQ(seg.qn.size(), 17u);
      EXPECT_GE(p->data_time_s, from - 3600);
      EXPECT_LT(p->data_time_s, to);
      for (const std::string& code : s.pollutants) {
        const hj212::PollutantRecord* r = seg.Find(code);
        ASSERT_NE(r, nullptr) << code << " in " << p->frame;
        EXPECT_EQ(r->flag, hj212::DataFlag::kNormal) << p->frame;
        if (seg.cn_code == hj212::cn::kRealtimeData) {
          EXPECT_TRUE(r->rtd.present());
          if (r->zs_rtd.present()) some_zs = true;
        } else {
          EXPECT_LE(r->min.value, r->avg.value);
          EXPECT_LE(r->avg.value, r->max.value);
        }
      }
      if (s.kind == SourceKind::kStack && seg.Find("a21026")->zs_rtd.present() == false &&
          seg.cn_code == hj212::cn::kRealtimeData) {
        some_without_zs = true;
      }
      // Normal operation: levels well within the limits, O2 in the fuel's band.
      if (s.kind == SourceKind::kStack) {
        const double o2 = seg.Find("a19001")->rtd.present() ? seg.Find("a19001")->rtd.value
                                                            : seg.Find("a19001")->avg.value;
        if (s.fuel == Fuel::kCoal) {
          EXPECT_GT(o2, 7.5);
          EXPECT_LT(o2, 11.5);
        } else {
          EXPECT_GT(o2, 2);
          EXPECT_LT(o2, 6);
        }
        for (std::string_view code : {"a34013", "a21026", "a21002"}) {
          const double limit = LimitInForce(s, code, kZone.LocalDay(from))->value;
          EXPECT_LT(Corrected(s, seg, code), limit) << p->frame;
          EXPECT_GT(Corrected(s, seg, code), 0.05 * limit) << p->frame;
        }
      } else {
        const hj212::PollutantRecord* ph = seg.Find("w01001");
        const double v = ph->rtd.present() ? ph->rtd.value : ph->avg.value;
        EXPECT_GT(v, 6.5);
        EXPECT_LT(v, 8.5);
        EXPECT_LT(Corrected(s, seg, "w01018"), 300.0);
      }
      // Periods start on their boundary (local wall clock).
      const int64_t local = kZone.ToLocal(p->data_time_s);
      if (seg.cn_code == hj212::cn::kMinuteData) {
        EXPECT_EQ(local % s.minute_interval_s, 0);
      }
      if (seg.cn_code == hj212::cn::kHourlyData) {
        EXPECT_EQ(local % 3600, 0);
      }
    }
    EXPECT_EQ(by_cn[hj212::cn::kRealtimeData], 3 * 3600 / s.realtime_interval_s) << s.code;
    EXPECT_EQ(by_cn[hj212::cn::kMinuteData], 3 * 3600 / s.minute_interval_s) << s.code;
    EXPECT_EQ(by_cn[hj212::cn::kHourlyData], 3) << s.code;
  }
  EXPECT_TRUE(some_zs);
  EXPECT_TRUE(some_without_zs);
}

TEST(SimulatorFrames, PartialFirstPeriodsAreNotSent) {
  const std::vector<SimLogger> fleet = MakeFleet(Options(3));
  const int64_t from = kZone.DayStart(DaysFromCivil(2025, 3, 3)) + 1800 + 7;  // 00:30:07
  const auto parsed = ParseAll(LoggerFrames(fleet[0], from, from + 3600, kZone, false));
  ASSERT_FALSE(parsed.empty());
  // The first real-time frame is on the grid after `from`; no hour began before it is sent.
  EXPECT_EQ(kZone.ToLocal(parsed[0]->data_time_s) % fleet[0].source.realtime_interval_s, 0);
  EXPECT_GT(parsed[0]->data_time_s, from);
  for (const auto& p : parsed) EXPECT_NE(p->seg.cn_code, hj212::cn::kHourlyData);
}

// A logger with many pollutants: its hourly frame does not fit in 1024 bytes and goes out as
// split packets (PNUM/PNO) with one QN, each with its DataTime.
TEST(SimulatorFrames, SplitsFramesOverTheSegmentLimit) {
  SimLogger lg = MakeFleet(Options(1))[0];
  ASSERT_EQ(lg.source.kind, SourceKind::kStack);
  for (std::string_view code :
       {"a21003", "a21004", "a21005", "a24088", "a01011", "a01013", "a01014"}) {
    lg.source.pollutants.emplace_back(code);
  }
  const int64_t from = kZone.DayStart(DaysFromCivil(2025, 3, 3));
  const auto parsed = ParseAll(LoggerFrames(lg, from, from + 3600, kZone, false));
  std::vector<const Parsed*> hourly;
  for (const auto& p : parsed) {
    if (p->seg.cn_code == hj212::cn::kHourlyData) hourly.push_back(p.get());
  }
  ASSERT_GE(hourly.size(), 2u);
  std::set<std::string> codes;
  for (size_t i = 0; i < hourly.size(); ++i) {
    const hj212::DataSegment& seg = hourly[i]->seg;
    EXPECT_TRUE(seg.split());
    EXPECT_TRUE(seg.reply_wanted());
    EXPECT_EQ(seg.pnum, static_cast<int32_t>(hourly.size()));
    EXPECT_EQ(seg.pno, static_cast<int32_t>(i + 1));
    EXPECT_EQ(seg.qn, hourly[0]->seg.qn);
    EXPECT_EQ(seg.data_time, hourly[0]->seg.data_time);
    for (const hj212::PollutantRecord& r : seg.records) codes.insert(std::string(r.code));
  }
  EXPECT_EQ(codes.size(), lg.source.pollutants.size());
}

// Over a few days a fleet plays every kind of episode.
TEST(SimulatorFrames, EpisodesHappen) {
  const std::vector<SimLogger> fleet = MakeFleet(Options(12));
  const int64_t from = kZone.DayStart(DaysFromCivil(2025, 3, 3));
  const int64_t to = from + 4 * kSecondsPerDay;
  int exceed = 0, startup = 0, fault = 0, calibration = 0, gaps = 0;
  for (const SimLogger& lg : fleet) {
    const Source& s = lg.source;
    const auto parsed = ParseAll(LoggerFrames(lg, from, to, kZone, true));
    int64_t last_rt = 0;
    for (const auto& p : parsed) {
      const hj212::DataSegment& seg = p->seg;
      if (seg.cn_code != hj212::cn::kRealtimeData) continue;
      if (last_rt != 0 && p->data_time_s - last_rt >= 600) ++gaps;
      last_rt = p->data_time_s;
      for (const std::string& code : s.pollutants) {
        const hj212::PollutantRecord* r = seg.Find(code);
        ASSERT_NE(r, nullptr);
        if (r->flag == hj212::DataFlag::kFault) ++fault;
        if (r->flag == hj212::DataFlag::kCalibration) ++calibration;
        if (r->flag != hj212::DataFlag::kNormal) continue;
        std::optional<Limit> limit = LimitInForce(s, code, kZone.LocalDay(p->data_time_s));
        if (limit && Corrected(s, seg, code) > limit->value) ++exceed;
      }
      if (s.kind == SourceKind::kStack && seg.Find("a19001")->rtd.value > 16 &&
          seg.Find("a19001")->rtd.value < 20 &&
          seg.Find("a19001")->flag == hj212::DataFlag::kStopped) {
        ++startup;
      }
    }
  }
  EXPECT_GT(exceed, 0);
  EXPECT_GT(startup, 0);
  EXPECT_GT(fault, 0);
  EXPECT_GT(calibration, 0);
  EXPECT_GT(gaps, 0);
  // Without faults: none of them.
  for (const SimLogger& lg : fleet) {
    for (const auto& p : ParseAll(LoggerFrames(lg, from, from + kSecondsPerDay, kZone, false))) {
      for (const auto& r : p->seg.records) EXPECT_EQ(r.flag, hj212::DataFlag::kNormal);
    }
  }
}

TEST(SimulatorRun, UnavailableWithoutAServer) {
  const std::vector<SimLogger> fleet = MakeFleet(Options(2));
  SimOptions o;
  o.port = 1;  // privileged, closed on a test machine
  std::atomic<bool> stop{false};
  Result<SimStats> r = RunSimulator(fleet, o, stop, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

// The environment service over a test engine with the fleet's enterprises and sources,
// listening on a free loopback port.
struct Park {
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<EnvService> service;
  std::vector<SimLogger> fleet;
};

Park OpenPark(int32_t loggers) {
  Park park;
  Result<std::unique_ptr<engine::Engine>> engine = engine::OpenTestEngine("memory:");
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  if (!engine.ok()) return park;
  park.engine = std::move(*engine);
  const FleetOptions fo = Options(loggers);
  for (const model::Enterprise& e : Enterprises(fo.enterprises)) {
    EXPECT_TRUE(park.engine->PutEnterprise(e, true).ok());
  }
  park.fleet = MakeFleet(fo);
  EnvServiceOptions so;
  so.tick_thread = false;
  Result<std::unique_ptr<EnvService>> svc = EnvService::Open(*park.engine, so);
  EXPECT_TRUE(svc.ok()) << svc.status().ToString();
  if (!svc.ok()) return park;
  park.service = std::move(*svc);
  Status st = park.service->PutSources(FleetRegistry(park.fleet));
  EXPECT_TRUE(st.ok()) << st.ToString();
  hj212::ServerOptions ho;
  ho.port = 0;
  st = park.service->Listen(ho);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return park;
}

uint64_t StoredFrames(engine::Engine& engine) {
  uint64_t stored = 0;
  Status st =
      engine.store().ReadEnvFrames("", 0, 0, INT64_MAX, 0, [&](const store::EnvFrameRow& row) {
        ++stored;
        EXPECT_FALSE(row.source.empty());
      });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return stored;
}

// The fleet against the real server and service: a one-hour backfill, then real time.
TEST(SimulatorRun, EveryFrameAnsweredAndStored) {
  Park park = OpenPark(12);
  ASSERT_NE(park.service, nullptr);
  SimOptions o;
  o.port = park.service->hj212_port();
  o.backfill_s = 3600;
  o.duration_s = 3;
  o.zone = park.engine->zone();
  std::atomic<bool> stop{false};
  int progress_calls = 0;
  Result<SimStats> r =
      RunSimulator(park.fleet, o, stop, [&](const SimStats&) { ++progress_calls; });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const SimStats& s = *r;
  EXPECT_GT(s.frames_sent, 12u * 3600 / 60);  // at least the real-time frames of the hour
  EXPECT_EQ(s.replies, s.frames_sent);
  EXPECT_EQ(s.refusals, 0u);
  EXPECT_EQ(s.timeouts, 0u);
  EXPECT_GE(progress_calls, 2);
  EXPECT_EQ(s.data_lag_s, 0);  // caught up
  EXPECT_EQ(s.connections_open, 12u);
  std::optional<hj212::ServerStats> hs = park.service->hj212_stats();
  ASSERT_TRUE(hs.has_value());
  EXPECT_EQ(hs->frames_accepted, s.frames_sent);
  EXPECT_EQ(StoredFrames(*park.engine), s.frames_sent);
  park.service->Stop();
}

// A backfill alone, over fewer connections than loggers, without replies.
TEST(SimulatorRun, StopsWhenCaughtUp) {
  Park park = OpenPark(6);
  ASSERT_NE(park.service, nullptr);
  SimOptions o;
  o.port = park.service->hj212_port();
  o.backfill_s = 1800;
  o.duration_s = 60;  // a bound; it stops long before
  o.connections = 2;
  o.stop_when_caught_up = true;
  o.zone = park.engine->zone();
  std::atomic<bool> stop{false};
  Result<SimStats> r = RunSimulator(park.fleet, o, stop, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LT(r->seconds, 20);
  EXPECT_EQ(r->data_lag_s, 0);
  EXPECT_GT(r->frames_sent, 6u * 1800 / 60);
  EXPECT_EQ(r->replies, r->frames_sent);
  EXPECT_EQ(StoredFrames(*park.engine), r->frames_sent);
  std::optional<hj212::ServerStats> hs = park.service->hj212_stats();
  ASSERT_TRUE(hs.has_value());
  EXPECT_EQ(hs->connections_accepted, 2u);
  park.service->Stop();
}

// Paced faster than real time, without asking for replies: the server still stores every frame.
TEST(SimulatorRun, PacedWithoutReplies) {
  Park park = OpenPark(4);
  ASSERT_NE(park.service, nullptr);
  SimOptions o;
  o.port = park.service->hj212_port();
  o.frames_per_logger_per_s = 50;
  o.backfill_s = 3 * 3600;
  o.duration_s = 2;
  o.ack = false;
  o.zone = park.engine->zone();
  std::atomic<bool> stop{false};
  Result<SimStats> r = RunSimulator(park.fleet, o, stop, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // About 2 s x 50 real-time frames x 4 loggers, plus minute and hourly frames.
  EXPECT_GE(r->frames_sent, 300u);
  EXPECT_LE(r->frames_sent, 1200u);
  EXPECT_EQ(r->replies, 0u);
  // Without replies, wait for the server to have handled everything it received.
  for (int i = 0; i < 100 && StoredFrames(*park.engine) < r->frames_sent; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(StoredFrames(*park.engine), r->frames_sent);
  park.service->Stop();
}

}  // namespace
}  // namespace zp::environment
