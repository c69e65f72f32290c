#include "zp/environment/service.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "zp/engine/testing.h"
#include "zp/hj212/frame.h"
#include "zp/hj212/segment.h"
#include "zp/model/registry.h"

namespace zp::environment {
namespace {

using std::chrono::milliseconds;

model::Enterprise MakeEnterprise(const std::string& code17, const std::string& zone) {
  model::Enterprise e;
  auto check = model::CreditCodeCheckChar(code17);
  e.code = code17 + std::string(1, check.ok() ? *check : '0');
  e.name = "测试企业 " + code17.substr(12);
  e.industry_code = "C3670";
  e.land_area_mu = 120;
  e.zone_code = zone;
  return e;
}

// What a test frame holds. An empty `time` omits DataTime.
struct Spec {
  std::string cn = "2011";
  std::string time = "20250301100000";  // local wall clock
  std::string items;                    // CP after DataTime
  int flag = 5;                         // version 2017, reply wanted
  std::string mn = "MN0001";
  std::string pw = "123456";
  std::string qn;  // default: from time, millis 123
  int pnum = 0;
  int pno = 0;
};

std::string QnOf(const Spec& s) {
  if (!s.qn.empty()) return s.qn;
  return (s.time.empty() ? std::string("20250301100000") : s.time) + "123";
}

std::string Segment(const Spec& s) {
  std::string qn = QnOf(s);
  std::string cp;
  if (!s.time.empty()) cp = "DataTime=" + s.time + (s.items.empty() ? "" : ";");
  cp += s.items;
  hj212::SegmentHeader h;
  h.qn = s.flag < 0 ? std::string_view() : std::string_view(qn);
  h.st = "31";
  h.cn = s.cn;
  h.pw = s.pw;
  h.mn = s.mn;
  h.flag = s.flag;
  h.pnum = s.pnum;
  h.pno = s.pno;
  std::string out;
  hj212::AppendSegment(h, cp, &out);
  return out;
}

// The reply frame the platform must send: ST=91, QN/PW/MN echoed, Flag=4.
std::string Reply(const Spec& s, std::string_view cn, std::string_view cp) {
  std::string segment = "QN=" + QnOf(s) + ";ST=91;CN=" + std::string(cn) + ";PW=" + s.pw +
                        ";MN=" + s.mn + ";Flag=4;CP=&&" + std::string(cp) + "&&";
  return hj212::BuildFrame(segment).value();
}

std::string So2(double rtd, double zs, char flag = 'N') {
  return fmt::format("a21026-Rtd={},a21026-ZsRtd={},a21026-Flag={};a19001-Rtd=10.5,a19001-Flag=N",
                     rtd, zs, flag);
}

std::string SourcesJson(const std::string& enterprise) {
  return R"({"sources":[{"code":"E001.DA001","name":"1号锅炉排气筒","enterprise":")" + enterprise +
         R"(","kind":"stack","mn":"MN0001","password":"123456","fuel":"coal",
      "boiler_class":"in_use","realtime_interval_s":60,
      "pollutants":["a34013","a21026","a21002","a19001","a00000"]},
    {"code":"E001.DW001","name":"废水总排口","enterprise":")" +
         enterprise + R"(","kind":"outfall","mn":"MN0002","password":"654321",
      "pollutants":["w01018","w21003","w00000"],
      "limits":[{"pollutant":"w01018","value":100,"unit":"mg/L","from":"2020-01-01","to":"",
                 "basis":"排污许可 / permit"}]}]})";
}

class EnvServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : test) {
      if (c == '/') c = '_';
    }
    if (GetParam() == "sqlite") {
      dir_ = ::testing::TempDir() + "/zp_env_" + std::to_string(getpid()) + "_" + test;
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      url_ = "sqlite:" + dir_ + "/park.zpdb";
    } else {
      memory_name_ = "env_service_test_" + test;
      store::DropMemoryStore(memory_name_);
      url_ = "memory:" + memory_name_;
    }
    OpenEngine();
    enterprise_ = MakeEnterprise("91210100MA0000001", "Z1");
    other_ = MakeEnterprise("91210100MA0000002", "Z2");
    ASSERT_TRUE(
        engine_
            ->ImportRegistry({{0, "Z1", "网格一", "张三", ""}, {0, "Z2", "网格二", "李四", ""}},
                             {enterprise_, other_}, {})
            .ok());
    zone_ = engine_->zone();
    t0_ = zone_.FromLocal(CivilToSeconds({2025, 3, 1, 10, 0, 0}));
    now_ = t0_ + 30;
    auto registry = SourcesFromJson(SourcesJson(enterprise_.code), nullptr);
    ASSERT_TRUE(registry.ok()) << registry.error().ToString();
    ASSERT_TRUE(engine_->PutSetting(kSettingSources, SourcesToJson(*registry, true)).ok());
    OpenService();
  }
  void TearDown() override {
    svc_.reset();
    engine_.reset();
    if (!memory_name_.empty()) store::DropMemoryStore(memory_name_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void OpenEngine() {
    auto e = engine::OpenTestEngine(url_);
    ASSERT_TRUE(e.ok()) << e.error().ToString();
    engine_ = std::move(*e);
  }
  void OpenService() {
    EnvServiceOptions o;
    o.now = [this] { return now_.load(); };
    o.tick_thread = false;
    auto s = EnvService::Open(*engine_, o);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    svc_ = std::move(*s);
  }
  void Reopen() {
    svc_.reset();
    engine_.reset();
    OpenEngine();
    OpenService();
  }

  // Hands the frames to the sink as one batch received now.
  std::vector<hj212::Disposition> Send(const std::vector<Spec>& specs) {
    std::vector<hj212::Upload> batch(specs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
      batch[i].connection = 1;
      batch[i].peer = "127.0.0.1:40000";
      batch[i].received_ms = now_ * 1000;
      batch[i].segment = Segment(specs[i]);
    }
    for (hj212::Upload& u : batch) {
      Status s = hj212::ParseSegment(u.segment, &u.parsed);
      EXPECT_TRUE(s.ok()) << s.ToString() << " " << u.segment;
    }
    std::vector<hj212::Disposition> out;
    svc_->Handle(batch, &out);
    EXPECT_EQ(out.size(), specs.size());
    return out;
  }
  hj212::Disposition SendOne(const Spec& spec) { return Send({spec})[0]; }

  std::vector<store::EnvFrameRow> Frames(std::string_view source = "") {
    std::vector<store::EnvFrameRow> rows;
    Status s = engine_->store().ReadEnvFrames(
        source, 0, 0, INT64_MAX / 2, 0, [&](const store::EnvFrameRow& r) { rows.push_back(r); });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return rows;
  }

  Source Stack() { return svc_->Sources().sources[0]; }
  double So2Limit() {
    auto limit = LimitInForce(Stack(), "a21026", zone_.LocalDay(t0_));
    EXPECT_TRUE(limit.has_value());
    return limit ? limit->value : 0;
  }
  // "YYYYMMDDhhmmss" of t0 + seconds, local.
  std::string At(int64_t seconds) {
    CivilTime t = SecondsToCivil(zone_.ToLocal(t0_ + seconds));
    std::string out;
    hj212::AppendDataTime(t, &out);
    return out;
  }
  std::optional<store::AlarmRow> ActiveAlarm(std::string_view kind,
                                             std::string_view source = "E001.DA001",
                                             std::string_view pollutant = "a21026") {
    return svc_->alarms().FindActive(kind, source, pollutant);
  }
  const SourceStatus* StatusOf(const std::vector<SourceStatus>& live, std::string_view code) {
    for (const SourceStatus& s : live) {
      if (s.source.code == code) return &s;
    }
    return nullptr;
  }

  std::string url_, dir_, memory_name_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<EnvService> svc_;
  model::Enterprise enterprise_, other_;
  TimeZone zone_;
  int64_t t0_ = 0;
  std::atomic<int64_t> now_{0};
};

TEST_P(EnvServiceTest, AcceptedFramesAreStoredAndAnsweredWith9014) {
  Spec ack;
  ack.items = So2(50, 60);
  Spec quiet = ack;
  quiet.flag = 4;  // no reply wanted
  quiet.time = At(60);
  auto out = Send({ack, quiet});
  EXPECT_EQ(out[0].refusal, "");
  EXPECT_EQ(out[0].reply, Reply(ack, "9014", ""));
  EXPECT_FALSE(out[0].close);
  EXPECT_EQ(out[1].refusal, "");
  EXPECT_EQ(out[1].reply, "");
  std::vector<store::EnvFrameRow> rows = Frames();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].source, "E001.DA001");
  EXPECT_EQ(rows[0].mn, "MN0001");
  EXPECT_EQ(rows[0].cn, 2011);
  EXPECT_EQ(rows[0].data_time_s, t0_);  // DataTime read in the park's zone
  EXPECT_EQ(rows[0].received_ms, now_ * 1000);
  EXPECT_EQ(rows[0].segment, Segment(ack));
  EXPECT_EQ(rows[1].data_time_s, t0_ + 60);
  EnvStats stats = svc_->stats();
  EXPECT_EQ(stats.frames_stored, 2u);
  EXPECT_EQ(stats.store_batches, 1u);  // one commit for the batch
  EXPECT_GT(stats.samples, 0u);
}

TEST_P(EnvServiceTest, SinkRulesRefuseWithTheStandardsReplies) {
  // HJ/T 212-2005: no Flag (and no QN), or Flag version 0: refused, no reply.
  Spec old;
  old.flag = -1;
  old.items = "a21026-Rtd=50";
  Spec old_flagged = old;
  old_flagged.flag = 1;  // version 0, reply wanted
  // A version the platform does not know: 9011 QnRtn=6.
  Spec future_version = old;
  future_version.flag = hj212::MakeFlag(2, false, true);
  Spec unknown;
  unknown.mn = "MN9999";
  unknown.items = So2(50, 60);
  Spec unknown_quiet = unknown;
  unknown_quiet.flag = 4;
  Spec bad_pw;
  bad_pw.pw = "000000";
  bad_pw.items = So2(50, 60);
  Spec bad_cn;
  bad_cn.cn = "3020";
  bad_cn.items = "PolId=a21026";
  Spec future;
  future.time = At(2 * 86400);
  future.items = So2(50, 60);
  Spec reply_to_us;  // a logger's 9014 to us: accepted, not stored, not answered
  reply_to_us.cn = "9014";
  reply_to_us.time = "";
  reply_to_us.flag = 4;
  Spec ok;
  ok.items = So2(50, 60);
  auto out = Send({old, old_flagged, future_version, unknown, unknown_quiet, bad_pw, bad_cn, future,
                   reply_to_us, ok});
  EXPECT_EQ(out[0].refusal, "version_2005");
  EXPECT_EQ(out[0].reply, "");
  EXPECT_EQ(out[1].refusal, "version_2005");
  EXPECT_EQ(out[1].reply, "");
  EXPECT_EQ(out[2].refusal, "bad_flag");
  EXPECT_EQ(out[2].reply, Reply(future_version, "9011", "QnRtn=6"));
  EXPECT_EQ(out[3].refusal, "unknown_mn");
  EXPECT_EQ(out[3].reply, Reply(unknown, "9011", "QnRtn=4"));
  EXPECT_EQ(out[4].refusal, "unknown_mn");
  EXPECT_EQ(out[4].reply, "");
  EXPECT_EQ(out[5].refusal, "bad_password");
  EXPECT_EQ(out[5].reply, Reply(bad_pw, "9011", "QnRtn=3"));
  EXPECT_EQ(out[6].refusal, "unsupported_cn");
  EXPECT_EQ(out[6].reply, Reply(bad_cn, "9011", "QnRtn=8"));
  EXPECT_EQ(out[7].refusal, "future_time");
  EXPECT_EQ(out[7].reply, Reply(future, "9011", "QnRtn=2"));
  EXPECT_EQ(out[8].refusal, "");
  EXPECT_EQ(out[8].reply, "");
  EXPECT_EQ(out[9].refusal, "");
  EXPECT_EQ(out[9].reply, Reply(ok, "9014", ""));
  ASSERT_EQ(Frames().size(), 1u);
  EXPECT_EQ(Frames()[0].segment, Segment(ok));

  // Every status upload is accepted and stored; a DataTime less than a day ahead is fine.
  for (const char* cn : {"2021", "2041", "2081", "2051", "2061", "2031"}) {
    Spec s;
    s.cn = cn;
    s.time = At(86400 - 60);
    s.items = std::string(cn) == "2021" ? "SB1-RS=1" : "a21026-Avg=50,a21026-Flag=N";
    hj212::Disposition d = SendOne(s);
    EXPECT_EQ(d.refusal, "") << cn;
    EXPECT_EQ(d.reply, Reply(s, "9014", "")) << cn;
  }
  EXPECT_EQ(Frames().size(), 7u);
}

TEST_P(EnvServiceTest, DuplicatesAreAcknowledgedButStoredOnce) {
  Spec a;
  a.items = So2(50, 60);
  Spec b = a;
  b.time = At(60);
  Spec older = a;
  older.time = At(-60);
  auto out = Send({a, a, b});
  for (const auto& d : out) EXPECT_EQ(d.refusal, "");
  EXPECT_EQ(out[1].reply, Reply(a, "9014", ""));
  EXPECT_EQ(Frames().size(), 2u);
  // Resent in a later batch: acknowledged, not stored. An older frame (what a logger buffered
  // during an outage, 补发) is new data.
  out = Send({a, b, older});
  for (const auto& d : out) EXPECT_EQ(d.refusal, "");
  EXPECT_EQ(out[2].reply, Reply(older, "9014", ""));
  EXPECT_EQ(Frames().size(), 3u);
  EXPECT_EQ(svc_->stats().duplicates, 3u);
  // Per command: a minute frame of the same time is new.
  Spec minute = a;
  minute.cn = "2051";
  minute.items = "a21026-Avg=50,a21026-Flag=N";
  EXPECT_EQ(SendOne(minute).refusal, "");
  EXPECT_EQ(Frames().size(), 4u);
  // Older than anything remembered after a restart (3 days back): checked in the store.
  Spec ancient = a;
  ancient.time = At(-3 * 86400);
  EXPECT_EQ(SendOne(ancient).refusal, "");
  EXPECT_EQ(Frames().size(), 5u);
  // What was stored stays known across a restart.
  Reopen();
  out = Send({a, b, minute, older, ancient});
  EXPECT_EQ(out[1].reply, Reply(b, "9014", ""));
  for (const auto& d : out) EXPECT_EQ(d.refusal, "");
  EXPECT_EQ(Frames().size(), 5u);
  EXPECT_EQ(svc_->stats().duplicates, 5u);
}

TEST_P(EnvServiceTest, SplitPacketsInheritDataTime) {
  Spec p1;
  p1.flag = hj212::MakeFlag(hj212::kVersion2017, true, true);
  p1.qn = "20250301100000555";
  p1.pnum = 2;
  p1.pno = 1;
  p1.time = At(300);
  p1.items = So2(50, 60);
  Spec p2 = p1;
  p2.pno = 2;
  p2.time = "";
  p2.items = "a34013-Rtd=12.5,a34013-Flag=N";
  // Another message without DataTime and a QN never seen: its received time.
  Spec lone = p2;
  lone.qn = "20250301100000777";
  lone.cn = "2051";
  auto out = Send({p1, p2, lone});
  for (const auto& d : out) EXPECT_EQ(d.refusal, "");
  EXPECT_EQ(out[1].reply, Reply(p2, "9014", ""));
  std::vector<store::EnvFrameRow> rows = Frames();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].data_time_s, t0_ + 30);  // `lone`: received now
  EXPECT_EQ(rows[0].cn, 2051);
  EXPECT_EQ(rows[1].data_time_s, t0_ + 300);
  EXPECT_EQ(rows[2].data_time_s, t0_ + 300);
  EXPECT_EQ(rows[2].segment, Segment(p2));
  // The second packet again is a duplicate (same DataTime, same PNO).
  EXPECT_EQ(SendOne(p2).refusal, "");
  EXPECT_EQ(Frames().size(), 3u);
}

// A minute average is stamped at the start of its minute, so it can arrive after the real-time
// value that raised an exceedance while being older: it must not end the exceedance.
TEST_P(EnvServiceTest, OlderValueWithinLimitDoesNotClearANewerExceedance) {
  const double limit = So2Limit();
  Spec rt;
  rt.time = At(60);
  rt.items = So2(limit, limit + 20);
  EXPECT_EQ(SendOne(rt).refusal, "");
  ASSERT_TRUE(ActiveAlarm(kAlarmExceedance).has_value());
  Spec minute;
  minute.cn = "2051";
  minute.time = At(0);
  minute.items = fmt::format("a21026-Avg={},a21026-ZsAvg={},a21026-Flag=N", limit - 20, limit - 15);
  EXPECT_EQ(SendOne(minute).refusal, "");
  ASSERT_TRUE(ActiveAlarm(kAlarmExceedance).has_value());
  EXPECT_EQ(ActiveAlarm(kAlarmExceedance)->cleared_s, 0);
  ASSERT_NE(StatusOf(svc_->Live({}), "E001.DA001"), nullptr);
  EXPECT_EQ(StatusOf(svc_->Live({}), "E001.DA001")->state, "exceeded");
  // The next real-time value within the limit ends it.
  rt.time = At(120);
  rt.items = So2(limit - 50, limit - 40);
  EXPECT_EQ(SendOne(rt).refusal, "");
  ASSERT_TRUE(ActiveAlarm(kAlarmExceedance).has_value());
  EXPECT_EQ(ActiveAlarm(kAlarmExceedance)->cleared_s, t0_ + 120);
  EXPECT_NE(StatusOf(svc_->Live({}), "E001.DA001")->state, "exceeded");
}

TEST_P(EnvServiceTest, ExceedanceAlarmLifecycle) {
  const double limit = So2Limit();
  ASSERT_GT(limit, 0);
  Spec s;
  s.items = So2(limit, limit + 100);
  const uint64_t v0 = svc_->alarms().version();
  EXPECT_EQ(SendOne(s).refusal, "");
  std::optional<store::AlarmRow> a = ActiveAlarm(kAlarmExceedance);
  ASSERT_TRUE(a.has_value());
  EXPECT_GT(svc_->alarms().version(), v0);
  EXPECT_EQ(a->state, "open");
  EXPECT_EQ(a->enterprise_code, enterprise_.code);
  EXPECT_EQ(a->zone_code, "Z1");
  EXPECT_EQ(a->officer, "张三");
  EXPECT_EQ(a->opened_s, t0_);
  EXPECT_EQ(a->occurrences, 1);
  EXPECT_DOUBLE_EQ(a->value, limit + 100);
  EXPECT_DOUBLE_EQ(a->limit, limit);
  EXPECT_EQ(a->unit, "mg/m3");
  EXPECT_NE(a->detail.find("二氧化硫"), std::string::npos) << a->detail;
  EXPECT_NE(a->detail.find("mg/m³"), std::string::npos) << a->detail;
  EXPECT_NE(a->detail.find("SO2"), std::string::npos) << a->detail;
  EnvStats stats = svc_->stats();
  EXPECT_EQ(stats.alarms_raised, 1u);
  EXPECT_EQ(stats.alarm_latencies, 1u);

  // Repeated: the same alarm, updated and persisted with the batch.
  s.time = At(60);
  s.items = So2(limit, limit + 150);
  now_ = t0_ + 90;
  SendOne(s);
  auto stored = engine_->store().GetAlarm(a->id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->occurrences, 2);
  EXPECT_EQ((*stored)->last_s, t0_ + 60);
  EXPECT_DOUBLE_EQ((*stored)->value, limit + 150);
  EXPECT_EQ(svc_->alarms().Active().size(), 1u);
  EXPECT_EQ(svc_->stats().alarms_raised, 1u);
  std::vector<SourceStatus> live = svc_->Live({});
  ASSERT_NE(StatusOf(live, "E001.DA001"), nullptr);
  EXPECT_EQ(StatusOf(live, "E001.DA001")->state, "exceeded");
  EXPECT_EQ(StatusOf(live, "E001.DA001")->active_alarms, 1);

  // A valid value within the limit ends the condition; the alarm stays until closed.
  s.time = At(120);
  s.items = So2(limit / 2, limit / 2);
  SendOne(s);
  a = ActiveAlarm(kAlarmExceedance);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->cleared_s, t0_ + 120);
  EXPECT_EQ(StatusOf(svc_->Live({}), "E001.DA001")->state, "normal");

  auto acked = svc_->alarms().Acknowledge(a->id, "zhangsan", now_);
  ASSERT_TRUE(acked.ok());
  EXPECT_EQ(acked->state, "acknowledged");
  EXPECT_EQ(svc_->alarms().Close(a->id, "zhangsan", "", now_).error().code(),
            StatusCode::kInvalidArgument);
  auto closed =
      svc_->alarms().Close(a->id, "zhangsan", "锅炉脱硫塔检修 / desulphuriser repaired", now_);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->state, "closed");
  EXPECT_EQ(closed->note, "锅炉脱硫塔检修 / desulphuriser repaired");
  EXPECT_FALSE(ActiveAlarm(kAlarmExceedance).has_value());

  // A new occurrence after the close: a new alarm.
  s.time = At(180);
  s.items = So2(limit, limit + 10);
  SendOne(s);
  std::optional<store::AlarmRow> next = ActiveAlarm(kAlarmExceedance);
  ASSERT_TRUE(next.has_value());
  EXPECT_NE(next->id, a->id);
  EXPECT_EQ(next->occurrences, 1);
  EXPECT_EQ(svc_->stats().alarms_raised, 2u);

  // Wastewater: the permit limit of the outfall, routed the same way.
  Spec w;
  w.mn = "MN0002";
  w.pw = "654321";
  w.items = "w01018-Rtd=130,w01018-Flag=N";
  EXPECT_EQ(SendOne(w).refusal, "");
  std::optional<store::AlarmRow> cod = ActiveAlarm(kAlarmExceedance, "E001.DW001", "w01018");
  ASSERT_TRUE(cod.has_value());
  EXPECT_DOUBLE_EQ(cod->limit, 100);
  EXPECT_EQ(cod->unit, "mg/L");
  EXPECT_EQ(cod->officer, "张三");
}

TEST_P(EnvServiceTest, DeviceFaultRaisedAndClearedOnRecovery) {
  Spec s;
  s.items = So2(0, 0, 'D');
  SendOne(s);
  std::optional<store::AlarmRow> a = ActiveAlarm(kAlarmDeviceFault);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->cleared_s, 0);
  EXPECT_NE(a->detail.find("D"), std::string::npos);
  EXPECT_EQ(StatusOf(svc_->Live({}), "E001.DA001")->state, "fault");
  s.time = At(60);
  s.items = So2(50, 60);
  SendOne(s);
  a = ActiveAlarm(kAlarmDeviceFault);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->cleared_s, t0_ + 60);
  EXPECT_EQ(StatusOf(svc_->Live({}), "E001.DA001")->state, "normal");
}

TEST_P(EnvServiceTest, DataLossRaisedByTickAndClearedWhenDataReturns) {
  const int64_t after = Stack().DataLossAfter();
  ASSERT_EQ(after, 600);
  now_ = t0_ + 40;
  Spec s;
  s.items = So2(50, 60);
  SendOne(s);  // received at t0 + 40
  now_ = t0_ + 40 + after;
  svc_->Tick();
  EXPECT_FALSE(ActiveAlarm(kAlarmDataLoss, "E001.DA001", "").has_value());
  now_ = t0_ + 41 + after;
  svc_->Tick();
  std::optional<store::AlarmRow> loss = ActiveAlarm(kAlarmDataLoss, "E001.DA001", "");
  ASSERT_TRUE(loss.has_value());
  EXPECT_DOUBLE_EQ(loss->value, after + 1);
  EXPECT_EQ(loss->officer, "张三");
  EXPECT_EQ(loss->opened_s, t0_ + 41 + after);
  // The outfall never sent anything, but the service has run longer than its threshold (it
  // opened at t0 + 30).
  EXPECT_TRUE(ActiveAlarm(kAlarmDataLoss, "E001.DW001", "").has_value());
  std::vector<SourceStatus> live = svc_->Live({});
  EXPECT_EQ(StatusOf(live, "E001.DA001")->state, "offline");
  EXPECT_EQ(StatusOf(live, "E001.DA001")->last_received_ms, (t0_ + 40) * 1000);

  // The silence goes on: one occurrence, its length updated once a minute.
  now_ = now_ + 30;
  svc_->Tick();
  EXPECT_DOUBLE_EQ(ActiveAlarm(kAlarmDataLoss, "E001.DA001", "")->value, after + 1);
  now_ = now_ + 31;
  svc_->Tick();
  loss = ActiveAlarm(kAlarmDataLoss, "E001.DA001", "");
  EXPECT_DOUBLE_EQ(loss->value, after + 62);
  EXPECT_EQ(loss->occurrences, 1);
  auto stored = engine_->store().GetAlarm(loss->id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_DOUBLE_EQ((*stored)->value, after + 62);  // persisted by Tick

  // Data returns.
  now_ = now_ + 5;
  s.time = At(after + 100);
  SendOne(s);
  loss = ActiveAlarm(kAlarmDataLoss, "E001.DA001", "");
  ASSERT_TRUE(loss.has_value());
  EXPECT_EQ(loss->cleared_s, now_.load());
  EXPECT_EQ(StatusOf(svc_->Live({}), "E001.DA001")->state, "normal");
  // A later silence after the alarm was closed is a new alarm.
  ASSERT_TRUE(svc_->alarms().Close(loss->id, "u", "恢复 / back", now_).ok());
  now_ = now_ + after + 1;
  svc_->Tick();
  std::optional<store::AlarmRow> again = ActiveAlarm(kAlarmDataLoss, "E001.DA001", "");
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(again->id, loss->id);
}

TEST_P(EnvServiceTest, AlarmsAndLiveValuesSurviveReopen) {
  const double limit = So2Limit();
  Spec s;
  s.items = So2(limit, limit + 100);
  SendOne(s);
  ASSERT_TRUE(ActiveAlarm(kAlarmExceedance).has_value());
  const int64_t id = ActiveAlarm(kAlarmExceedance)->id;
  s.time = At(60);
  s.items = So2(limit, limit + 120);
  now_ = t0_ + 70;
  SendOne(s);
  Reopen();
  std::optional<store::AlarmRow> a = ActiveAlarm(kAlarmExceedance);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->id, id);
  EXPECT_EQ(a->occurrences, 2);
  // The open hour's frames were replayed: the live values are back.
  const std::vector<SourceStatus> live = svc_->Live({});
  const SourceStatus* st = StatusOf(live, "E001.DA001");
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->last_received_ms, (t0_ + 70) * 1000);
  EXPECT_EQ(st->state, "exceeded");
  ASSERT_FALSE(st->values.empty());
  const LiveValue* so2 = nullptr;
  for (const LiveValue& v : st->values) {
    if (v.pollutant == "a21026") so2 = &v;
  }
  ASSERT_NE(so2, nullptr);
  EXPECT_EQ(so2->time_s, t0_ + 60);
  EXPECT_DOUBLE_EQ(so2->zs, limit + 120);
  EXPECT_TRUE(so2->exceeded);
  EXPECT_EQ(so2->unit, "mg/m3");
  EXPECT_FALSE(so2->limit_basis.empty());
  // Still the same alarm after the restart, and a valid value clears it.
  s.time = At(120);
  now_ = t0_ + 130;
  s.items = So2(limit, limit + 130);
  SendOne(s);
  EXPECT_EQ(ActiveAlarm(kAlarmExceedance)->id, id);
  EXPECT_EQ(ActiveAlarm(kAlarmExceedance)->occurrences, 3);
  s.time = At(180);
  s.items = So2(10, 10);
  SendOne(s);
  EXPECT_EQ(ActiveAlarm(kAlarmExceedance)->cleared_s, t0_ + 180);
}

TEST_P(EnvServiceTest, WaitForChangesWakesOnAnAlarm) {
  const uint64_t v0 = svc_->alarms().version();
  std::vector<store::AlarmRow> changed;
  bool gap = false;
  std::thread sender([&] {
    std::this_thread::sleep_for(milliseconds(50));
    Spec s;
    s.items = So2(0, 0, 'D');
    SendOne(s);
  });
  uint64_t v1 = svc_->alarms().WaitForChanges(v0, milliseconds(10000), &changed, &gap);
  sender.join();
  EXPECT_GT(v1, v0);
  EXPECT_FALSE(gap);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].kind, "device_fault");
}

TEST_P(EnvServiceTest, HistoryFromHoursAndMinuteFrames) {
  for (int m = 0; m < 5; ++m) {
    Spec s;
    s.cn = "2051";
    s.time = At(m * 60);
    s.items =
        fmt::format("a21026-Avg={},a21026-ZsAvg={},a21026-Flag=N;a19001-Avg=10.5,a19001-Flag=N",
                    40 + m, 50 + m);
    now_ = t0_ + m * 60 + 65;
    EXPECT_EQ(SendOne(s).refusal, "");
    Spec rt = s;
    rt.cn = "2011";
    rt.items = So2(30, 35);
    SendOne(rt);
  }
  // Data of the next hour (of both kinds the hour holds) closes this one.
  Spec next;
  next.cn = "2051";
  next.time = At(3600);
  next.items = "a21026-Avg=41,a21026-ZsAvg=51,a21026-Flag=N";
  now_ = t0_ + 3665;
  Spec next_rt = next;
  next_rt.cn = "2011";
  next_rt.items = So2(30, 35);
  Send({next, next_rt});

  auto h = svc_->SourceHistory("E001.DA001", "a21026", t0_, t0_ + 3600);
  ASSERT_TRUE(h.ok()) << h.error().ToString();
  ASSERT_EQ(h->points.size(), 5u);  // minute data, not the real-time frames
  for (int m = 0; m < 5; ++m) {
    EXPECT_EQ(h->points[m].time_s, t0_ + m * 60);
    EXPECT_EQ(h->points[m].cn, 2051);
    EXPECT_DOUBLE_EQ(h->points[m].value, 40 + m);
    EXPECT_DOUBLE_EQ(h->points[m].zs, 50 + m);
    EXPECT_EQ(h->points[m].flag, "N");
  }
  ASSERT_EQ(h->hours.size(), 1u);
  EXPECT_EQ(h->hours[0].hour_s, t0_);
  EXPECT_EQ(h->hours[0].samples, 5);
  EXPECT_DOUBLE_EQ(h->hours[0].avg, 42);
  ASSERT_TRUE(h->limit.has_value());
  EXPECT_DOUBLE_EQ(h->limit->value, So2Limit());
  EXPECT_GE(svc_->stats().hours_closed, 1u);

  // Without minute data, the real-time values.
  for (int i = 0; i < 3; ++i) {
    Spec w;
    w.mn = "MN0002";
    w.pw = "654321";
    w.time = At(i * 30);
    w.items = fmt::format("w01018-Rtd={},w01018-Flag=N", 20 + i);
    SendOne(w);
  }
  h = svc_->SourceHistory("E001.DW001", "w01018", t0_, t0_ + 3600);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->points.size(), 3u);
  EXPECT_EQ(h->points[2].cn, 2011);
  EXPECT_DOUBLE_EQ(h->points[2].value, 22);
  EXPECT_DOUBLE_EQ(h->limit->value, 100);

  EXPECT_EQ(svc_->SourceHistory("NOPE", "a21026", t0_, t0_ + 60).error().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(svc_->SourceHistory("E001.DA001", "x99999", t0_, t0_ + 60).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(svc_->SourceHistory("E001.DA001", "a21026", t0_, t0_ + 32 * 86400).error().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(EnvServiceTest, TickClosesHoursAfterTheGrace) {
  Spec s;
  s.items = So2(50, 60);
  SendOne(s);
  now_ = t0_ + 3600 + 599;
  svc_->Tick();
  std::vector<store::EnvHourRow> hours;
  auto read = [&] {
    hours.clear();
    ASSERT_TRUE(engine_->store()
                    .ReadEnvHours("E001.DA001", "a21026", 0, INT64_MAX / 2,
                                  [&](const store::EnvHourRow& r) { hours.push_back(r); })
                    .ok());
  };
  read();
  EXPECT_TRUE(hours.empty());
  now_ = t0_ + 3600 + 600;
  svc_->Tick();
  read();
  ASSERT_EQ(hours.size(), 1u);
  EXPECT_EQ(hours[0].hour_s, t0_);
  EXPECT_EQ(hours[0].origin, "computed");
  EXPECT_GE(svc_->stats().hours_closed, 1u);
}

// A source registered while the service runs: its silence counts from its registration, not
// from the service's start.
TEST_P(EnvServiceTest, SourceAddedLaterIsNotMissingDataAtOnce) {
  SourceRegistry reg = svc_->Sources();
  Source extra = reg.sources[0];
  extra.code = "E001.DA002";
  extra.mn = "MN0003";
  now_ = t0_ + 86400;
  reg.sources.push_back(extra);
  ASSERT_TRUE(svc_->PutSources(reg).ok());
  svc_->Tick();
  EXPECT_TRUE(ActiveAlarm(kAlarmDataLoss, "E001.DA001", "").has_value());  // silent all day
  EXPECT_FALSE(ActiveAlarm(kAlarmDataLoss, "E001.DA002", "").has_value());
  now_ += extra.DataLossAfter() + 1;
  svc_->Tick();
  EXPECT_TRUE(ActiveAlarm(kAlarmDataLoss, "E001.DA002", "").has_value());
}

// A logger back from an outage sends its live data and then what it buffered (补发): the late
// hours are recomputed from the stored frames, not left with their first minute only.
TEST_P(EnvServiceTest, LateHoursAreRecomputedFromTheStoredFrames) {
  now_ = t0_ + 4 * 3600;
  Spec live;
  live.cn = "2051";
  live.time = At(4 * 3600);
  live.items = "a21026-Avg=100,a21026-Flag=N";
  EXPECT_EQ(SendOne(live).refusal, "");
  std::vector<Spec> buffered;
  for (int m = 0; m < 60; ++m) {
    Spec b = live;
    b.time = At(m * 60);
    b.items = fmt::format("a21026-Avg={},a21026-Flag=N", 100 + m);
    buffered.push_back(b);
  }
  for (const auto& d : Send(buffered)) EXPECT_EQ(d.refusal, "");
  now_ += 1;
  svc_->Tick();  // frames of the hour still coming: not yet
  now_ += 5;
  svc_->Tick();
  std::vector<store::EnvHourRow> rows;
  ASSERT_TRUE(engine_->store()
                  .ReadEnvHours("E001.DA001", "a21026", t0_, t0_ + 3600,
                                [&](const store::EnvHourRow& r) { rows.push_back(r); })
                  .ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].samples, 60);
  EXPECT_DOUBLE_EQ(rows[0].avg, 129.5);
}

TEST_P(EnvServiceTest, PutSourcesReplacesTheRegistry) {
  SourceRegistry reg = svc_->Sources();
  ASSERT_EQ(reg.sources.size(), 2u);
  // The outfall moves to the other enterprise; the stack's logger gets a new password.
  auto edited = SourcesFromJson(
      R"({"sources":[{"code":"E001.DA001","enterprise":")" + enterprise_.code +
          R"(","kind":"stack","mn":"MN0001","password":"abc","fuel":"gas","boiler_class":"new",
          "pollutants":["a21026","a19001"]}]})",
      &reg);
  ASSERT_TRUE(edited.ok()) << edited.error().ToString();
  ASSERT_TRUE(svc_->PutSources(*edited).ok());
  EXPECT_EQ(svc_->Sources(), *edited);
  Spec s;
  s.items = So2(50, 60);
  EXPECT_EQ(SendOne(s).refusal, "bad_password");
  s.pw = "abc";
  EXPECT_EQ(SendOne(s).refusal, "");
  Spec w;
  w.mn = "MN0002";
  w.pw = "654321";
  w.items = "w01018-Rtd=20,w01018-Flag=N";
  EXPECT_EQ(SendOne(w).refusal, "unknown_mn");
  // Invalid: an unknown enterprise.
  SourceRegistry bad = *edited;
  bad.sources[0].enterprise_code = "91210100MA00000099";
  EXPECT_FALSE(svc_->PutSources(bad).ok());
  // Kept in the setting: a new service loads it.
  Reopen();
  EXPECT_EQ(svc_->Sources(), *edited);
  s.time = At(60);
  EXPECT_EQ(SendOne(s).refusal, "");
}

TEST_P(EnvServiceTest, LiveIsScopedByEnterprise) {
  Spec s;
  s.items = So2(50, 60);
  SendOne(s);
  std::vector<SourceStatus> all = svc_->Live({});
  ASSERT_EQ(all.size(), 2u);
  const SourceStatus* st = StatusOf(all, "E001.DA001");
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->source.password_sha256, "");
  EXPECT_EQ(st->enterprise_name, enterprise_.name);
  EXPECT_EQ(st->zone_code, "Z1");
  EXPECT_EQ(st->officer, "张三");
  EXPECT_EQ(st->state, "normal");
  EXPECT_EQ(StatusOf(all, "E001.DW001")->state, "no_data");
  // Values in the source's pollutant order, only those received.
  ASSERT_EQ(st->values.size(), 2u);
  EXPECT_EQ(st->values[0].pollutant, "a21026");
  EXPECT_EQ(st->values[0].name_zh, "二氧化硫");
  EXPECT_EQ(st->values[0].cn, 2011);
  EXPECT_DOUBLE_EQ(st->values[0].value, 50);
  EXPECT_DOUBLE_EQ(st->values[0].zs, 60);
  EXPECT_EQ(st->values[0].flag, "N");
  EXPECT_TRUE(st->values[0].valid);
  EXPECT_EQ(st->values[1].pollutant, "a19001");
  std::vector<std::string> other{other_.code};
  EXPECT_TRUE(svc_->Live(other).empty());
  std::vector<std::string> mine{enterprise_.code};
  EXPECT_EQ(svc_->Live(mine).size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Stores, EnvServiceTest, ::testing::Values("memory", "sqlite"));

// --- end to end through the HJ 212 TCP server, with the real clock and the tick thread.

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads until `frames` CR LF-terminated frames have arrived or 5 s passed.
std::string ReadFrames(int fd, int frames) {
  std::string got;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto count = [&] {
    int n = 0;
    for (size_t at = got.find("\r\n"); at != std::string::npos; at = got.find("\r\n", at + 2)) ++n;
    return n;
  };
  while (count() < frames && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

TEST(EnvServiceEndToEndTest, LoggerOverTcp) {
  const std::string name = "env_service_e2e";
  store::DropMemoryStore(name);
  auto engine = engine::OpenTestEngine("memory:" + name);
  ASSERT_TRUE(engine.ok());
  model::Enterprise e = MakeEnterprise("91210100MA0000001", "Z1");
  ASSERT_TRUE((*engine)->ImportRegistry({{0, "Z1", "网格一", "张三", ""}}, {e}, {}).ok());
  auto registry = SourcesFromJson(SourcesJson(e.code), nullptr);
  ASSERT_TRUE(registry.ok());
  ASSERT_TRUE((*engine)->PutSetting(kSettingSources, SourcesToJson(*registry, true)).ok());
  auto svc = EnvService::Open(**engine);
  ASSERT_TRUE(svc.ok()) << svc.error().ToString();
  EXPECT_EQ((*svc)->hj212_port(), 0);
  ASSERT_TRUE((*svc)->Listen(hj212::ServerOptions{}).ok());
  const int port = (*svc)->hj212_port();
  ASSERT_GT(port, 0);
  EXPECT_FALSE((*svc)->Listen(hj212::ServerOptions{}).ok());  // once only

  const TimeZone zone = (*engine)->zone();
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  Spec a;
  a.time.clear();
  hj212::AppendDataTime(SecondsToCivil(zone.ToLocal(now - 60)), &a.time);
  a.items = So2(50, 60);
  Spec b = a;
  b.time.clear();
  hj212::AppendDataTime(SecondsToCivil(zone.ToLocal(now)), &b.time);
  Spec stranger = a;
  stranger.mn = "MN9999";
  std::string bytes;
  for (const Spec* s : {&a, &b, &a, &stranger}) bytes += hj212::BuildFrame(Segment(*s)).value();

  int fd = Connect(port);
  ASSERT_GE(fd, 0);
  // In two writes, cut inside a frame.
  const size_t cut = bytes.size() / 2 + 7;
  ASSERT_EQ(send(fd, bytes.data(), cut, 0), static_cast<ssize_t>(cut));
  std::this_thread::sleep_for(milliseconds(20));
  ASSERT_EQ(send(fd, bytes.data() + cut, bytes.size() - cut, 0),
            static_cast<ssize_t>(bytes.size() - cut));
  std::string replies = ReadFrames(fd, 4);
  close(fd);
  EXPECT_EQ(replies, Reply(a, "9014", "") + Reply(b, "9014", "") + Reply(a, "9014", "") +
                         Reply(stranger, "9011", "QnRtn=4"));

  std::vector<store::EnvFrameRow> rows;
  ASSERT_TRUE((*engine)
                  ->store()
                  .ReadEnvFrames("E001.DA001", 0, 0, INT64_MAX / 2, 0,
                                 [&](const store::EnvFrameRow& r) { rows.push_back(r); })
                  .ok());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].segment, Segment(a));
  EXPECT_EQ(rows[0].data_time_s, now - 60);
  EXPECT_EQ(rows[1].segment, Segment(b));
  std::optional<hj212::ServerStats> stats = (*svc)->hj212_stats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->frames_received, 4u);
  EXPECT_EQ(stats->frames_accepted, 3u);
  EXPECT_EQ(stats->refused["unknown_mn"], 1u);
  EXPECT_EQ((*svc)->stats().duplicates, 1u);
  const SourceStatus* st = nullptr;
  std::vector<SourceStatus> live = (*svc)->Live({});
  for (const SourceStatus& s : live) {
    if (s.source.code == "E001.DA001") st = &s;
  }
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->state, "normal");
  (*svc)->Stop();
  EXPECT_EQ((*svc)->hj212_port(), 0);
  (*svc)->Stop();  // idempotent
  svc->reset();
  engine->reset();
  store::DropMemoryStore(name);
}

}  // namespace
}  // namespace zp::environment
