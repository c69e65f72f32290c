// The Store conformance suite: one TEST_P suite run against every backend, plus the checks that
// only make sense for one backend (SQLite schema versions and crash durability, memory names).

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "src/store/sqlite/segment_log.h"
#include "src/store/sqlite/sqlite_store.h"
#include "zp/store/store.h"
#include "zp/units/units.h"

namespace zp::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

// ---- fixtures and builders.

std::string MakeTempDir() {
  std::string tmpl = ::testing::TempDir() + "zp-store-XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  EXPECT_NE(dir, nullptr);
  return tmpl;
}

model::Zone MakeZone(std::string code, std::string name = "第一网格") {
  model::Zone z;
  z.code = std::move(code);
  z.name = std::move(name);
  z.officer = "王芳";
  z.officer_contact = "+86 24 1234 5678";
  return z;
}

model::Enterprise MakeEnterprise(std::string code) {
  model::Enterprise e;
  e.code = std::move(code);
  e.name = "沈阳某某机械制造有限公司";
  e.industry_code = "C3670";
  e.land_area_mu = 123.25;
  e.zone_code = "Z01";
  e.key_energy_user = true;
  return e;
}

model::Meter MakeMeter(std::string code) {
  model::Meter m;
  m.code = std::move(code);
  m.name = "1号变压器总表";
  m.enterprise_code = "91210106MA0XXXXX1X";
  m.carrier = units::Carrier::kNaturalGas;
  m.unit = "Nm3";
  m.kind = model::MeterKind::kCumulative;
  m.flow = model::MeterFlow::kGeneration;
  m.interval_s = 3600;
  m.register_digits = 8;
  m.multiplier = 0.5;
  m.parent_code = "MAIN";
  m.formula = "+A-B";
  return m;
}

Chunk MakeChunk(int64_t series_id, int32_t day, std::string data, double sum = 1.5,
                int32_t resolution_s = 0) {
  Chunk c;
  c.series_id = series_id;
  c.day = day;
  c.resolution_s = resolution_s;
  c.data = std::move(data);
  c.count = static_cast<int32_t>(c.data.size());
  c.sum = sum;
  c.flagged = day % 3;
  c.suspect_zero = day % 5;
  return c;
}

Chunk Rollup(Chunk c) {
  c.data.clear();
  return c;
}

std::vector<std::tuple<int64_t, std::string>> ReadAllLog(Store& store) {
  std::vector<std::tuple<int64_t, std::string>> out;
  Status s = store.ReadLog([&](int64_t seq, std::string_view payload) {
    out.emplace_back(seq, std::string(payload));
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::vector<Chunk> Rollups(Store& store, std::vector<int64_t> ids, int32_t from, int32_t to) {
  std::vector<Chunk> out;
  Status s = store.ReadDailyRollups(ids, from, to, [&](const Chunk& c) { out.push_back(c); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::vector<MonthSum> Months(Store& store, std::vector<int64_t> ids, int32_t from, int32_t to) {
  std::vector<MonthSum> out;
  Status s = store.ReadMonthSums(ids, from, to, [&](const MonthSum& m) { out.push_back(m); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

model::EnterpriseDatum MakeDatum(std::string enterprise, std::string indicator, int32_t month,
                                 double value, std::string item = "") {
  model::EnterpriseDatum d;
  d.enterprise_code = std::move(enterprise);
  d.indicator = std::move(indicator);
  d.item = std::move(item);
  d.period = {2025, month};
  d.value = value;
  d.unit = "10k CNY";
  d.source = "zeropark economic import 经济.csv line 2";
  d.note = "快报, \"初值\"\n第二行";
  d.recorded_s = 1740787200 + month;
  return d;
}

std::vector<model::EnterpriseDatum> EnterpriseData(Store& store, std::string_view enterprise = "",
                                                   std::string_view indicator = "") {
  std::vector<model::EnterpriseDatum> out;
  Status s = store.ReadEnterpriseData(enterprise, indicator,
                                      [&](const model::EnterpriseDatum& d) { out.push_back(d); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// Rows as the store returns them: with the given seq.
model::EnterpriseDatum WithSeq(model::EnterpriseDatum d, int64_t seq) {
  d.seq = seq;
  return d;
}

std::vector<Chunk> Chunks(Store& store, int64_t series_id, int32_t from, int32_t to) {
  std::vector<Chunk> out;
  Status s = store.ReadChunks(series_id, from, to, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

UserRow MakeUser(std::string username, std::string role = "analyst") {
  UserRow u;
  u.username = std::move(username);
  u.display_name = "张伟 Zhang Wei";
  u.role = std::move(role);
  u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  u.enterprise_code = u.role == "enterprise" ? "91210106MA0XXXXX1X" : "";
  u.zones = u.role == "officer" ? "Z01,Z02" : "";
  u.created_s = 1767225600;
  return u;
}

CredentialRow MakeCredential(int64_t user_id, std::string secret_hash, std::string kind = "api") {
  CredentialRow c;
  c.user_id = user_id;
  c.kind = std::move(kind);
  c.secret_hash = std::move(secret_hash);
  c.csrf_hash = c.kind == "session" ? std::string(64, 'c') : "";
  c.name = "telegraf 网关";
  c.meters = c.kind == "device" ? "E001.EL.MAIN,E001.GAS" : "";
  c.created_s = 1767225600;
  c.expires_s = c.kind == "api" ? 0 : 1767254400;
  return c;
}

AuditRow MakeAudit(int64_t ts_s, std::string actor, std::string target) {
  AuditRow a;
  a.ts_s = ts_s;
  a.actor = std::move(actor);
  a.role = "admin";
  a.action = "PUT /api/v1/meters/{code}";
  a.target = std::move(target);
  a.before_json = R"({"multiplier":1})";
  a.after_json = R"({"multiplier":80,"name":"总表"})";
  a.remote = "127.0.0.1";
  a.status = 200;
  return a;
}

std::vector<AuditRow> Audit(Store& store, int64_t from_seq = 0, int64_t limit = 0,
                            std::string_view actor = "", std::string_view target_prefix = "") {
  std::vector<AuditRow> out;
  Status s = store.ReadAudit(from_seq, limit, actor, target_prefix,
                             [&](const AuditRow& a) { out.push_back(a); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

template <typename Row>
Row WithId(Row r, int64_t id) {
  r.id = id;
  return r;
}

AuditRow WithAuditSeq(AuditRow a, int64_t seq) {
  a.seq = seq;
  return a;
}

// A ledger row; the store keeps the hashes as given (zp::green computes and checks them).
LedgerRow MakeLedgerRow(int64_t seq, std::string kind = "issuance") {
  LedgerRow r;
  r.seq = seq;
  r.time_s = 1767225600 + seq;
  r.kind = std::move(kind);
  r.actor = "王芳";
  r.fields_json = "{\"device\":\"PV01\",\"wh\":" + std::to_string(seq * 1000) + "}";
  r.prev_hash = std::string(64, seq == 1 ? '0' : static_cast<char>('a' + (seq - 1) % 6));
  r.hash = std::string(64, static_cast<char>('a' + seq % 6));
  return r;
}

std::vector<LedgerRow> Ledger(Store& store, int64_t from_seq = 0, int64_t limit = 0) {
  std::vector<LedgerRow> out;
  Status s = store.ReadLedger(from_seq, limit, [&](const LedgerRow& r) { out.push_back(r); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// An HJ 212 data frame as the environment service stores it.
EnvFrameRow MakeFrame(std::string source, int32_t cn, int64_t data_time_s, int i = 0) {
  EnvFrameRow f;
  f.received_ms = (data_time_s + 7) * 1000 + i;
  f.mn = "MN" + source;
  f.source = std::move(source);
  f.cn = cn;
  f.data_time_s = data_time_s;
  f.segment = fmt::format(
      "QN=20260101080000{:03d};ST=31;CN={};PW=123456;MN={};Flag=5;CP=&&DataTime=20260101080000;"
      "a21026-Rtd={}.5,a21026-ZsRtd=40.1,a21026-Flag=N;a34013-Rtd=9.1,a34013-Flag=D&&",
      i % 1000, cn, f.mn, i);
  return f;
}

std::vector<EnvFrameRow> Frames(Store& store, std::string_view source = "", int32_t cn = 0,
                                int64_t from_s = std::numeric_limits<int64_t>::min(),
                                int64_t to_s = std::numeric_limits<int64_t>::max(),
                                int64_t limit = 0) {
  std::vector<EnvFrameRow> out;
  Status s = store.ReadEnvFrames(source, cn, from_s, to_s, limit,
                                 [&](const EnvFrameRow& f) { out.push_back(f); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

EnvFrameRow WithFrameSeq(EnvFrameRow f, int64_t seq) {
  f.seq = seq;
  return f;
}

EnvHourRow MakeHour(std::string source, std::string pollutant, int64_t hour_s, double avg = 35.5) {
  EnvHourRow h;
  h.source = std::move(source);
  h.pollutant = std::move(pollutant);
  h.hour_s = hour_s;
  h.avg = avg;
  h.zs_avg = avg * 1.25;
  h.min = avg - 3;
  h.max = avg + 4.75;
  h.load_kg = 0.125;
  h.samples = 60;
  h.valid = 58;
  h.expected = 60;
  h.flag = "N";
  h.limit = 50;
  h.exceeded = h.zs_avg > h.limit;
  h.origin = "computed";
  return h;
}

std::vector<EnvHourRow> Hours(Store& store, std::string_view source = "",
                              std::string_view pollutant = "",
                              int64_t from_s = std::numeric_limits<int64_t>::min(),
                              int64_t to_s = std::numeric_limits<int64_t>::max()) {
  std::vector<EnvHourRow> out;
  Status s = store.ReadEnvHours(source, pollutant, from_s, to_s,
                                [&](const EnvHourRow& h) { out.push_back(h); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

AlarmRow MakeAlarm(std::string kind, std::string state, std::string enterprise, std::string zone,
                   std::string source, std::string pollutant, int64_t opened_s, int64_t last_s) {
  AlarmRow a;
  a.kind = std::move(kind);
  a.state = std::move(state);
  a.enterprise_code = std::move(enterprise);
  a.zone_code = std::move(zone);
  a.officer = "王芳";
  a.source = std::move(source);
  a.pollutant = std::move(pollutant);
  a.opened_s = opened_s;
  a.last_s = last_s;
  a.occurrences = 3;
  a.value = 412.3;
  a.limit = 400;
  a.unit = "mg/m3";
  a.detail =
      "二氧化硫 折算浓度 412.3 mg/m³ 超过限值 400 (GB 13271-2014 表1 在用锅炉 燃煤) / SO2 "
      "corrected "
      "412.3 mg/m³ above limit 400";
  if (a.state != "open") {
    a.acknowledged_by = "wangfang";
    a.acknowledged_s = last_s + 60;
  }
  if (a.state == "closed") {
    a.cleared_s = last_s + 30;
    a.closed_by = "wangfang";
    a.closed_s = last_s + 120;
    a.note = "已整改, \"脱硫塔\" 恢复运行";
  }
  return a;
}

std::vector<AlarmRow> Alarms(Store& store, const AlarmFilter& filter = {}) {
  std::vector<AlarmRow> out;
  Status s = store.ListAlarms(filter, [&](const AlarmRow& a) { out.push_back(a); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::vector<int64_t> AlarmIds(const std::vector<AlarmRow>& alarms) {
  std::vector<int64_t> out;
  for (const AlarmRow& a : alarms) out.push_back(a.id);
  return out;
}

class StoreConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    if (GetParam() == "memory") {
      memory_name_ = "conformance-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
      url_ = "memory:" + memory_name_;
    } else {
      dir_ = MakeTempDir();
      url_ = "sqlite:" + dir_ + "/park.zpdb";
    }
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    if (!memory_name_.empty()) DropMemoryStore(memory_name_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  // Closes the store and opens the same one again (same file, or same memory name).
  void Reopen() {
    store_.reset();
    auto opened = OpenStore(url_);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    store_ = std::move(*opened);
  }
  Store& store() { return *store_; }

  std::string url_;
  std::string memory_name_;
  std::string dir_;
  std::unique_ptr<Store> store_;
};

// ---- backend and park.

TEST_P(StoreConformanceTest, ReportsItsBackend) {
  EXPECT_EQ(store().backend(), GetParam());
  if (GetParam() == "memory") {
    EXPECT_EQ(store().DiskBytes(), 0);
  } else {
    EXPECT_GT(store().DiskBytes(), 0);
  }
}

TEST_P(StoreConformanceTest, ParkIsAbsentThenPutAndReplaced) {
  auto none = store().GetPark();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  model::Park park{"沈阳经济技术开发区", "辽宁", "Asia/Shanghai", "northeast", 90};
  ASSERT_TRUE(store().PutPark(park).ok());
  auto got = store().GetPark();
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, park);

  park.raw_retention_days = 0;
  park.name = "Renamed";
  ASSERT_TRUE(store().PutPark(park).ok());
  EXPECT_EQ(**store().GetPark(), park);
}

// ---- registry.

TEST_P(StoreConformanceTest, ZoneCrud) {
  auto id1 = store().InsertZone(MakeZone("Z01"));
  auto id2 = store().InsertZone(MakeZone("Z02", "第二网格"));
  ASSERT_TRUE(id1.ok() && id2.ok());
  EXPECT_GT(*id1, 0);
  EXPECT_NE(*id1, *id2);

  auto dup = store().InsertZone(MakeZone("Z01", "other"));
  EXPECT_EQ(dup.error().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(dup.error().message(), HasSubstr("Z01"));

  model::Zone z1 = MakeZone("Z01");
  z1.id = *id1;
  model::Zone z2 = MakeZone("Z02", "第二网格");
  z2.id = *id2;
  EXPECT_THAT(*store().ListZones(), ElementsAre(z1, z2));

  model::Zone changed = MakeZone("Z01", "新名字");
  changed.officer = "李雷";
  changed.id = 999;  // ignored: rows are addressed by code
  ASSERT_TRUE(store().UpdateZone(changed).ok());
  changed.id = *id1;
  EXPECT_THAT(*store().ListZones(), ElementsAre(changed, z2));

  EXPECT_EQ(store().UpdateZone(MakeZone("Z99")).code(), StatusCode::kNotFound);
  EXPECT_EQ(store().DeleteZone("Z99").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store().DeleteZone("Z01").ok());
  EXPECT_EQ(store().DeleteZone("Z01").code(), StatusCode::kNotFound);
  EXPECT_THAT(*store().ListZones(), ElementsAre(z2));

  // Ids are never reused, even for the code of a deleted row.
  ASSERT_TRUE(store().DeleteZone("Z02").ok());
  auto id3 = store().InsertZone(MakeZone("Z01"));
  ASSERT_TRUE(id3.ok());
  EXPECT_GT(*id3, *id2);
}

TEST_P(StoreConformanceTest, EnterpriseCrud) {
  model::Enterprise a = MakeEnterprise("91210106MA0XXXXX1X");
  model::Enterprise b = MakeEnterprise("912101007XXXXXXXX5");
  b.key_energy_user = false;
  b.land_area_mu = 0;
  b.zone_code = "";
  auto ida = store().InsertEnterprise(a);
  auto idb = store().InsertEnterprise(b);
  ASSERT_TRUE(ida.ok() && idb.ok());
  a.id = *ida;
  b.id = *idb;
  EXPECT_THAT(*store().ListEnterprises(), ElementsAre(a, b));
  EXPECT_EQ(store().InsertEnterprise(a).error().code(), StatusCode::kAlreadyExists);

  a.name = "改名后的公司";
  a.industry_code = "C2614";
  a.land_area_mu = 7.125;
  a.key_energy_user = false;
  ASSERT_TRUE(store().UpdateEnterprise(a).ok());
  EXPECT_THAT(*store().ListEnterprises(), ElementsAre(a, b));
  EXPECT_EQ(store().UpdateEnterprise(MakeEnterprise("NOPE")).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store().DeleteEnterprise(b.code).ok());
  EXPECT_EQ(store().DeleteEnterprise(b.code).code(), StatusCode::kNotFound);
  EXPECT_THAT(*store().ListEnterprises(), ElementsAre(a));
}

TEST_P(StoreConformanceTest, MeterCrudRoundTripsEveryField) {
  std::vector<model::Meter> expected;
  // Every carrier, kind and flow survives the round trip.
  int i = 0;
  for (const units::CarrierInfo& info : units::AllCarriers()) {
    model::Meter m = MakeMeter("M" + std::to_string(i));
    m.carrier = info.carrier;
    m.unit = std::string(info.canonical_unit);
    m.kind = static_cast<model::MeterKind>(i % 3);
    m.flow = static_cast<model::MeterFlow>(i % 2);
    m.multiplier = 1.0 / (i + 1);
    auto id = store().InsertMeter(m);
    ASSERT_TRUE(id.ok()) << id.error().ToString();
    m.id = *id;
    expected.push_back(m);
    ++i;
  }
  EXPECT_EQ(*store().ListMeters(), expected);

  auto dup = store().InsertMeter(MakeMeter("M0"));
  EXPECT_EQ(dup.error().code(), StatusCode::kAlreadyExists);

  model::Meter changed = expected[1];
  changed.name = "renamed";
  changed.kind = model::MeterKind::kVirtual;
  changed.formula = "+M0-M2";
  changed.interval_s = 900;
  changed.register_digits = 0;
  ASSERT_TRUE(store().UpdateMeter(changed).ok());
  expected[1] = changed;
  EXPECT_EQ(*store().ListMeters(), expected);

  EXPECT_EQ(store().UpdateMeter(MakeMeter("ABSENT")).code(), StatusCode::kNotFound);
  EXPECT_EQ(store().DeleteMeter("ABSENT").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store().DeleteMeter("M0").ok());
  expected.erase(expected.begin());
  EXPECT_EQ(*store().ListMeters(), expected);
}

TEST_P(StoreConformanceTest, CodesAreUniquePerKindOnly) {
  ASSERT_TRUE(store().InsertZone(MakeZone("X1")).ok());
  ASSERT_TRUE(store().InsertEnterprise(MakeEnterprise("X1")).ok());
  ASSERT_TRUE(store().InsertMeter(MakeMeter("X1")).ok());
}

TEST_P(StoreConformanceTest, NanFieldsAreRefused) {
  model::Meter m = MakeMeter("M1");
  m.multiplier = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(store().InsertMeter(m).error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(*store().ListMeters(), IsEmpty());
}

TEST_P(StoreConformanceTest, RegistryBatchInsertsEverything) {
  std::vector<model::Zone> zones = {MakeZone("Z01"), MakeZone("Z02")};
  std::vector<model::Enterprise> ents = {MakeEnterprise("E1"), MakeEnterprise("E2")};
  std::vector<model::Meter> meters = {MakeMeter("M1"), MakeMeter("M2"), MakeMeter("M3")};
  ASSERT_TRUE(store().InsertRegistryBatch(zones, ents, meters).ok());
  auto listed = *store().ListMeters();
  ASSERT_EQ(listed.size(), 3u);
  for (size_t i = 0; i < listed.size(); ++i) {
    EXPECT_GT(listed[i].id, 0);
    meters[i].id = listed[i].id;
  }
  EXPECT_EQ(listed, meters);
  EXPECT_EQ(store().ListZones()->size(), 2u);
  EXPECT_EQ(store().ListEnterprises()->size(), 2u);
  // Empty batches are fine.
  EXPECT_TRUE(store().InsertRegistryBatch({}, {}, {}).ok());
}

TEST_P(StoreConformanceTest, RegistryBatchIsAllOrNothing) {
  ASSERT_TRUE(store().InsertMeter(MakeMeter("EXISTING")).ok());
  // A duplicate inside the batch, last in line: nothing of the batch is kept.
  Status s = store().InsertRegistryBatch({MakeZone("Z01")}, {MakeEnterprise("E1")},
                                         {MakeMeter("M1"), MakeMeter("M2"), MakeMeter("M1")});
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(s.message(), HasSubstr("M1"));
  EXPECT_THAT(*store().ListZones(), IsEmpty());
  EXPECT_THAT(*store().ListEnterprises(), IsEmpty());
  ASSERT_EQ(store().ListMeters()->size(), 1u);

  // A duplicate of a stored row.
  s = store().InsertRegistryBatch({MakeZone("Z01")}, {}, {MakeMeter("M9"), MakeMeter("EXISTING")});
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(*store().ListZones(), IsEmpty());
  EXPECT_EQ(store().ListMeters()->size(), 1u);

  // The store is still usable and ids keep increasing.
  ASSERT_TRUE(store().InsertRegistryBatch({MakeZone("Z01")}, {}, {MakeMeter("M1")}).ok());
  EXPECT_EQ(store().ListMeters()->size(), 2u);
}

// ---- settings.

TEST_P(StoreConformanceTest, Settings) {
  auto absent = store().GetSetting("csv.mapping.default");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());

  ASSERT_TRUE(store().PutSetting("csv.b", "2").ok());
  ASSERT_TRUE(store().PutSetting("csv.a", "{\"时间\": \"ts\"}").ok());
  ASSERT_TRUE(store().PutSetting("csvx", "x").ok());
  ASSERT_TRUE(store().PutSetting("demo", "").ok());
  ASSERT_TRUE(store().PutSetting("csv.a", "replaced").ok());

  EXPECT_EQ(**store().GetSetting("csv.a"), "replaced");
  EXPECT_EQ(**store().GetSetting("demo"), "");
  using KV = std::pair<std::string, std::string>;
  EXPECT_THAT(*store().ListSettings("csv."),
              ElementsAre(KV{"csv.a", "replaced"}, KV{"csv.b", "2"}));
  EXPECT_THAT(*store().ListSettings("csv"),
              ElementsAre(KV{"csv.a", "replaced"}, KV{"csv.b", "2"}, KV{"csvx", "x"}));
  EXPECT_THAT(*store().ListSettings("nothing"), IsEmpty());
  EXPECT_EQ(store().ListSettings("")->size(), 4u);

  // Prefixes ending in 0xff bytes have no simple upper bound.
  ASSERT_TRUE(store().PutSetting("k\xff", "1").ok());
  ASSERT_TRUE(store().PutSetting("k\xff\x01", "2").ok());
  ASSERT_TRUE(store().PutSetting("l", "3").ok());
  EXPECT_THAT(*store().ListSettings("k\xff"), ElementsAre(KV{"k\xff", "1"}, KV{"k\xff\x01", "2"}));
}

// ---- ingest log.

TEST_P(StoreConformanceTest, LogAppendReadTruncate) {
  EXPECT_EQ(*store().AppendLog({}), 0);  // nothing appended yet
  std::string binary("a\0b\xff", 4);
  std::vector<std::string> first = {"one", binary, std::string(100000, 'x')};
  EXPECT_EQ(*store().AppendLog(first), 3);
  EXPECT_EQ(*store().AppendLog({}), 3);
  EXPECT_THAT(ReadAllLog(store()),
              ElementsAre(std::make_tuple(1, "one"), std::make_tuple(2, binary),
                          std::make_tuple(3, std::string(100000, 'x'))));

  FlushBatch truncate;
  truncate.log_truncate_upto = 2;
  ASSERT_TRUE(store().Commit(truncate).ok());
  EXPECT_THAT(ReadAllLog(store()), ElementsAre(std::make_tuple(3, std::string(100000, 'x'))));

  std::vector<std::string> next = {"four"};
  EXPECT_EQ(*store().AppendLog(next), 4);
  truncate.log_truncate_upto = 4;
  ASSERT_TRUE(store().Commit(truncate).ok());
  EXPECT_THAT(ReadAllLog(store()), IsEmpty());
  // Sequence numbers keep increasing after the log was emptied, and after a reopen.
  std::vector<std::string> five = {"five"};
  EXPECT_EQ(*store().AppendLog(five), 5);
  truncate.log_truncate_upto = 5;
  ASSERT_TRUE(store().Commit(truncate).ok());
  Reopen();
  EXPECT_EQ(*store().AppendLog({}), 5);
  std::vector<std::string> six = {"six", "seven"};
  EXPECT_EQ(*store().AppendLog(six), 7);
  EXPECT_THAT(ReadAllLog(store()),
              ElementsAre(std::make_tuple(6, "six"), std::make_tuple(7, "seven")));
}

TEST_P(StoreConformanceTest, ReadLogStopsAtTheCallbacksError) {
  std::vector<std::string> payloads = {"a", "b", "c"};
  ASSERT_TRUE(store().AppendLog(payloads).ok());
  int calls = 0;
  Status s = store().ReadLog([&](int64_t seq, std::string_view) {
    ++calls;
    return seq == 2 ? DataLossError("bad entry") : Status::OK();
  });
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(calls, 2);
  // The store is usable afterwards.
  EXPECT_EQ(ReadAllLog(store()).size(), 3u);
}

TEST_P(StoreConformanceTest, ConcurrentAppendsAndReads) {
  constexpr int kThreads = 4;
  constexpr int kAppends = 20;
  std::vector<std::vector<int64_t>> seqs(kThreads);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        std::vector<std::string> p = {"t" + std::to_string(t), "i" + std::to_string(i)};
        auto seq = store().AppendLog(p);
        if (!seq.ok()) {
          failed = true;
          return;
        }
        seqs[t].push_back(*seq);
        if (!store().ListSettings("").ok()) failed = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_FALSE(failed);
  std::set<int64_t> all;
  for (const auto& v : seqs) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kAppends));
  auto log = ReadAllLog(store());
  ASSERT_EQ(log.size(), static_cast<size_t>(2 * kThreads * kAppends));
  for (size_t i = 0; i < log.size(); ++i)
    EXPECT_EQ(std::get<0>(log[i]), static_cast<int64_t>(i + 1));
}

// ---- chunks and rollups.

TEST_P(StoreConformanceTest, ChunkUpsertAndRangeReads) {
  std::string binary("\x00\x01\x02\xfe\xff", 5);
  FlushBatch batch;
  batch.chunks = {MakeChunk(1, 10, "ten"),    MakeChunk(1, 11, binary),
                  MakeChunk(1, 12, "twelve"), MakeChunk(1, 15, "fifteen"),
                  MakeChunk(2, 11, "other"),  MakeChunk(-3, 11, "negative id")};
  ASSERT_TRUE(store().Commit(batch).ok());

  EXPECT_THAT(Chunks(store(), 1, 11, 15), ElementsAre(batch.chunks[1], batch.chunks[2]));
  EXPECT_THAT(Chunks(store(), 1, 0, 100),
              ElementsAre(batch.chunks[0], batch.chunks[1], batch.chunks[2], batch.chunks[3]));
  EXPECT_THAT(Chunks(store(), 1, 13, 15), IsEmpty());
  EXPECT_THAT(Chunks(store(), 1, 12, 12), IsEmpty());
  EXPECT_THAT(Chunks(store(), 3, 0, 100), IsEmpty());
  EXPECT_THAT(Chunks(store(), -3, 0, 100), ElementsAre(batch.chunks[5]));

  // Upsert replaces by (series_id, day), including with an empty (rollup-only) chunk.
  Chunk replaced = MakeChunk(1, 11, "rewritten after a late reading", 99.25);
  replaced.flagged = 4;
  Chunk rollup_only = MakeChunk(1, 12, "", 7);
  FlushBatch second;
  second.chunks = {replaced, rollup_only};
  ASSERT_TRUE(store().Commit(second).ok());
  EXPECT_THAT(Chunks(store(), 1, 11, 13), ElementsAre(replaced, rollup_only));

  // ReadChunks replaces the output vector's contents.
  std::vector<Chunk> out = {MakeChunk(9, 9, "stale")};
  ASSERT_TRUE(store().ReadChunks(2, 0, 100, &out).ok());
  EXPECT_THAT(out, ElementsAre(batch.chunks[4]));
}

TEST_P(StoreConformanceTest, LatestChunkBeforeSkipsRollupOnlyDays) {
  FlushBatch batch;
  batch.chunks = {MakeChunk(1, 10, "ten"), MakeChunk(1, 12, "twelve"), MakeChunk(1, 14, ""),
                  MakeChunk(1, 20, "twenty"), MakeChunk(2, 13, "other series")};
  ASSERT_TRUE(store().Commit(batch).ok());

  auto latest = store().LatestChunkBefore(1, 20);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ(**latest, batch.chunks[1]);  // day 14 holds no data
  EXPECT_EQ(**store().LatestChunkBefore(1, 11), batch.chunks[0]);
  EXPECT_EQ(**store().LatestChunkBefore(1, 1000), batch.chunks[3]);
  EXPECT_FALSE(store().LatestChunkBefore(1, 10)->has_value());
  EXPECT_EQ(**store().LatestChunkBefore(2, 100), batch.chunks[4]);
  EXPECT_FALSE(store().LatestChunkBefore(3, 100)->has_value());
  EXPECT_FALSE(store().LatestChunkBefore(0, 100)->has_value());
}

TEST_P(StoreConformanceTest, DailyRollupsWithAndWithoutFilter) {
  FlushBatch batch;
  for (int64_t s : {1, 2, 5, 7}) {
    for (int32_t d = 100; d < 110; ++d) {
      batch.chunks.push_back(MakeChunk(s, d, "data" + std::to_string(d), s * 1000.0 + d));
    }
  }
  batch.chunks.push_back(MakeChunk(8, 50, "before"));
  batch.chunks.push_back(MakeChunk(9, 200, "after", 1, 3600));
  ASSERT_TRUE(store().Commit(batch).ok());

  auto expect_rows = [&](const std::vector<int64_t>& ids, int32_t from, int32_t to) {
    std::vector<Chunk> expected;
    for (const Chunk& c : batch.chunks) {
      bool wanted = ids.empty() || std::find(ids.begin(), ids.end(), c.series_id) != ids.end();
      if (wanted && c.day >= from && c.day < to) expected.push_back(Rollup(c));
    }
    return expected;
  };

  EXPECT_THAT(Rollups(store(), {}, 102, 105), UnorderedElementsAreArray(expect_rows({}, 102, 105)));
  EXPECT_EQ(Rollups(store(), {}, 102, 105).size(), 12u);
  EXPECT_THAT(Rollups(store(), {}, 0, 1000), UnorderedElementsAreArray(expect_rows({}, 0, 1000)));
  EXPECT_EQ(Rollups(store(), {}, 0, 1000).size(), 42u);
  EXPECT_THAT(Rollups(store(), {}, 105, 105), IsEmpty());
  EXPECT_THAT(Rollups(store(), {}, 300, 400), IsEmpty());
  // Ids in any order, duplicated, or unknown.
  std::vector<int64_t> ids = {7, 2, 2, 42};
  EXPECT_THAT(Rollups(store(), ids, 108, 200),
              UnorderedElementsAreArray(expect_rows({7, 2}, 108, 200)));
  EXPECT_THAT(Rollups(store(), {9}, 0, 1000), ElementsAre(Rollup(batch.chunks.back())));
  EXPECT_THAT(Rollups(store(), {42}, 0, 1000), IsEmpty());
}

TEST_P(StoreConformanceTest, DailyRollupsOfManySeries) {
  constexpr int kSeries = 30000;
  FlushBatch batch;
  std::vector<int64_t> ids;
  for (int s = 1; s <= kSeries; ++s) {
    batch.chunks.push_back(MakeChunk(s, 20000, "x", s));
    if (s % 2 == 0) ids.push_back(s);
  }
  ASSERT_TRUE(store().Commit(batch).ok());
  double sum = 0;
  size_t n = 0;
  ASSERT_TRUE(store()
                  .ReadDailyRollups(ids, 20000, 20001,
                                    [&](const Chunk& c) {
                                      sum += c.sum;
                                      ++n;
                                    })
                  .ok());
  EXPECT_EQ(n, ids.size());
  EXPECT_DOUBLE_EQ(sum, 2.0 * (kSeries / 2) * (kSeries / 2 + 1) / 2);
  EXPECT_EQ(Rollups(store(), {}, 20000, 20001).size(), static_cast<size_t>(kSeries));
}

TEST_P(StoreConformanceTest, MonthSums) {
  FlushBatch batch;
  for (int64_t s : {3, 4, 6}) {
    for (int32_t m = 660; m < 672; ++m) batch.months.push_back({s, m, s + m / 1000.0, m - 600});
  }
  ASSERT_TRUE(store().Commit(batch).ok());

  std::vector<MonthSum> all_of_665;
  for (const MonthSum& m : batch.months) {
    if (m.month == 665) all_of_665.push_back(m);
  }
  EXPECT_THAT(Months(store(), {}, 665, 666), UnorderedElementsAreArray(all_of_665));
  EXPECT_EQ(Months(store(), {}, 0, 10000).size(), 36u);
  EXPECT_THAT(Months(store(), {6}, 670, 700),
              UnorderedElementsAreArray({MonthSum{6, 670, 6.67, 70}, MonthSum{6, 671, 6.671, 71}}));
  EXPECT_THAT(Months(store(), {5}, 0, 1000), IsEmpty());
  EXPECT_THAT(Months(store(), {3}, 700, 660), IsEmpty());

  // Upsert by (series_id, month).
  FlushBatch update;
  update.months = {{4, 661, -12.5, 3}};
  ASSERT_TRUE(store().Commit(update).ok());
  EXPECT_THAT(Months(store(), {4}, 661, 662), ElementsAre(MonthSum{4, 661, -12.5, 3}));
}

TEST_P(StoreConformanceTest, ListRawChunksBefore) {
  FlushBatch batch;
  batch.chunks = {MakeChunk(1, 10, "raw"),
                  MakeChunk(1, 11, ""),  // rollup only
                  MakeChunk(1, 12, "hourly", 1, 3600),
                  MakeChunk(2, 13, "raw"),
                  MakeChunk(2, 14, "raw but too new"),
                  MakeChunk(3, 5, "raw")};
  ASSERT_TRUE(store().Commit(batch).ok());
  std::vector<std::pair<int64_t, int32_t>> found;
  ASSERT_TRUE(store()
                  .ListRawChunksBefore(14, [&](int64_t s, int32_t d) { found.emplace_back(s, d); })
                  .ok());
  using P = std::pair<int64_t, int32_t>;
  EXPECT_THAT(found, UnorderedElementsAreArray({P{1, 10}, P{2, 13}, P{3, 5}}));

  // Once a day is rolled up to hourly it is no longer listed.
  FlushBatch rolled;
  rolled.chunks = {MakeChunk(1, 10, "hourly now", 1, 3600)};
  ASSERT_TRUE(store().Commit(rolled).ok());
  found.clear();
  ASSERT_TRUE(store()
                  .ListRawChunksBefore(14, [&](int64_t s, int32_t d) { found.emplace_back(s, d); })
                  .ok());
  EXPECT_THAT(found, UnorderedElementsAreArray({P{2, 13}, P{3, 5}}));
}

TEST_P(StoreConformanceTest, Corrections) {
  FlushBatch batch;
  batch.corrections = {
      {1, 1700000900, 10, 11, "POST /write from 127.0.0.1", 1700001000},
      {1, 1700000000, 5, 6, "csv import park.csv line 7", 1700001001},
      {2, 1700000000, 1, 2, "other series", 1700001002},
      {1, 1700000900, 11, 12.5, "second correction of the same reading", 1700001003},
      {1, 1700003600, 0, 1, "later", 1700001004},
  };
  ASSERT_TRUE(store().Commit(batch).ok());

  std::vector<Correction> out;
  ASSERT_TRUE(store().ReadCorrections(1, 1700000000, 1700003600, &out).ok());
  // Ascending by time; corrections of the same reading in the order they were recorded.
  EXPECT_THAT(out, ElementsAre(batch.corrections[1], batch.corrections[0], batch.corrections[3]));
  ASSERT_TRUE(store().ReadCorrections(1, 1700000001, 1700003601, &out).ok());
  EXPECT_THAT(out, ElementsAre(batch.corrections[0], batch.corrections[3], batch.corrections[4]));
  ASSERT_TRUE(store().ReadCorrections(2, 0, std::numeric_limits<int64_t>::max(), &out).ok());
  EXPECT_THAT(out, ElementsAre(batch.corrections[2]));
  ASSERT_TRUE(store().ReadCorrections(3, 0, std::numeric_limits<int64_t>::max(), &out).ok());
  EXPECT_THAT(out, IsEmpty());
}

TEST_P(StoreConformanceTest, CommitIsAllOrNothing) {
  std::vector<std::string> payloads = {"a", "b"};
  ASSERT_TRUE(store().AppendLog(payloads).ok());
  FlushBatch good;
  good.chunks = {MakeChunk(1, 10, "kept")};
  good.months = {{1, 600, 1, 1}};
  ASSERT_TRUE(store().Commit(good).ok());

  auto bad_batch = [&]() {
    FlushBatch bad;
    bad.chunks = {MakeChunk(1, 10, "would overwrite"), MakeChunk(1, 11, "new")};
    bad.months = {{1, 600, 99, 9}, {1, 601, 2, 2}};
    bad.corrections = {{1, 5, 1, 2, "src", 6}};
    bad.log_truncate_upto = 2;
    return bad;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<FlushBatch> bad_ones;
  for (int variant = 0; variant < 5; ++variant) {
    FlushBatch bad = bad_batch();
    switch (variant) {
      case 0:
        bad.chunks.push_back(MakeChunk(2, 1, "x")), bad.chunks.back().count = -1;
        break;
      case 1:
        bad.chunks.push_back(MakeChunk(2, 1, "x", nan));
        break;
      case 2:
        bad.months.push_back({2, 1, nan, 1});
        break;
      case 3:
        bad.months.push_back({2, 1, 1, -5});
        break;
      case 4:
        bad.corrections.push_back({2, 1, 1, nan, "src", 2});
        break;
    }
    bad_ones.push_back(bad);
  }
  for (size_t i = 0; i < bad_ones.size(); ++i) {
    SCOPED_TRACE("variant " + std::to_string(i));
    EXPECT_EQ(store().Commit(bad_ones[i]).code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(Chunks(store(), 1, 0, 100), ElementsAre(good.chunks[0]));
    EXPECT_THAT(Months(store(), {1}, 0, 1000), ElementsAre(good.months[0]));
    std::vector<Correction> corrections;
    ASSERT_TRUE(store().ReadCorrections(1, 0, 100, &corrections).ok());
    EXPECT_THAT(corrections, IsEmpty());
    EXPECT_EQ(ReadAllLog(store()).size(), 2u);
  }
  // The same batch without the bad row goes through whole.
  ASSERT_TRUE(store().Commit(bad_batch()).ok());
  EXPECT_EQ(Chunks(store(), 1, 0, 100).size(), 2u);
  EXPECT_EQ(Months(store(), {1}, 0, 1000).size(), 2u);
  EXPECT_THAT(ReadAllLog(store()), IsEmpty());
}

TEST_P(StoreConformanceTest, ReopenSeesEverything) {
  model::Park park{"园区", "辽宁", "Asia/Shanghai", "northeast", 30};
  ASSERT_TRUE(store().PutPark(park).ok());
  ASSERT_TRUE(store()
                  .InsertRegistryBatch({MakeZone("Z01")}, {MakeEnterprise("E1")},
                                       {MakeMeter("M1"), MakeMeter("M2")})
                  .ok());
  ASSERT_TRUE(store().PutSetting("demo", "1").ok());
  std::vector<std::string> payloads = {"p1", "p2", "p3"};
  ASSERT_TRUE(store().AppendLog(payloads).ok());
  FlushBatch batch;
  batch.chunks = {MakeChunk(1, 19000, "chunk"), MakeChunk(2, 19000, "", 3)};
  batch.months = {{1, 624, 42.5, 96}};
  batch.corrections = {{1, 1641000000, 1, 2, "src", 1641000001}};
  batch.log_truncate_upto = 1;
  ASSERT_TRUE(store().Commit(batch).ok());

  auto zones = *store().ListZones();
  auto enterprises = *store().ListEnterprises();
  auto meters = *store().ListMeters();
  Reopen();

  EXPECT_EQ(**store().GetPark(), park);
  EXPECT_EQ(*store().ListZones(), zones);
  EXPECT_EQ(*store().ListEnterprises(), enterprises);
  EXPECT_EQ(*store().ListMeters(), meters);
  EXPECT_EQ(**store().GetSetting("demo"), "1");
  EXPECT_THAT(ReadAllLog(store()), ElementsAre(std::make_tuple(2, "p2"), std::make_tuple(3, "p3")));
  EXPECT_THAT(Chunks(store(), 1, 0, 100000), ElementsAre(batch.chunks[0]));
  EXPECT_THAT(Rollups(store(), {}, 0, 100000),
              UnorderedElementsAreArray({Rollup(batch.chunks[0]), Rollup(batch.chunks[1])}));
  EXPECT_THAT(Months(store(), {}, 0, 1000), ElementsAre(batch.months[0]));
  std::vector<Correction> corrections;
  ASSERT_TRUE(store().ReadCorrections(1, 0, 2000000000, &corrections).ok());
  EXPECT_THAT(corrections, ElementsAre(batch.corrections[0]));
  // Ids continue after the reopen.
  auto id = store().InsertMeter(MakeMeter("M3"));
  ASSERT_TRUE(id.ok());
  EXPECT_GT(*id, meters.back().id);
}

// ---- enterprise data.

TEST_P(StoreConformanceTest, EnterpriseDataAppendsVersionsInSeqOrder) {
  EXPECT_EQ(*store().AppendEnterpriseData({}), 0);
  EXPECT_THAT(EnterpriseData(store()), IsEmpty());

  std::vector<model::EnterpriseDatum> first = {
      MakeDatum("E1", "added_value", 1, 100.5),
      MakeDatum("E2", "added_value", 1, 7),
      MakeDatum("E1", "product_output", 0, 42, "齿轮箱"),
  };
  first[2].unit = "台";
  first[2].seq = 999;  // ignored: the store assigns seq
  auto last = store().AppendEnterpriseData(first);
  ASSERT_TRUE(last.ok()) << last.error().ToString();
  auto all = EnterpriseData(store());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.back().seq, *last);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i], WithSeq(first[i], all[i].seq)) << i;
    if (i > 0) {
      EXPECT_GT(all[i].seq, all[i - 1].seq);
    }
  }

  // A second version of a key and a tombstone: both kept, after the first batch.
  model::EnterpriseDatum revised = MakeDatum("E1", "added_value", 1, 101);
  model::EnterpriseDatum tombstone = MakeDatum("E2", "added_value", 1, 0);
  tombstone.deleted = true;
  std::vector<model::EnterpriseDatum> second = {revised, tombstone};
  auto last2 = store().AppendEnterpriseData(second);
  ASSERT_TRUE(last2.ok());
  EXPECT_EQ(*last2, *last + 2);
  EXPECT_EQ(*store().AppendEnterpriseData({}), *last2);
  all = EnterpriseData(store());
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[3], WithSeq(revised, *last + 1));
  EXPECT_EQ(all[4], WithSeq(tombstone, *last + 2));

  // Filters.
  auto seqs = [](const std::vector<model::EnterpriseDatum>& rows) {
    std::vector<int64_t> out;
    for (const auto& d : rows) out.push_back(d.seq);
    return out;
  };
  EXPECT_EQ(seqs(EnterpriseData(store(), "E1")),
            (std::vector<int64_t>{all[0].seq, all[2].seq, all[3].seq}));
  EXPECT_EQ(seqs(EnterpriseData(store(), "", "added_value")),
            (std::vector<int64_t>{all[0].seq, all[1].seq, all[3].seq, all[4].seq}));
  EXPECT_EQ(seqs(EnterpriseData(store(), "E1", "added_value")),
            (std::vector<int64_t>{all[0].seq, all[3].seq}));
  EXPECT_EQ(seqs(EnterpriseData(store(), "E2", "product_output")), std::vector<int64_t>{});
  EXPECT_THAT(EnterpriseData(store(), "E3"), IsEmpty());
  EXPECT_THAT(EnterpriseData(store(), "", "tax"), IsEmpty());
}

TEST_P(StoreConformanceTest, EnterpriseDataAppendIsAllOrNothing) {
  std::vector<model::EnterpriseDatum> good = {MakeDatum("E1", "tax", 1, 1)};
  const int64_t before = *store().AppendEnterpriseData(good);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    std::vector<model::EnterpriseDatum> batch = {MakeDatum("E1", "tax", 2, 2),
                                                 MakeDatum("E2", "tax", 2, 3)};
    model::EnterpriseDatum& bad = batch.emplace_back(MakeDatum("E3", "tax", 3, 4));
    switch (variant) {
      case 0:
        bad.value = nan;
        break;
      case 1:
        bad.value = std::numeric_limits<double>::infinity();
        break;
      case 2:
        bad.period.month = 13;
        break;
    }
    auto appended = store().AppendEnterpriseData(batch);
    ASSERT_FALSE(appended.ok());
    EXPECT_EQ(appended.error().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(EnterpriseData(store()), ElementsAre(WithSeq(good[0], before)));
  }
  std::vector<model::EnterpriseDatum> next = {MakeDatum("E2", "tax", 4, 5)};
  auto last = store().AppendEnterpriseData(next);
  ASSERT_TRUE(last.ok());
  EXPECT_GT(*last, before);
  EXPECT_EQ(EnterpriseData(store()).size(), 2u);
}

TEST_P(StoreConformanceTest, EnterpriseDataSurvivesReopen) {
  std::vector<model::EnterpriseDatum> rows;
  for (int i = 0; i < 500; ++i) {
    rows.push_back(
        MakeDatum("E" + std::to_string(i % 7), i % 2 ? "tax" : "revenue", i % 13, i * 0.25));
  }
  rows[3].deleted = true;
  const int64_t last = *store().AppendEnterpriseData(rows);
  auto before = EnterpriseData(store());
  ASSERT_EQ(before.size(), rows.size());
  Reopen();
  EXPECT_EQ(EnterpriseData(store()), before);
  EXPECT_EQ(*store().AppendEnterpriseData({}), last);
  std::vector<model::EnterpriseDatum> more = {MakeDatum("E1", "tax", 5, 1)};
  EXPECT_EQ(*store().AppendEnterpriseData(more), last + 1);
}

TEST_P(StoreConformanceTest, ConcurrentEnterpriseDataAppendsGetDistinctSeqs) {
  constexpr int kThreads = 4;
  constexpr int kBatches = 20;
  std::vector<std::thread> threads;
  std::atomic<bool> failed{false};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<model::EnterpriseDatum> batch = {
            MakeDatum("T" + std::to_string(t), "tax", 1 + b % 12, b),
            MakeDatum("T" + std::to_string(t), "revenue", 1 + b % 12, b)};
        auto last = store().AppendEnterpriseData(batch);
        if (!last.ok()) failed = true;
        (void)EnterpriseData(store(), "T" + std::to_string((t + 1) % kThreads));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_FALSE(failed);
  auto all = EnterpriseData(store());
  ASSERT_EQ(all.size(), size_t{kThreads * kBatches * 2});
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_GT(all[i].seq, all[i - 1].seq);
  }
  // Each batch's two rows are adjacent: a batch is one append.
  for (size_t i = 0; i < all.size(); i += 2) {
    EXPECT_EQ(all[i].enterprise_code, all[i + 1].enterprise_code);
    EXPECT_EQ(all[i + 1].seq, all[i].seq + 1);
  }
}

// ---- accounts and the audit log.

TEST_P(StoreConformanceTest, UserCrud) {
  auto id1 = store().InsertUser(MakeUser("alice", "admin"));
  auto id2 = store().InsertUser(MakeUser("bob.officer", "officer"));
  ASSERT_TRUE(id1.ok() && id2.ok()) << id1.error().ToString();
  EXPECT_GT(*id1, 0);
  EXPECT_GT(*id2, *id1);

  // Names are unique whatever their case.
  auto dup = store().InsertUser(MakeUser("ALICE"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(dup.error().message(), HasSubstr("ALICE"));

  UserRow alice = WithId(MakeUser("alice", "admin"), *id1);
  UserRow bob = WithId(MakeUser("bob.officer", "officer"), *id2);
  EXPECT_THAT(*store().ListUsers(), ElementsAre(alice, bob));
  EXPECT_EQ(**store().GetUser(*id2), bob);
  EXPECT_FALSE(store().GetUser(999)->has_value());
  EXPECT_EQ(**store().FindUser("Bob.Officer"), bob);
  EXPECT_EQ(**store().FindUser("alice"), alice);
  EXPECT_FALSE(store().FindUser("carol")->has_value());

  // Every field but the id changes; renaming onto a taken name is refused.
  bob.display_name = "李雷";
  bob.role = "enterprise";
  bob.enterprise_code = "91210100MA0000001X";
  bob.zones = "";
  bob.password_hash = "";
  bob.disabled = true;
  bob.username = "bob";
  ASSERT_TRUE(store().UpdateUser(bob).ok());
  EXPECT_THAT(*store().ListUsers(), ElementsAre(alice, bob));
  EXPECT_FALSE(store().FindUser("bob.officer")->has_value());
  EXPECT_EQ(**store().FindUser("BOB"), bob);
  // The old name is free again.
  auto id3 = store().InsertUser(MakeUser("bob.officer"));
  ASSERT_TRUE(id3.ok()) << id3.error().ToString();

  UserRow rename = bob;
  rename.username = "Alice";
  EXPECT_EQ(store().UpdateUser(rename).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(**store().GetUser(*id2), bob);
  EXPECT_EQ(store().UpdateUser(WithId(MakeUser("ghost"), 999)).code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, CredentialCrud) {
  const std::string h1(64, '1'), h2(64, '2'), h3(64, '3');
  auto id1 = store().InsertCredential(MakeCredential(7, h1, "session"));
  auto id2 = store().InsertCredential(MakeCredential(8, h2, "device"));
  auto id3 = store().InsertCredential(MakeCredential(7, h3, "api"));
  ASSERT_TRUE(id1.ok() && id2.ok() && id3.ok()) << id1.error().ToString();
  EXPECT_LT(*id1, *id2);
  EXPECT_LT(*id2, *id3);

  auto dup = store().InsertCredential(MakeCredential(9, h2));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), StatusCode::kAlreadyExists);

  CredentialRow c1 = WithId(MakeCredential(7, h1, "session"), *id1);
  CredentialRow c2 = WithId(MakeCredential(8, h2, "device"), *id2);
  CredentialRow c3 = WithId(MakeCredential(7, h3, "api"), *id3);
  EXPECT_EQ(**store().FindCredential(h2), c2);
  EXPECT_FALSE(store().FindCredential(std::string(64, '4'))->has_value());
  EXPECT_FALSE(store().FindCredential("")->has_value());
  EXPECT_THAT(*store().ListCredentials(0), ElementsAre(c1, c2, c3));
  EXPECT_THAT(*store().ListCredentials(7), ElementsAre(c1, c3));
  EXPECT_THAT(*store().ListCredentials(42), IsEmpty());

  // last_used_s only grows; revoked, once set, stays.
  ASSERT_TRUE(store().UpdateCredential(*id1, false, 1767230000).ok());
  c1.last_used_s = 1767230000;
  EXPECT_EQ(**store().FindCredential(h1), c1);
  ASSERT_TRUE(store().UpdateCredential(*id1, false, 1767220000).ok());
  EXPECT_EQ(**store().FindCredential(h1), c1);
  ASSERT_TRUE(store().UpdateCredential(*id1, true, 0).ok());
  c1.revoked = true;
  EXPECT_EQ(**store().FindCredential(h1), c1);
  ASSERT_TRUE(store().UpdateCredential(*id1, false, 1767240000).ok());
  c1.last_used_s = 1767240000;
  EXPECT_EQ(**store().FindCredential(h1), c1);
  EXPECT_THAT(*store().ListCredentials(7), ElementsAre(c1, c3));
  EXPECT_EQ(store().UpdateCredential(999, true, 0).code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, PurgeDropsDeadSessionsOnly) {
  auto make = [](std::string hash, std::string kind, int64_t expires_s, bool revoked) {
    CredentialRow c = MakeCredential(7, std::move(hash), std::move(kind));
    c.expires_s = expires_s;
    c.revoked = revoked;
    return c;
  };
  const int64_t now = 1767230000;
  ASSERT_TRUE(store().InsertCredential(make(std::string(64, 'a'), "session", now - 1, false)).ok());
  ASSERT_TRUE(
      store().InsertCredential(make(std::string(64, 'b'), "session", now + 100, true)).ok());
  ASSERT_TRUE(
      store().InsertCredential(make(std::string(64, 'c'), "session", now + 100, false)).ok());
  ASSERT_TRUE(store().InsertCredential(make(std::string(64, 'd'), "setup", now - 1, false)).ok());
  ASSERT_TRUE(store().InsertCredential(make(std::string(64, 'e'), "api", now - 1, false)).ok());
  ASSERT_TRUE(store().InsertCredential(make(std::string(64, 'f'), "device", 0, true)).ok());
  auto purged = store().PurgeCredentials(now);
  ASSERT_TRUE(purged.ok()) << purged.error().ToString();
  EXPECT_EQ(*purged, 3);  // expired session, revoked session, expired setup token
  std::set<std::string> left;
  const std::vector<CredentialRow> rows = *store().ListCredentials(0);
  for (const CredentialRow& c : rows) left.insert(c.secret_hash.substr(0, 1));
  EXPECT_EQ(left, (std::set<std::string>{"c", "e", "f"}));
  EXPECT_FALSE(store().FindCredential(std::string(64, 'a'))->has_value());
  // A purged hash can be used again (the unique index is free).
  EXPECT_TRUE(store().InsertCredential(make(std::string(64, 'a'), "session", now + 9, false)).ok());
  EXPECT_EQ(*store().PurgeCredentials(now), 0);
}

TEST_P(StoreConformanceTest, AuditLogAppendsAndFilters) {
  EXPECT_THAT(Audit(store()), IsEmpty());
  std::vector<AuditRow> rows = {
      MakeAudit(100, "alice", "meter E001.EL.MAIN"), MakeAudit(101, "bob", "meter E002.GAS"),
      MakeAudit(102, "alice", "user carol"),         MakeAudit(103, "alice", "meter E001.GAS"),
      MakeAudit(104, "system", "meter E001.EL"),     MakeAudit(105, "bob", "用户 王芳")};
  rows[4].before_json = "";
  rows[4].remote = "cli";
  rows[4].status = 0;
  std::vector<AuditRow> stored;
  for (const AuditRow& r : rows) {
    auto seq = store().AppendAudit(WithAuditSeq(r, 12345));  // the given seq is ignored
    ASSERT_TRUE(seq.ok()) << seq.error().ToString();
    if (!stored.empty()) {
      EXPECT_GT(*seq, stored.back().seq);
    }
    stored.push_back(WithAuditSeq(r, *seq));
  }
  const auto& s = stored;
  EXPECT_THAT(Audit(store()), ElementsAre(s[0], s[1], s[2], s[3], s[4], s[5]));
  EXPECT_THAT(Audit(store(), s[3].seq), ElementsAre(s[3], s[4], s[5]));
  EXPECT_THAT(Audit(store(), s[5].seq + 1), IsEmpty());
  EXPECT_THAT(Audit(store(), 0, 2), ElementsAre(s[0], s[1]));
  EXPECT_THAT(Audit(store(), s[1].seq, 2), ElementsAre(s[1], s[2]));
  EXPECT_THAT(Audit(store(), 0, -1), ElementsAre(s[0], s[1], s[2], s[3], s[4], s[5]));
  EXPECT_THAT(Audit(store(), 0, 0, "alice"), ElementsAre(s[0], s[2], s[3]));
  EXPECT_THAT(Audit(store(), s[1].seq, 1, "alice"), ElementsAre(s[2]));
  EXPECT_THAT(Audit(store(), 0, 0, "ALICE"), IsEmpty());
  EXPECT_THAT(Audit(store(), 0, 0, "", "meter E001."), ElementsAre(s[0], s[3], s[4]));
  EXPECT_THAT(Audit(store(), 0, 0, "", "meter E001.EL"), ElementsAre(s[0], s[4]));
  EXPECT_THAT(Audit(store(), 0, 0, "alice", "meter "), ElementsAre(s[0], s[3]));
  EXPECT_THAT(Audit(store(), 0, 2, "alice", "meter "), ElementsAre(s[0], s[3]));
  EXPECT_THAT(Audit(store(), 0, 0, "", "用户"), ElementsAre(s[5]));
  EXPECT_THAT(Audit(store(), 0, 0, "", "用"), ElementsAre(s[5]));  // a byte prefix of "用户"
  EXPECT_THAT(Audit(store(), 0, 0, "", "meter E001.EL.MAIN+"), IsEmpty());
  EXPECT_THAT(Audit(store(), 0, 0, "nobody"), IsEmpty());
}

TEST_P(StoreConformanceTest, AccountsSurviveReopen) {
  const int64_t user = *store().InsertUser(MakeUser("Alice", "enterprise"));
  const std::string hash(64, 'a');
  const int64_t cred = *store().InsertCredential(MakeCredential(user, hash, "session"));
  ASSERT_TRUE(store().UpdateCredential(cred, true, 1767230000).ok());
  const int64_t seq = *store().AppendAudit(MakeAudit(100, "alice", "user alice"));
  auto users = *store().ListUsers();
  auto credentials = *store().ListCredentials(0);
  Reopen();
  EXPECT_EQ(*store().ListUsers(), users);
  EXPECT_EQ(*store().ListCredentials(0), credentials);
  EXPECT_TRUE(credentials[0].revoked);
  EXPECT_EQ(**store().FindUser("alice"), users[0]);
  EXPECT_THAT(Audit(store()),
              ElementsAre(WithAuditSeq(MakeAudit(100, "alice", "user alice"), seq)));
  // Ids and seqs continue after the reopen.
  EXPECT_GT(*store().InsertUser(MakeUser("bob")), user);
  EXPECT_GT(*store().InsertCredential(MakeCredential(user, std::string(64, 'b'))), cred);
  EXPECT_GT(*store().AppendAudit(MakeAudit(101, "bob", "")), seq);
}

TEST_P(StoreConformanceTest, ConcurrentAuditAppendsGetDistinctSeqs) {
  constexpr int kThreads = 4;
  constexpr int kRows = 50;
  std::vector<std::thread> threads;
  std::atomic<bool> failed{false};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRows; ++i) {
        if (!store().AppendAudit(MakeAudit(i, "actor" + std::to_string(t), "x")).ok()) {
          failed = true;
        }
        (void)Audit(store(), 0, 5, "actor" + std::to_string((t + 1) % kThreads));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_FALSE(failed);
  auto all = Audit(store());
  ASSERT_EQ(all.size(), size_t{kThreads * kRows});
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i].seq, all[i - 1].seq);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(Audit(store(), 0, 0, "actor" + std::to_string(t)).size(), size_t{kRows});
  }
}

TEST_P(StoreConformanceTest, LedgerAppendsAndPages) {
  EXPECT_THAT(Ledger(store()), IsEmpty());
  EXPECT_EQ(*store().LedgerSize(), 0);
  std::vector<LedgerRow> rows;
  for (int64_t seq = 1; seq <= 5; ++seq) rows.push_back(MakeLedgerRow(seq));
  rows[2].kind = "transfer";
  rows[3].fields_json = "{\"note\":\"a \\\"quoted\\\" 绿电\"}";
  ASSERT_TRUE(store().AppendLedger(std::span(rows).first(1)).ok());
  Status batch = store().AppendLedger(std::span(rows).subspan(1));
  ASSERT_TRUE(batch.ok()) << batch.ToString();
  EXPECT_EQ(*store().LedgerSize(), 5);
  EXPECT_EQ(Ledger(store()), rows);
  EXPECT_THAT(Ledger(store(), 3), ElementsAre(rows[2], rows[3], rows[4]));
  EXPECT_THAT(Ledger(store(), 2, 2), ElementsAre(rows[1], rows[2]));
  EXPECT_THAT(Ledger(store(), -7, 1), ElementsAre(rows[0]));
  EXPECT_THAT(Ledger(store(), 0, -1), Ledger(store()));
  EXPECT_THAT(Ledger(store(), 6), IsEmpty());
  EXPECT_THAT(Ledger(store(), 1000000), IsEmpty());
  EXPECT_TRUE(store().AppendLedger({}).ok());
  EXPECT_EQ(*store().LedgerSize(), 5);
  Reopen();
  EXPECT_EQ(Ledger(store()), rows);
  EXPECT_EQ(*store().LedgerSize(), 5);
}

TEST_P(StoreConformanceTest, LedgerSeqsMustBeContiguous) {
  std::vector<LedgerRow> rows = {MakeLedgerRow(1), MakeLedgerRow(2)};
  ASSERT_TRUE(store().AppendLedger(rows).ok());
  // Not the next seq: a gap, a repeat, a rewind.
  for (int64_t seq : {4, 2, 1, 0, -1}) {
    LedgerRow r = MakeLedgerRow(seq);
    Status s = store().AppendLedger(std::span(&r, 1));
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << seq;
  }
  // A batch that starts right but skips a seq is refused whole.
  std::vector<LedgerRow> gap = {MakeLedgerRow(3), MakeLedgerRow(4), MakeLedgerRow(6)};
  EXPECT_EQ(store().AppendLedger(gap).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store().LedgerSize(), 2);
  EXPECT_EQ(Ledger(store()), rows);
  gap.pop_back();
  EXPECT_TRUE(store().AppendLedger(gap).ok());
  EXPECT_EQ(*store().LedgerSize(), 4);
}

// Writers racing for the next seq: each append either wins its seq or is told it lost it.
TEST_P(StoreConformanceTest, ConcurrentLedgerAppendsNeverForkTheSeq) {
  constexpr int kThreads = 4;
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 40; ++i) {
        auto size = store().LedgerSize();
        if (!size.ok()) continue;
        LedgerRow r = MakeLedgerRow(*size + 1);
        Status s = store().AppendLedger(std::span(&r, 1));
        if (s.ok()) {
          ++won;
        } else {
          EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  auto all = Ledger(store());
  ASSERT_EQ(all.size(), static_cast<size_t>(won.load()));
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].seq, static_cast<int64_t>(i + 1));
}

// ---- environmental monitoring.

TEST_P(StoreConformanceTest, EnvFramesAppendAndReadInDataTimeOrder) {
  EXPECT_EQ(*store().AppendEnvFrames({}), 0);
  EXPECT_THAT(Frames(store()), IsEmpty());
  // Out of data-time order, two sources, several command codes, equal data times.
  std::vector<EnvFrameRow> rows = {
      MakeFrame("S1", 2011, 1000, 0),  // seq 1
      MakeFrame("S2", 2011, 900, 1),   // seq 2
      MakeFrame("S1", 2051, 1000, 2),  // seq 3: same time as seq 1
      MakeFrame("S1", 2011, 940, 3),   // seq 4
      MakeFrame("S1", 2061, 3600, 4),  // seq 5
  };
  rows[1].seq = 77;  // ignored: the store assigns seq
  auto last = store().AppendEnvFrames(rows);
  ASSERT_TRUE(last.ok()) << last.error().ToString();
  auto all = Frames(store());
  ASSERT_EQ(all.size(), rows.size());
  // Seqs follow the batch order, increasing, the last one returned.
  std::vector<int64_t> seq(rows.size());
  for (const EnvFrameRow& f : all) {
    auto it = std::find_if(rows.begin(), rows.end(),
                           [&](const EnvFrameRow& r) { return r.received_ms == f.received_ms; });
    ASSERT_NE(it, rows.end());
    seq[it - rows.begin()] = f.seq;
    EXPECT_EQ(f, WithFrameSeq(*it, f.seq));
  }
  for (size_t i = 1; i < seq.size(); ++i) EXPECT_GT(seq[i], seq[i - 1]);
  EXPECT_EQ(seq.back(), *last);
  auto with = [&](size_t i) { return WithFrameSeq(rows[i], seq[i]); };

  // Ascending by (data_time_s, seq), every source.
  EXPECT_THAT(all, ElementsAre(with(1), with(3), with(0), with(2), with(4)));
  // One source; a command code; both.
  EXPECT_THAT(Frames(store(), "S1"), ElementsAre(with(3), with(0), with(2), with(4)));
  EXPECT_THAT(Frames(store(), "S2"), ElementsAre(with(1)));
  EXPECT_THAT(Frames(store(), "S3"), IsEmpty());
  EXPECT_THAT(Frames(store(), "", 2011), ElementsAre(with(1), with(3), with(0)));
  EXPECT_THAT(Frames(store(), "S1", 2011), ElementsAre(with(3), with(0)));
  EXPECT_THAT(Frames(store(), "S2", 2051), IsEmpty());
  // [from, to): from included, to excluded.
  EXPECT_THAT(Frames(store(), "", 0, 940, 1000), ElementsAre(with(3)));
  EXPECT_THAT(Frames(store(), "", 0, 941, 1001), ElementsAre(with(0), with(2)));
  EXPECT_THAT(Frames(store(), "S1", 0, 1000, 3600), ElementsAre(with(0), with(2)));
  EXPECT_THAT(Frames(store(), "", 0, 1000, 1000), IsEmpty());
  EXPECT_THAT(Frames(store(), "", 0, 2000, 1000), IsEmpty());
  // The limit counts the frames returned, after the cn filter.
  EXPECT_THAT(Frames(store(), "", 0, 0, 10000, 2), ElementsAre(with(1), with(3)));
  EXPECT_THAT(Frames(store(), "S1", 2011, 0, 10000, 1), ElementsAre(with(3)));
  EXPECT_THAT(Frames(store(), "", 2061, 0, 10000, 1), ElementsAre(with(4)));
  EXPECT_THAT(Frames(store(), "", 0, 0, 10000, -1), all);

  // A second batch continues the seqs; an empty append reports the last.
  std::vector<EnvFrameRow> more = {MakeFrame("S2", 2011, 1000, 5)};
  auto last2 = store().AppendEnvFrames(more);
  ASSERT_TRUE(last2.ok());
  EXPECT_GT(*last2, *last);
  EXPECT_EQ(*store().AppendEnvFrames({}), *last2);
  EXPECT_THAT(Frames(store(), "", 0, 1000, 1001),
              ElementsAre(with(0), with(2), WithFrameSeq(more[0], *last2)));
}

TEST_P(StoreConformanceTest, EnvFramesAppendIsAllOrNothing) {
  std::vector<EnvFrameRow> good = {MakeFrame("S1", 2011, 100)};
  const int64_t before = *store().AppendEnvFrames(good);
  std::vector<EnvFrameRow> batch = {MakeFrame("S1", 2011, 200, 1), MakeFrame("S2", 2011, 200, 2),
                                    MakeFrame("", 2011, 200, 3), MakeFrame("S1", 2011, 300, 4)};
  auto appended = store().AppendEnvFrames(batch);
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(Frames(store()), ElementsAre(WithFrameSeq(good[0], before)));
  EXPECT_EQ(*store().AppendEnvFrames({}), before);
  // The same batch without the bad row goes through whole, after the first frame.
  batch.erase(batch.begin() + 2);
  auto last = store().AppendEnvFrames(batch);
  ASSERT_TRUE(last.ok()) << last.error().ToString();
  auto all = Frames(store());
  ASSERT_EQ(all.size(), 4u);
  EXPECT_GT(all[1].seq, before);
  EXPECT_EQ(all.back().seq, *last);
}

TEST_P(StoreConformanceTest, EnvFramesSurviveReopen) {
  std::vector<EnvFrameRow> rows;
  for (int i = 0; i < 300; ++i) {
    rows.push_back(MakeFrame("S" + std::to_string(i % 4), i % 3 ? 2011 : 2051, 1000 + i % 50, i));
  }
  const int64_t last = *store().AppendEnvFrames(rows);
  auto before = Frames(store());
  ASSERT_EQ(before.size(), rows.size());
  Reopen();
  EXPECT_EQ(Frames(store()), before);
  EXPECT_EQ(Frames(store(), "S2", 2051).size(), 25u);
  EXPECT_EQ(*store().AppendEnvFrames({}), last);
  std::vector<EnvFrameRow> next = {MakeFrame("S1", 2011, 5000)};
  EXPECT_GT(*store().AppendEnvFrames(next), last);
}

TEST_P(StoreConformanceTest, ConcurrentEnvFrameAppendsGetDistinctSeqs) {
  constexpr int kThreads = 4;
  constexpr int kBatches = 20;
  constexpr int kRows = 10;
  std::vector<std::thread> threads;
  std::atomic<bool> failed{false};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string source = "T" + std::to_string(t);
      for (int b = 0; b < kBatches; ++b) {
        std::vector<EnvFrameRow> batch;
        for (int r = 0; r < kRows; ++r) batch.push_back(MakeFrame(source, 2011, b, r));
        if (!store().AppendEnvFrames(batch).ok()) failed = true;
        (void)Frames(store(), "T" + std::to_string((t + 1) % kThreads));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_FALSE(failed);
  std::set<int64_t> seqs;
  for (int t = 0; t < kThreads; ++t) {
    auto frames = Frames(store(), "T" + std::to_string(t));
    ASSERT_EQ(frames.size(), size_t{kBatches * kRows});
    // One batch is one append: its rows have consecutive seqs.
    for (size_t i = 0; i < frames.size(); ++i) {
      seqs.insert(frames[i].seq);
      if (i % kRows != 0) {
        EXPECT_EQ(frames[i].seq, frames[i - 1].seq + 1);
      }
    }
  }
  EXPECT_EQ(seqs.size(), size_t{kThreads * kBatches * kRows});
}

TEST_P(StoreConformanceTest, EnvHoursUpsertAndReadInKeyOrder) {
  EXPECT_TRUE(store().PutEnvHours({}).ok());
  EXPECT_THAT(Hours(store()), IsEmpty());
  constexpr int64_t h = 3600;
  // Written out of key order; hours of every key on both sides of the ranges read below.
  std::vector<EnvHourRow> rows;
  for (const char* source : {"S2", "S1", "S10"}) {
    for (const char* pollutant : {"a34013", "a21026", "a21002"}) {
      for (int64_t hour : {5, 1, 2, 3, 9}) rows.push_back(MakeHour(source, pollutant, hour * h));
    }
  }
  rows[4].origin = "logger";
  rows[7].flag = "D";
  rows[7].exceeded = true;
  rows[8].load_kg = 0;
  ASSERT_TRUE(store().PutEnvHours(rows).ok());
  auto keys = [](const std::vector<EnvHourRow>& hours) {
    std::vector<std::string> out;
    for (const EnvHourRow& r : hours) {
      out.push_back(fmt::format("{}/{}/{}", r.source, r.pollutant, r.hour_s / 3600));
    }
    return out;
  };
  auto all = Hours(store());
  ASSERT_EQ(all.size(), rows.size());
  for (const EnvHourRow& r : rows) EXPECT_THAT(all, ::testing::Contains(r));
  std::vector<std::string> sorted = keys(all);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return std::tie(a.source, a.pollutant, a.hour_s) < std::tie(b.source, b.pollutant, b.hour_s);
  })) << ::testing::PrintToString(sorted);

  EXPECT_THAT(keys(Hours(store(), "S1", "a21026", 2 * h, 5 * h)),
              ElementsAre("S1/a21026/2", "S1/a21026/3"));
  EXPECT_THAT(keys(Hours(store(), "S1", "", 2 * h, 4 * h)),
              ElementsAre("S1/a21002/2", "S1/a21002/3", "S1/a21026/2", "S1/a21026/3", "S1/a34013/2",
                          "S1/a34013/3"));
  EXPECT_THAT(keys(Hours(store(), "", "a34013", 3 * h, 6 * h)),
              ElementsAre("S1/a34013/3", "S1/a34013/5", "S10/a34013/3", "S10/a34013/5",
                          "S2/a34013/3", "S2/a34013/5"));
  EXPECT_THAT(
      keys(Hours(store(), "", "", 9 * h, 10 * h)),
      ElementsAre("S1/a21002/9", "S1/a21026/9", "S1/a34013/9", "S10/a21002/9", "S10/a21026/9",
                  "S10/a34013/9", "S2/a21002/9", "S2/a21026/9", "S2/a34013/9"));
  EXPECT_THAT(keys(Hours(store(), "", "", 4 * h, 5 * h)), IsEmpty());
  EXPECT_THAT(Hours(store(), "", "", 3 * h, 3 * h), IsEmpty());
  EXPECT_THAT(Hours(store(), "S1", "a21026", 5 * h, 2 * h), IsEmpty());
  EXPECT_THAT(Hours(store(), "S3"), IsEmpty());
  EXPECT_THAT(Hours(store(), "", "a99999"), IsEmpty());
  EXPECT_THAT(Hours(store(), "S1", "a99999"), IsEmpty());
  EXPECT_EQ(Hours(store(), "S2").size(), 15u);
  EXPECT_EQ(Hours(store(), "", "a21002").size(), 15u);

  // An upsert replaces the hour (every field) and leaves the others.
  EnvHourRow revised = MakeHour("S1", "a21026", 2 * h, 61.5);
  revised.origin = "logger";
  revised.flag = "T";
  revised.samples = 0;
  EnvHourRow added = MakeHour("S1", "a21026", 4 * h, 1);
  std::vector<EnvHourRow> update = {revised, added};
  ASSERT_TRUE(store().PutEnvHours(update).ok());
  auto key = Hours(store(), "S1", "a21026");
  ASSERT_EQ(key.size(), 6u);
  EXPECT_EQ(key[1], revised);
  EXPECT_EQ(key[3], added);
  EXPECT_EQ(key[2], MakeHour("S1", "a21026", 3 * h));
  EXPECT_EQ(Hours(store()).size(), rows.size() + 1);
}

TEST_P(StoreConformanceTest, EnvHoursPutIsAllOrNothing) {
  std::vector<EnvHourRow> good = {MakeHour("S1", "a21026", 0), MakeHour("S1", "a21026", 3600)};
  ASSERT_TRUE(store().PutEnvHours(good).ok());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (int variant = 0; variant < 8; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    // An upsert of a stored hour, a new hour, then the bad row.
    std::vector<EnvHourRow> batch = {MakeHour("S1", "a21026", 0, 99), MakeHour("S2", "a21026", 0)};
    EnvHourRow& bad = batch.emplace_back(MakeHour("S3", "a34013", 7200));
    switch (variant) {
      case 0:
        bad.avg = nan;
        break;
      case 1:
        bad.zs_avg = inf;
        break;
      case 2:
        bad.limit = -inf;
        break;
      case 3:
        bad.samples = -1;
        break;
      case 4:
        bad.valid = -1;
        break;
      case 5:
        bad.expected = -60;
        break;
      case 6:
        bad.source.clear();
        break;
      case 7:
        bad.pollutant.clear();
        break;
    }
    Status put = store().PutEnvHours(batch);
    EXPECT_EQ(put.code(), StatusCode::kInvalidArgument) << put.ToString();
    EXPECT_EQ(Hours(store()), good);
  }
}

TEST_P(StoreConformanceTest, EnvHoursSurviveReopen) {
  std::vector<EnvHourRow> rows;
  for (int i = 0; i < 200; ++i) {
    rows.push_back(MakeHour("S" + std::to_string(i % 3), i % 2 ? "a21026" : "a21002",
                            int64_t{3600} * (i / 6), i * 0.5));
  }
  ASSERT_TRUE(store().PutEnvHours(rows).ok());
  auto before = Hours(store());
  ASSERT_EQ(before.size(), rows.size());
  Reopen();
  EXPECT_EQ(Hours(store()), before);
}

TEST_P(StoreConformanceTest, AlarmInsertGetUpdate) {
  EXPECT_FALSE(store().GetAlarm(1)->has_value());
  EXPECT_THAT(Alarms(store()), IsEmpty());
  AlarmRow a = MakeAlarm("exceedance", "open", "E1", "Z01", "S1", "a21026", 1000, 1600);
  a.id = 42;  // ignored: the store assigns ids
  auto id1 = store().InsertAlarm(a);
  ASSERT_TRUE(id1.ok()) << id1.error().ToString();
  auto id2 = store().InsertAlarm(MakeAlarm("data_loss", "open", "E1", "Z01", "S1", "", 2000, 2000));
  ASSERT_TRUE(id2.ok());
  EXPECT_GT(*id2, *id1);
  EXPECT_EQ(**store().GetAlarm(*id1), WithId(a, *id1));
  EXPECT_FALSE(store().GetAlarm(*id2 + 1)->has_value());

  // Acknowledge, then close: every field is rewritten.
  AlarmRow acked = MakeAlarm("exceedance", "acknowledged", "E1", "Z01", "S1", "a21026", 1000, 1900);
  acked.id = *id1;
  acked.occurrences = 7;
  acked.value = 455.25;
  ASSERT_TRUE(store().UpdateAlarm(acked).ok());
  EXPECT_EQ(**store().GetAlarm(*id1), acked);
  AlarmRow closed = MakeAlarm("exceedance", "closed", "E1", "Z01", "S1", "a21026", 1000, 1900);
  closed.id = *id1;
  ASSERT_TRUE(store().UpdateAlarm(closed).ok());
  EXPECT_EQ(**store().GetAlarm(*id1), closed);
  EXPECT_EQ((**store().GetAlarm(*id2)).kind, "data_loss");

  AlarmRow missing = closed;
  missing.id = *id2 + 100;
  EXPECT_EQ(store().UpdateAlarm(missing).code(), StatusCode::kNotFound);
  missing.id = 0;
  EXPECT_EQ(store().UpdateAlarm(missing).code(), StatusCode::kNotFound);

  // Value rules, on insert and on update; nothing changes.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int variant = 0; variant < 4; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    AlarmRow bad = closed;
    switch (variant) {
      case 0:
        bad.state = "cleared";
        break;
      case 1:
        bad.value = nan;
        break;
      case 2:
        bad.limit = std::numeric_limits<double>::infinity();
        break;
      case 3:
        bad.occurrences = -1;
        break;
    }
    EXPECT_EQ(store().InsertAlarm(bad).error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store().UpdateAlarm(bad).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(**store().GetAlarm(*id1), closed);
  }
  EXPECT_THAT(AlarmIds(Alarms(store())), ElementsAre(*id2, *id1));
  // Ids are never reused: the next one follows the last, refused inserts took none.
  auto id3 = store().InsertAlarm(a);
  ASSERT_TRUE(id3.ok());
  EXPECT_GT(*id3, *id2);
}

TEST_P(StoreConformanceTest, ListAlarmsHonoursEveryFilter) {
  // 60 alarms over 3 zones, 4 enterprises, 3 sources, 2 pollutants, 3 kinds and 3 states.
  const std::vector<std::string> states = {"open", "acknowledged", "closed"};
  const std::vector<std::string> kinds = {"exceedance", "data_loss", "device_fault"};
  std::vector<AlarmRow> stored;
  for (int i = 0; i < 60; ++i) {
    AlarmRow a = MakeAlarm(kinds[i % 3], states[(i / 3) % 3], "E" + std::to_string(i % 4),
                           "Z0" + std::to_string(i % 3 == 0   ? 1
                                                 : i % 5 == 0 ? 2
                                                              : 3),
                           "S" + std::to_string(i % 7 % 3), i % 2 ? "a21026" : "", 1000 + 100 * i,
                           1000 + 100 * i + 50 * (i % 6));
    auto id = store().InsertAlarm(a);
    ASSERT_TRUE(id.ok()) << id.error().ToString();
    stored.push_back(WithId(a, *id));
  }
  // The expected answer by brute force over `stored`.
  auto expect = [&](const AlarmFilter& f) {
    std::vector<int64_t> ids;
    for (auto it = stored.rbegin(); it != stored.rend(); ++it) {
      const AlarmRow& a = *it;
      bool zone_ok = f.zones.empty() ||
                     std::find(f.zones.begin(), f.zones.end(), a.zone_code) != f.zones.end();
      bool state_ok =
          f.state.empty() || (f.state == "active" ? a.state == "open" || a.state == "acknowledged"
                                                  : a.state == f.state);
      if (zone_ok && state_ok &&
          (f.enterprise_code.empty() || a.enterprise_code == f.enterprise_code) &&
          (f.source.empty() || a.source == f.source) &&
          (f.pollutant.empty() || a.pollutant == f.pollutant) &&
          (f.kind.empty() || a.kind == f.kind) && (f.from_s == 0 || a.last_s >= f.from_s) &&
          (f.to_s == 0 || a.opened_s < f.to_s) && (f.before_id == 0 || a.id < f.before_id) &&
          (f.limit <= 0 || static_cast<int64_t>(ids.size()) < f.limit)) {
        ids.push_back(a.id);
      }
    }
    return ids;
  };
  std::vector<AlarmFilter> filters;
  filters.emplace_back();
  for (const char* state : {"open", "acknowledged", "closed", "active", "cleared"}) {
    filters.emplace_back().state = state;
  }
  filters.emplace_back().zones = {"Z01"};
  filters.emplace_back().zones = {"Z02", "Z03"};
  filters.emplace_back().zones = {"Z09"};
  filters.emplace_back().enterprise_code = "E2";
  filters.emplace_back().source = "S1";
  filters.emplace_back().pollutant = "a21026";
  filters.emplace_back().kind = "data_loss";
  filters.emplace_back().from_s = 4000;
  filters.emplace_back().to_s = 4000;
  filters.emplace_back().before_id = stored[30].id;
  filters.emplace_back().limit = 7;
  {
    AlarmFilter& f = filters.emplace_back();  // an officer's active alarms, a page of them
    f.zones = {"Z01", "Z03"};
    f.state = "active";
    f.limit = 5;
  }
  {
    AlarmFilter& f = filters.emplace_back();  // everything at once
    f.zones = {"Z01", "Z02", "Z03"};
    f.enterprise_code = "E1";
    f.source = "S1";
    f.pollutant = "a21026";
    f.kind = "device_fault";
    f.state = "acknowledged";
    f.from_s = 1000;
    f.to_s = 7000;
    f.before_id = stored[59].id;
    f.limit = 100;
  }
  {
    AlarmFilter& f = filters.emplace_back();  // a window: open before 4000, still going at 3000
    f.from_s = 3000;
    f.to_s = 4000;
    f.state = "closed";
  }
  for (size_t i = 0; i < filters.size(); ++i) {
    SCOPED_TRACE("filter " + std::to_string(i));
    EXPECT_EQ(AlarmIds(Alarms(store(), filters[i])), expect(filters[i]));
  }
  // The brute force itself, on a few hand-checked answers.
  auto all = Alarms(store());
  ASSERT_EQ(all.size(), 60u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], stored[59 - i]);
  EXPECT_EQ(expect(filters[4]).size(), 42u);   // active: open and acknowledged
  EXPECT_THAT(expect(filters[5]), IsEmpty());  // no state "cleared"
  AlarmFilter page;
  page.limit = 2;
  page.before_id = stored[10].id;
  EXPECT_THAT(AlarmIds(Alarms(store(), page)), ElementsAre(stored[9].id, stored[8].id));
  page.state = "active";
  page.zones = {"Z01"};
  // Below stored[10]: indexes 9, 6, 3, 0 are in Z01; 9 (state 0), 6 (state 2), 3 (state 1).
  EXPECT_THAT(AlarmIds(Alarms(store(), page)), ElementsAre(stored[9].id, stored[3].id));
}

TEST_P(StoreConformanceTest, ListAlarmsPagesByBeforeId) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 23; ++i) {
    ids.push_back(*store().InsertAlarm(
        MakeAlarm("exceedance", i % 4 ? "open" : "closed", "E1", "Z01", "S1", "a21026", i, i)));
  }
  AlarmFilter f;
  f.state = "active";
  f.limit = 5;
  std::vector<int64_t> paged;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = AlarmIds(Alarms(store(), f));
    if (page.empty()) break;
    EXPECT_LE(page.size(), 5u);
    paged.insert(paged.end(), page.begin(), page.end());
    f.before_id = page.back();
  }
  f.before_id = 0;
  f.limit = 0;
  EXPECT_EQ(paged, AlarmIds(Alarms(store(), f)));
  EXPECT_EQ(paged.size(), 17u);
  EXPECT_TRUE(std::is_sorted(paged.rbegin(), paged.rend()));
}

TEST_P(StoreConformanceTest, AlarmsSurviveReopen) {
  std::vector<AlarmRow> rows;
  for (int i = 0; i < 20; ++i) {
    AlarmRow a = MakeAlarm("exceedance", i % 3 ? "open" : "closed", "E1", "Z01", "S1", "a21026",
                           i * 10, i * 10 + 5);
    rows.push_back(WithId(a, *store().InsertAlarm(a)));
  }
  rows[4].state = "acknowledged";
  rows[4].acknowledged_by = "officer1";
  ASSERT_TRUE(store().UpdateAlarm(rows[4]).ok());
  auto before = Alarms(store());
  Reopen();
  EXPECT_EQ(Alarms(store()), before);
  EXPECT_EQ(**store().GetAlarm(rows[4].id), rows[4]);
  auto next = store().InsertAlarm(rows[0]);
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, rows.back().id);
}

// Further backends register here: add their name to the list and a case to SetUp().
INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, ::testing::Values("memory", "sqlite"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// ---- OpenStore URLs and memory names.

TEST(OpenStoreTest, Urls) {
  EXPECT_EQ(OpenStore("").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("sqlite:").error().code(), StatusCode::kInvalidArgument);
  auto pg = OpenStore("postgres://localhost/park");
  EXPECT_EQ(pg.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(pg.error().message(), HasSubstr("postgres"));

  std::string dir = MakeTempDir();
  auto bare = OpenStore(dir + "/bare.zpdb");
  ASSERT_TRUE(bare.ok()) << bare.error().ToString();
  EXPECT_EQ((*bare)->backend(), "sqlite");
  auto with_colon = OpenStore(dir + "/odd:name.db");
  ASSERT_TRUE(with_colon.ok()) << with_colon.error().ToString();
  EXPECT_EQ((*with_colon)->backend(), "sqlite");
  EXPECT_TRUE(std::filesystem::exists(dir + "/odd:name.db"));
  auto in_memory = OpenStore("sqlite::memory:");
  ASSERT_TRUE(in_memory.ok()) << in_memory.error().ToString();
  ASSERT_TRUE((*in_memory)->PutSetting("k", "v").ok());
  EXPECT_EQ(**(*in_memory)->GetSetting("k"), "v");
  EXPECT_EQ((*in_memory)->DiskBytes(), 0);

  auto missing_dir = OpenStore("sqlite:" + dir + "/no/such/dir/x.zpdb");
  EXPECT_EQ(missing_dir.error().code(), StatusCode::kNotFound);
  bare->reset();
  with_colon->reset();
  std::filesystem::remove_all(dir);
}

TEST(OpenStoreTest, MemoryNamesShareDataUntilDropped) {
  auto a = OpenStore("memory:shared-name");
  auto b = OpenStore("memory:shared-name");
  auto anon1 = OpenStore("memory:");
  auto anon2 = OpenStore("memory:");
  ASSERT_TRUE(a.ok() && b.ok() && anon1.ok() && anon2.ok());
  ASSERT_TRUE((*a)->PutSetting("k", "v").ok());
  EXPECT_EQ(**(*b)->GetSetting("k"), "v");
  ASSERT_TRUE((*anon1)->PutSetting("k", "v").ok());
  EXPECT_FALSE((*anon2)->GetSetting("k")->has_value());

  DropMemoryStore("shared-name");
  EXPECT_EQ(**(*a)->GetSetting("k"), "v");  // open handles keep their data
  auto c = OpenStore("memory:shared-name");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE((*c)->GetSetting("k")->has_value());
  DropMemoryStore("shared-name");
}

// ---- SQLite only: file format, versions, durability.

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    path_ = dir_ + "/park.zpdb";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string LogDir() const { return path_ + "-log"; }
  // The segment files, oldest first.
  std::vector<std::string> Segments() const {
    std::vector<std::string> out;
    if (!std::filesystem::exists(LogDir())) return out;
    for (const auto& e : std::filesystem::directory_iterator(LogDir())) {
      if (e.path().extension() == ".log") out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string Segment(std::string_view name) const { return LogDir() + "/" + std::string(name); }
  int64_t SegmentBytes() const {
    int64_t total = 0;
    for (const std::string& name : Segments()) {
      total += static_cast<int64_t>(std::filesystem::file_size(Segment(name)));
    }
    return total;
  }
  // What DiskBytes should say.
  int64_t FileBytes() const {
    int64_t wal = std::filesystem::exists(path_ + "-wal")
                      ? static_cast<int64_t>(std::filesystem::file_size(path_ + "-wal"))
                      : 0;
    return static_cast<int64_t>(std::filesystem::file_size(path_)) + wal + SegmentBytes();
  }
  static std::string ReadBytes(const std::string& file) {
    std::ifstream f(file, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  static void WriteBytes(const std::string& file, std::string_view bytes, bool append) {
    std::ofstream f(file, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::unique_ptr<SqliteStore> OpenOrDie() {
    auto opened = SqliteStore::Open(path_);
    EXPECT_TRUE(opened.ok()) << opened.error().ToString();
    return opened.ok() ? std::move(*opened) : nullptr;
  }
  static int64_t Append(Store& store, std::vector<std::string> payloads) {
    auto seq = store.AppendLog(payloads);
    EXPECT_TRUE(seq.ok()) << seq.error().ToString();
    return seq.ok() ? *seq : -1;
  }
  static Status Truncate(Store& store, int64_t upto) {
    FlushBatch batch;
    batch.log_truncate_upto = upto;
    return store.Commit(batch);
  }

  std::string Schema(SqliteStore& store) {
    return *store.QueryForTesting(
        "SELECT group_concat(type || ' ' || name || ': ' || coalesce(sql, ''), char(10)) "
        "FROM (SELECT * FROM sqlite_schema ORDER BY name)");
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, NewFileIsConfiguredForDurability) {
  auto store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ(*(*store)->QueryForTesting("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*(*store)->QueryForTesting("PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(*(*store)->QueryForTesting("PRAGMA page_size"), "8192");
  EXPECT_EQ(*(*store)->QueryForTesting("PRAGMA user_version"), std::to_string(kSchemaVersion));
  EXPECT_EQ(*(*store)->QueryForTesting("SELECT value FROM meta WHERE key = 'schema_version'"),
            std::to_string(kSchemaVersion));
  EXPECT_EQ(*(*store)->QueryForTesting("PRAGMA application_id"), std::to_string(0x5A504442));
}

TEST_F(SqliteStoreTest, MigratesVersion1File) {
  ASSERT_TRUE(CreateSqliteAtVersionForTesting(path_, 1).ok());
  ASSERT_TRUE(ExecSqliteForTesting(path_, R"sql(
      INSERT INTO zones (code, name, officer, officer_contact) VALUES ('Z01', '第一网格', '王', '');
      INSERT INTO meters (code, name, enterprise_code, carrier, unit, kind, flow, interval_s,
                          register_digits, multiplier, parent_code, formula)
        VALUES ('M1', '总表', 'E1', 'electricity', 'kWh', 'cumulative', 'consumption', 900, 6,
                80.0, '', '');
      INSERT INTO chunks (series_id, day, resolution_s, data, count, sum)
        VALUES (1, 19000, 0, x'0102', 96, 1234.5), (1, 19001, 3600, x'03', 24, 10);
      INSERT INTO month_sums (series_id, month, sum, count) VALUES (1, 624, 1244.5, 120);
      INSERT INTO settings (key, value) VALUES ('demo', 'yes');
      INSERT INTO ingest_log (payload) VALUES (x'aa'), (x'bb'), (x''), (x'00ff00');
      DELETE FROM ingest_log WHERE seq = 1;
  )sql")
                  .ok());
  {
    auto opened = OpenStore("sqlite:" + path_);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    Store& store = **opened;
    auto zones = *store.ListZones();
    ASSERT_EQ(zones.size(), 1u);
    EXPECT_EQ(zones[0].name, "第一网格");
    auto meters = *store.ListMeters();
    ASSERT_EQ(meters.size(), 1u);
    EXPECT_EQ(meters[0].kind, model::MeterKind::kCumulative);
    EXPECT_EQ(meters[0].register_digits, 6);
    EXPECT_EQ(meters[0].multiplier, 80.0);

    Chunk old_raw{1, 19000, 0, std::string("\x01\x02", 2), 96, 1234.5, 0, 0};
    Chunk old_hourly{1, 19001, 3600, "\x03", 24, 10, 0, 0};
    EXPECT_THAT(Chunks(store, 1, 0, 100000), ElementsAre(old_raw, old_hourly));
    EXPECT_THAT(Months(store, {1}, 0, 1000), ElementsAre(MonthSum{1, 624, 1244.5, 120}));
    EXPECT_EQ(**store.GetSetting("demo"), "yes");
    // The unflushed rows of v1's ingest_log moved into a segment named after the first of them.
    EXPECT_THAT(Segments(), ElementsAre("00000000000000000002.log"));
    EXPECT_THAT(ReadAllLog(store), ElementsAre(std::make_tuple(2, "\xbb"), std::make_tuple(3, ""),
                                               std::make_tuple(4, std::string("\x00\xff\x00", 3))));
    std::vector<std::string> payloads = {"next"};
    EXPECT_EQ(*store.AppendLog(payloads), 5);
    ASSERT_TRUE(Truncate(store, 3).ok());
    EXPECT_THAT(ReadAllLog(store), ElementsAre(std::make_tuple(4, std::string("\x00\xff\x00", 3)),
                                               std::make_tuple(5, "next")));

    // The version-2 columns and table work on the migrated file.
    FlushBatch batch;
    batch.chunks = {Chunk{1, 19002, 0, "new", 3, 1, 2, 7}};
    batch.corrections = {{1, 1641600000, 1, 2, "test", 1641600001}};
    ASSERT_TRUE(store.Commit(batch).ok());
    EXPECT_THAT(Chunks(store, 1, 19002, 19003), ElementsAre(batch.chunks[0]));
    std::vector<Correction> corrections;
    ASSERT_TRUE(store.ReadCorrections(1, 0, 2000000000, &corrections).ok());
    EXPECT_THAT(corrections, ElementsAre(batch.corrections[0]));
  }
  // The migrated file has exactly the schema of a new one.
  auto migrated = SqliteStore::Open(path_);
  ASSERT_TRUE(migrated.ok());
  EXPECT_EQ(*(*migrated)->QueryForTesting("PRAGMA user_version"), std::to_string(kSchemaVersion));
  EXPECT_EQ(*(*migrated)->QueryForTesting("SELECT value FROM meta WHERE key = 'schema_version'"),
            std::to_string(kSchemaVersion));
  auto fresh = SqliteStore::Open(dir_ + "/fresh.zpdb");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(Schema(**migrated), Schema(**fresh));
  EXPECT_THAT(Schema(**fresh), HasSubstr("corrections"));
  EXPECT_THAT(Schema(**fresh), Not(HasSubstr("ingest_log")));
  EXPECT_THAT(Schema(**fresh), Not(HasSubstr("chunks_raw_by_day")));
  EXPECT_THAT(
      ReadAllLog(**migrated),
      ElementsAre(std::make_tuple(4, std::string("\x00\xff\x00", 3)), std::make_tuple(5, "next")));
}

// Migration 2 -> 3 adds the enterprise_data table; everything of version 2 stays.
TEST_F(SqliteStoreTest, MigratesVersion2File) {
  ASSERT_TRUE(CreateSqliteAtVersionForTesting(path_, 2).ok());
  ASSERT_TRUE(ExecSqliteForTesting(path_, R"sql(
      INSERT INTO park (id, name, province, time_zone, grid_region, raw_retention_days)
        VALUES (1, '园区', '辽宁', 'Asia/Shanghai', 'northeast', 30);
      INSERT INTO enterprises (code, name, industry_code, land_area_mu, zone_code,
                               key_energy_user)
        VALUES ('91210100MA0000001X', '沈阳某某', 'C3670', 12.5, 'Z01', 1);
      INSERT INTO chunks (series_id, day, resolution_s, data, count, sum, flagged, suspect_zero)
        VALUES (1, 19000, 0, x'0102', 96, 1234.5, 2, 3);
      INSERT INTO month_sums (series_id, month, sum, count) VALUES (1, 624, 1234.5, 96);
      INSERT INTO corrections (series_id, ts_s, old_value, new_value, source, recorded_s)
        VALUES (1, 1641600000, 1, 2, 'POST /write', 1641600001);
      INSERT INTO settings (key, value) VALUES ('demo', 'yes');
      INSERT INTO meta (key, value) VALUES ('log_flushed_upto', '41');
  )sql")
                  .ok());
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->QueryForTesting("PRAGMA user_version"), std::to_string(kSchemaVersion));
    EXPECT_EQ(**store->GetPark(), (model::Park{"园区", "辽宁", "Asia/Shanghai", "northeast", 30}));
    auto enterprises = *store->ListEnterprises();
    ASSERT_EQ(enterprises.size(), 1u);
    EXPECT_EQ(enterprises[0].land_area_mu, 12.5);
    EXPECT_THAT(Chunks(*store, 1, 0, 100000),
                ElementsAre(Chunk{1, 19000, 0, std::string("\x01\x02", 2), 96, 1234.5, 2, 3}));
    EXPECT_THAT(Months(*store, {1}, 0, 1000), ElementsAre(MonthSum{1, 624, 1234.5, 96}));
    std::vector<Correction> corrections;
    ASSERT_TRUE(store->ReadCorrections(1, 0, 2000000000, &corrections).ok());
    EXPECT_THAT(corrections,
                ElementsAre(Correction{1, 1641600000, 1, 2, "POST /write", 1641600001}));
    EXPECT_EQ(**store->GetSetting("demo"), "yes");
    // The log sequence continues where version 2 left it.
    EXPECT_EQ(Append(*store, {"next"}), 42);

    // The new table works on the migrated file.
    std::vector<model::EnterpriseDatum> rows = {
        MakeDatum("91210100MA0000001X", "added_value", 3, 12.5)};
    EXPECT_EQ(*store->AppendEnterpriseData(rows), 1);
    EXPECT_THAT(EnterpriseData(*store), ElementsAre(WithSeq(rows[0], 1)));
  }
  auto migrated = OpenOrDie();
  ASSERT_NE(migrated, nullptr);
  EXPECT_EQ(EnterpriseData(*migrated).size(), 1u);
  auto fresh = SqliteStore::Open(dir_ + "/fresh.zpdb");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(Schema(*migrated), Schema(**fresh));
  EXPECT_THAT(Schema(**fresh), HasSubstr("enterprise_data_by_key"));
}

// Migration 3 -> 4 adds users, credentials and the audit log; everything of version 3 stays.
TEST_F(SqliteStoreTest, MigratesVersion3File) {
  ASSERT_TRUE(CreateSqliteAtVersionForTesting(path_, 3).ok());
  ASSERT_TRUE(ExecSqliteForTesting(path_, R"sql(
      INSERT INTO park (id, name, province, time_zone, grid_region, raw_retention_days)
        VALUES (1, '园区', '辽宁', 'Asia/Shanghai', 'northeast', 30);
      INSERT INTO zones (code, name, officer, officer_contact) VALUES ('Z01', '第一网格', '王', '');
      INSERT INTO chunks (series_id, day, resolution_s, data, count, sum, flagged, suspect_zero)
        VALUES (1, 19000, 0, x'0102', 96, 1234.5, 2, 3);
      INSERT INTO enterprise_data (enterprise_code, indicator, item, year, month, value, unit,
                                   source, note, recorded_s, deleted)
        VALUES ('91210100MA0000001X', 'revenue', '', 2025, 3, 12.5, '10k CNY', 'csv', '', 7, 0);
      INSERT INTO settings (key, value) VALUES ('demo', 'yes');
      INSERT INTO meta (key, value) VALUES ('log_flushed_upto', '9');
  )sql")
                  .ok());
  int64_t user = 0;
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->QueryForTesting("PRAGMA user_version"), std::to_string(kSchemaVersion));
    EXPECT_EQ(*store->QueryForTesting("SELECT value FROM meta WHERE key = 'schema_version'"),
              std::to_string(kSchemaVersion));
    EXPECT_EQ(**store->GetPark(), (model::Park{"园区", "辽宁", "Asia/Shanghai", "northeast", 30}));
    auto zones = *store->ListZones();
    ASSERT_EQ(zones.size(), 1u);
    EXPECT_EQ(zones[0].name, "第一网格");
    EXPECT_THAT(Chunks(*store, 1, 0, 100000),
                ElementsAre(Chunk{1, 19000, 0, std::string("\x01\x02", 2), 96, 1234.5, 2, 3}));
    auto data = EnterpriseData(*store);
    ASSERT_EQ(data.size(), 1u);
    EXPECT_EQ(data[0].value, 12.5);
    EXPECT_EQ(**store->GetSetting("demo"), "yes");
    EXPECT_EQ(Append(*store, {"next"}), 10);

    // The new tables work on the migrated file.
    EXPECT_THAT(*store->ListUsers(), IsEmpty());
    user = *store->InsertUser(MakeUser("alice", "admin"));
    EXPECT_EQ(store->InsertUser(MakeUser("Alice")).error().code(), StatusCode::kAlreadyExists);
    ASSERT_TRUE(store->InsertCredential(MakeCredential(user, std::string(64, 'a'))).ok());
    EXPECT_EQ(*store->AppendAudit(MakeAudit(1, "alice", "user alice")), 1);
  }
  auto migrated = OpenOrDie();
  ASSERT_NE(migrated, nullptr);
  EXPECT_EQ(**migrated->FindUser("ALICE"), WithId(MakeUser("alice", "admin"), user));
  EXPECT_EQ(Audit(*migrated).size(), 1u);
  EXPECT_EQ(EnterpriseData(*migrated).size(), 1u);
  auto fresh = SqliteStore::Open(dir_ + "/fresh.zpdb");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(Schema(*migrated), Schema(**fresh));
  EXPECT_THAT(Schema(**fresh), HasSubstr("users_by_name"));
  EXPECT_THAT(Schema(**fresh), HasSubstr("credentials_by_secret"));
  EXPECT_THAT(Schema(**fresh), HasSubstr("audit_log_no_delete"));
}

// The audit log refuses UPDATE and DELETE even from a plain connection; inserts still work.
TEST_F(SqliteStoreTest, AuditLogIsAppendOnly) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->AppendAudit(MakeAudit(1, "alice", "meter M1")).ok());
    ASSERT_TRUE(store->AppendAudit(MakeAudit(2, "bob", "meter M2")).ok());
    auto update = store->QueryForTesting("UPDATE audit_log SET actor = 'mallory'");
    ASSERT_FALSE(update.ok());
    EXPECT_THAT(update.error().message(), HasSubstr("audit_log is append-only"));
    auto remove = store->QueryForTesting("DELETE FROM audit_log WHERE seq = 1");
    ASSERT_FALSE(remove.ok());
    EXPECT_THAT(remove.error().message(), HasSubstr("audit_log is append-only"));
  }
  Status update = ExecSqliteForTesting(path_, "UPDATE audit_log SET status = 500 WHERE seq = 2");
  EXPECT_FALSE(update.ok());
  EXPECT_THAT(update.message(), HasSubstr("append-only"));
  EXPECT_FALSE(ExecSqliteForTesting(path_, "DELETE FROM audit_log").ok());
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto rows = Audit(*store);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].actor, "alice");
  EXPECT_EQ(rows[1].status, 200);
  // The seq after the last row, never a reused one.
  EXPECT_EQ(*store->AppendAudit(MakeAudit(3, "carol", "")), 3);
}

// Migration 4 -> 5 adds the green-power ledger; everything of version 4 stays.
TEST_F(SqliteStoreTest, MigratesVersion4File) {
  ASSERT_TRUE(CreateSqliteAtVersionForTesting(path_, 4).ok());
  ASSERT_TRUE(ExecSqliteForTesting(path_, R"sql(
      INSERT INTO park (id, name, province, time_zone, grid_region, raw_retention_days)
        VALUES (1, '园区', '辽宁', 'Asia/Shanghai', 'northeast', 30);
      INSERT INTO zones (code, name, officer, officer_contact) VALUES ('Z01', '第一网格', '王', '');
      INSERT INTO chunks (series_id, day, resolution_s, data, count, sum, flagged, suspect_zero)
        VALUES (1, 19000, 0, x'0102', 96, 1234.5, 2, 3);
      INSERT INTO users (username, display_name, role, password_hash, enterprise_code, zones,
                         disabled, created_s)
        VALUES ('alice', 'Alice', 'auditor', '', '', '', 0, 5);
      INSERT INTO audit_log (ts_s, actor, role, action, target, before_json, after_json, remote,
                             status)
        VALUES (1, 'alice', 'auditor', 'GET', 'x', '', '', 'cli', 0);
      INSERT INTO settings (key, value) VALUES ('demo', 'yes');
  )sql")
                  .ok());
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->QueryForTesting("PRAGMA user_version"), std::to_string(kSchemaVersion));
    EXPECT_EQ(*store->QueryForTesting("SELECT value FROM meta WHERE key = 'schema_version'"),
              std::to_string(kSchemaVersion));
    EXPECT_EQ(**store->GetPark(), (model::Park{"园区", "辽宁", "Asia/Shanghai", "northeast", 30}));
    EXPECT_EQ((*store->ListZones()).size(), 1u);
    EXPECT_THAT(Chunks(*store, 1, 0, 100000),
                ElementsAre(Chunk{1, 19000, 0, std::string("\x01\x02", 2), 96, 1234.5, 2, 3}));
    EXPECT_EQ((**store->FindUser("alice")).role, "auditor");
    EXPECT_EQ(Audit(*store).size(), 1u);
    EXPECT_EQ(**store->GetSetting("demo"), "yes");
    // The new table works on the migrated file.
    EXPECT_EQ(*store->LedgerSize(), 0);
    std::vector<LedgerRow> rows = {MakeLedgerRow(1), MakeLedgerRow(2)};
    ASSERT_TRUE(store->AppendLedger(rows).ok());
  }
  auto migrated = OpenOrDie();
  ASSERT_NE(migrated, nullptr);
  EXPECT_THAT(Ledger(*migrated), ElementsAre(MakeLedgerRow(1), MakeLedgerRow(2)));
  EXPECT_EQ(Audit(*migrated).size(), 1u);
  auto fresh = SqliteStore::Open(dir_ + "/fresh.zpdb");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(Schema(*migrated), Schema(**fresh));
  EXPECT_THAT(Schema(**fresh), HasSubstr("ledger_no_update"));
  EXPECT_THAT(Schema(**fresh), HasSubstr("ledger_no_delete"));
}

// The ledger refuses UPDATE and DELETE even from a plain connection; appends still work.
TEST_F(SqliteStoreTest, LedgerIsAppendOnly) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    std::vector<LedgerRow> rows = {MakeLedgerRow(1), MakeLedgerRow(2)};
    ASSERT_TRUE(store->AppendLedger(rows).ok());
    auto update = store->QueryForTesting("UPDATE ledger SET actor = 'mallory'");
    ASSERT_FALSE(update.ok());
    EXPECT_THAT(update.error().message(), HasSubstr("ledger is append-only"));
    auto remove = store->QueryForTesting("DELETE FROM ledger WHERE seq = 2");
    ASSERT_FALSE(remove.ok());
    EXPECT_THAT(remove.error().message(), HasSubstr("ledger is append-only"));
  }
  Status update = ExecSqliteForTesting(path_, "UPDATE ledger SET fields = '{}' WHERE seq = 1");
  EXPECT_FALSE(update.ok());
  EXPECT_THAT(update.message(), HasSubstr("append-only"));
  EXPECT_FALSE(ExecSqliteForTesting(path_, "DELETE FROM ledger").ok());
  // A duplicate seq is refused by the primary key even past the store's own check.
  EXPECT_FALSE(ExecSqliteForTesting(path_,
                                    "INSERT INTO ledger (seq, time_s, kind, actor, fields, "
                                    "prev_hash, hash) VALUES (2, 0, 'claim', 'x', '{}', '', '')")
                   .ok());
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Ledger(*store), ElementsAre(MakeLedgerRow(1), MakeLedgerRow(2)));
  LedgerRow next = MakeLedgerRow(3);
  EXPECT_TRUE(store->AppendLedger(std::span(&next, 1)).ok());
}

// Migration 5 -> 6 adds the environmental-monitoring tables; everything of version 5 stays.
TEST_F(SqliteStoreTest, MigratesVersion5File) {
  ASSERT_TRUE(CreateSqliteAtVersionForTesting(path_, 5).ok());
  ASSERT_TRUE(ExecSqliteForTesting(path_, R"sql(
      INSERT INTO park (id, name, province, time_zone, grid_region, raw_retention_days)
        VALUES (1, '园区', '辽宁', 'Asia/Shanghai', 'northeast', 30);
      INSERT INTO zones (code, name, officer, officer_contact) VALUES ('Z01', '第一网格', '王', '');
      INSERT INTO chunks (series_id, day, resolution_s, data, count, sum, flagged, suspect_zero)
        VALUES (1, 19000, 0, x'0102', 96, 1234.5, 2, 3);
      INSERT INTO audit_log (ts_s, actor, role, action, target, before_json, after_json, remote,
                             status)
        VALUES (1, 'alice', 'auditor', 'GET', 'x', '', '', 'cli', 0);
      INSERT INTO ledger (seq, time_s, kind, actor, fields, prev_hash, hash)
        VALUES (1, 5, 'issuance', 'a', '{}', '', 'h');
      INSERT INTO settings (key, value) VALUES ('demo', 'yes');
      INSERT INTO meta (key, value) VALUES ('log_flushed_upto', '12');
  )sql")
                  .ok());
  std::vector<EnvFrameRow> frames = {MakeFrame("S1", 2011, 1000), MakeFrame("S2", 2051, 900)};
  std::vector<EnvHourRow> hours = {MakeHour("S1", "a21026", 0)};
  AlarmRow alarm = MakeAlarm("exceedance", "open", "E1", "Z01", "S1", "a21026", 1000, 1000);
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->QueryForTesting("PRAGMA user_version"), std::to_string(kSchemaVersion));
    EXPECT_EQ(*store->QueryForTesting("SELECT value FROM meta WHERE key = 'schema_version'"),
              std::to_string(kSchemaVersion));
    EXPECT_EQ(**store->GetPark(), (model::Park{"园区", "辽宁", "Asia/Shanghai", "northeast", 30}));
    EXPECT_EQ((*store->ListZones()).size(), 1u);
    EXPECT_THAT(Chunks(*store, 1, 0, 100000),
                ElementsAre(Chunk{1, 19000, 0, std::string("\x01\x02", 2), 96, 1234.5, 2, 3}));
    EXPECT_EQ(Audit(*store).size(), 1u);
    EXPECT_EQ(*store->LedgerSize(), 1);
    EXPECT_EQ(**store->GetSetting("demo"), "yes");
    EXPECT_EQ(Append(*store, {"next"}), 13);
    // The new tables work on the migrated file.
    EXPECT_EQ(*store->AppendEnvFrames(frames), 2);
    ASSERT_TRUE(store->PutEnvHours(hours).ok());
    EXPECT_EQ(*store->InsertAlarm(alarm), 1);
  }
  auto migrated = OpenOrDie();
  ASSERT_NE(migrated, nullptr);
  EXPECT_THAT(Frames(*migrated),
              ElementsAre(WithFrameSeq(frames[1], 2), WithFrameSeq(frames[0], 1)));
  EXPECT_EQ(Hours(*migrated), hours);
  EXPECT_THAT(Alarms(*migrated), ElementsAre(WithId(alarm, 1)));
  EXPECT_EQ(Ledger(*migrated).size(), 1u);
  auto fresh = SqliteStore::Open(dir_ + "/fresh.zpdb");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(Schema(*migrated), Schema(**fresh));
  for (const char* object :
       {"env_frames_by_source_time", "env_frames_by_time", "env_frames_no_update",
        "env_frames_no_delete", "env_hours", "env_alarms_by_zone", "env_alarms_by_enterprise",
        "env_alarms_active", "env_alarms_active_by_zone"}) {
    EXPECT_THAT(Schema(**fresh), HasSubstr(object));
  }
}

// The frames refuse UPDATE and DELETE even from a plain connection; appends still work.
TEST_F(SqliteStoreTest, EnvFramesAreAppendOnly) {
  std::vector<EnvFrameRow> frames = {MakeFrame("S1", 2011, 1000), MakeFrame("S1", 2011, 1060)};
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->AppendEnvFrames(frames).ok());
    auto update = store->QueryForTesting("UPDATE env_frames SET segment = ''");
    ASSERT_FALSE(update.ok());
    EXPECT_THAT(update.error().message(), HasSubstr("env_frames is append-only"));
    auto remove = store->QueryForTesting("DELETE FROM env_frames WHERE seq = 1");
    ASSERT_FALSE(remove.ok());
    EXPECT_THAT(remove.error().message(), HasSubstr("env_frames is append-only"));
  }
  EXPECT_FALSE(ExecSqliteForTesting(path_, "UPDATE env_frames SET cn = 2051 WHERE seq = 2").ok());
  EXPECT_FALSE(ExecSqliteForTesting(path_, "DELETE FROM env_frames").ok());
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Frames(*store), ElementsAre(WithFrameSeq(frames[0], 1), WithFrameSeq(frames[1], 2)));
  std::vector<EnvFrameRow> next = {MakeFrame("S2", 2011, 1000)};
  EXPECT_EQ(*store->AppendEnvFrames(next), 3);
}

// The environmental reads use their indexes: no scan of a table, no sort. The frame and hour
// statements are those of sqlite_store.cc; ListAlarms's are built from the filter.
TEST_F(SqliteStoreTest, EnvReadsUseTheirIndexes) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto plan = [&](std::string_view sql) {
    auto p = store->QueryPlanForTesting(sql);
    EXPECT_TRUE(p.ok()) << p.error().ToString();
    return p.ok() ? *p : std::string();
  };
  const std::string frames_of_source = plan(
      "SELECT seq, received_ms, source, mn, cn, data_time_s, segment FROM env_frames "
      "WHERE source = ?1 AND data_time_s >= ?2 AND data_time_s < ?3 AND (?4 = 0 OR cn = ?4) "
      "ORDER BY data_time_s, seq LIMIT ?5");
  EXPECT_THAT(frames_of_source, HasSubstr("USING INDEX env_frames_by_source_time"));
  EXPECT_THAT(frames_of_source, Not(HasSubstr("TEMP B-TREE")));
  const std::string frames_all = plan(
      "SELECT seq, received_ms, source, mn, cn, data_time_s, segment FROM env_frames "
      "WHERE data_time_s >= ?2 AND data_time_s < ?3 AND (?4 = 0 OR cn = ?4) "
      "ORDER BY data_time_s, seq LIMIT ?5");
  EXPECT_THAT(frames_all, HasSubstr("USING INDEX env_frames_by_time"));
  EXPECT_THAT(frames_all, Not(HasSubstr("TEMP B-TREE")));
  for (const char* where :
       {"WHERE source = ?1 AND pollutant = ?2 AND hour_s >= ?3 AND hour_s < ?4 "
        "ORDER BY hour_s",
        "WHERE (source, pollutant, hour_s) >= (?1, ?2, ?3) "
        "ORDER BY source, pollutant, hour_s",
        "WHERE (source, pollutant) > (?1, ?2) ORDER BY source, pollutant, hour_s",
        "WHERE source > ?1 ORDER BY source, pollutant, hour_s"}) {
    SCOPED_TRACE(where);
    const std::string hours = plan(std::string("SELECT * FROM env_hours ") + where);
    EXPECT_THAT(hours, HasSubstr("SEARCH env_hours USING PRIMARY KEY"));
    EXPECT_THAT(hours, Not(HasSubstr("TEMP B-TREE")));
  }
  AlarmFilter officer;
  officer.zones = {"Z01", "Z02"};
  officer.state = "active";
  officer.limit = 100;
  EXPECT_THAT(plan(ListAlarmsSqlForTesting(officer)), HasSubstr("INDEX env_alarms_active_by_zone"));
  AlarmFilter active;
  active.state = "active";
  EXPECT_THAT(plan(ListAlarmsSqlForTesting(active)), HasSubstr("INDEX env_alarms_active"));
  EXPECT_THAT(plan(ListAlarmsSqlForTesting(active)), Not(HasSubstr("TEMP B-TREE")));
  AlarmFilter zone;
  zone.zones = {"Z01"};
  zone.limit = 100;
  EXPECT_THAT(plan(ListAlarmsSqlForTesting(zone)), HasSubstr("INDEX env_alarms_by_zone"));
  AlarmFilter enterprise;
  enterprise.enterprise_code = "E1";
  EXPECT_THAT(plan(ListAlarmsSqlForTesting(enterprise)),
              HasSubstr("INDEX env_alarms_by_enterprise"));
  AlarmFilter open;
  open.state = "open";
  open.before_id = 500;
  EXPECT_THAT(plan(ListAlarmsSqlForTesting(open)), HasSubstr("INDEX env_alarms_active (id<?)"));
}

// Appends frames as the HJ 212 benchmark does (batches of hundreds) and logs the rate.
TEST_F(SqliteStoreTest, EnvFrameAppendRate) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  constexpr int kBatches = 50;
  constexpr int kRows = 800;
  std::vector<std::vector<EnvFrameRow>> batches(kBatches);
  for (int b = 0; b < kBatches; ++b) {
    for (int r = 0; r < kRows; ++r) {
      batches[b].push_back(MakeFrame("S" + std::to_string(r % 40), r % 2 ? 2011 : 2051,
                                     1767225600 + b * 30 + r % 30, b * kRows + r));
    }
  }
  const auto start = std::chrono::steady_clock::now();
  int64_t last = 0;
  for (const auto& batch : batches) {
    auto appended = store->AppendEnvFrames(batch);
    ASSERT_TRUE(appended.ok()) << appended.error().ToString();
    last = *appended;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(last, kBatches * kRows);
  std::printf("AppendEnvFrames: %d frames in batches of %d in %.3f s: %.0f frames/s\n",
              kBatches * kRows, kRows, seconds, kBatches * kRows / seconds);
  EXPECT_EQ(Frames(*store, "S7", 2011).size(), size_t{kBatches * kRows / 40});
}

// A v1 file whose log was flushed empty: the sequence continues after the last seq it handed out.
TEST_F(SqliteStoreTest, MigratesVersion1FileWithEmptyLog) {
  ASSERT_TRUE(CreateSqliteAtVersionForTesting(path_, 1).ok());
  ASSERT_TRUE(ExecSqliteForTesting(path_, R"sql(
      INSERT INTO ingest_log (payload) VALUES (x'01'), (x'02'), (x'03'), (x'04'), (x'05'), (x'06'),
                                              (x'07');
      DELETE FROM ingest_log;
  )sql")
                  .ok());
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(ReadAllLog(*store), IsEmpty());
  EXPECT_EQ(*store->AppendLog({}), 7);
  EXPECT_EQ(Append(*store, {"eight"}), 8);
  EXPECT_EQ(*store->QueryForTesting("SELECT value FROM meta WHERE key = 'log_flushed_upto'"), "7");
  store.reset();
  store = OpenOrDie();
  EXPECT_THAT(ReadAllLog(*store), ElementsAre(std::make_tuple(8, "eight")));
}

// A migration that wrote its segment but crashed before its transaction committed runs again on
// the next open: the segment it left is replaced, not added to.
TEST_F(SqliteStoreTest, MigrationInterruptedAfterWritingSegmentsRunsAgain) {
  ASSERT_TRUE(CreateSqliteAtVersionForTesting(path_, 1).ok());
  ASSERT_TRUE(ExecSqliteForTesting(
                  path_, "INSERT INTO ingest_log (payload) VALUES (x'61'), (x'62'), (x'63')")
                  .ok());
  // What the crashed attempt left: the directory, its lock file and a segment of the same rows,
  // plus one from some other numbering.
  std::filesystem::create_directory(LogDir());
  WriteBytes(LogDir() + "/LOCK", "", false);
  auto half = SegmentLog::Lock(LogDir() + "-scratch");
  ASSERT_TRUE(half.ok());
  ASSERT_TRUE((*half)->Recover(0).ok());
  std::vector<std::string> abc = {"a", "b", "c"};
  std::vector<std::span<const std::string>> batches = {abc};
  ASSERT_TRUE((*half)->Append(batches).ok());
  half->reset();
  std::filesystem::copy_file(LogDir() + "-scratch/00000000000000000001.log",
                             Segment("00000000000000000001.log"));
  WriteBytes(Segment("00000000000000000009.log"), "junk", false);

  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Segments(), ElementsAre("00000000000000000001.log"));
  EXPECT_THAT(ReadAllLog(*store), ElementsAre(std::make_tuple(1, "a"), std::make_tuple(2, "b"),
                                              std::make_tuple(3, "c")));
  EXPECT_EQ(Append(*store, {"d"}), 4);
  std::filesystem::remove_all(LogDir() + "-scratch");
}

TEST_F(SqliteStoreTest, RefusesNewerSchema) {
  ASSERT_TRUE(OpenStore("sqlite:" + path_).ok());
  ASSERT_TRUE(
      ExecSqliteForTesting(path_, fmt::format("PRAGMA user_version = {}", kSchemaVersion + 1))
          .ok());
  auto opened = OpenStore("sqlite:" + path_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(opened.error().message(),
            fmt::format("database written by a newer zeropark (schema {}, this build knows {})",
                        kSchemaVersion + 1, kSchemaVersion));
}

TEST_F(SqliteStoreTest, RefusesForeignDatabase) {
  ASSERT_TRUE(ExecSqliteForTesting(
                  path_, "CREATE TABLE readings (ts, v); INSERT INTO readings VALUES (1, 2)")
                  .ok());
  auto opened = OpenStore("sqlite:" + path_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.error().message(), HasSubstr("not a zeropark database"));
  // Left untouched: still a rollback-journal file with only its own table.
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal"));
  ASSERT_TRUE(ExecSqliteForTesting(path_, "INSERT INTO readings VALUES (3, 4)").ok());
}

TEST_F(SqliteStoreTest, RefusesGarbageFile) {
  std::string garbage;
  for (int i = 0; i < 8192; ++i) garbage.push_back(static_cast<char>((i * 131 + 7) % 251));
  {
    std::ofstream f(path_, std::ios::binary);
    f << garbage;
  }
  auto opened = OpenStore(path_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.error().message(), HasSubstr("not a zeropark database"));
  std::ifstream f(path_, std::ios::binary);
  std::string after((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, garbage);
}

TEST_F(SqliteStoreTest, EmptyFileBecomesADatabase) {
  { std::ofstream f(path_); }
  auto opened = OpenStore(path_);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  ASSERT_TRUE((*opened)->PutSetting("k", "v").ok());
}

// Concurrent appends are group-committed; a payload that fails must fail only its own call.
TEST_F(SqliteStoreTest, GroupCommitIsolatesAFailingAppend) {
  auto store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok());
  const std::string too_big(kMaxLogPayloadBytes + 1, 'x');  // shared by every failing call
  constexpr int kThreads = 6;
  constexpr int kAppends = 15;
  std::atomic<int> failures{0};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        bool bad = t == 0 && i % 3 == 0;
        std::vector<std::string> p = {"ok", bad ? too_big : "ok"};
        auto seq = (*store)->AppendLog(p);
        if (bad != !seq.ok()) ++unexpected;
        if (!seq.ok()) {
          ++failures;
          if (seq.error().code() != StatusCode::kInvalidArgument) ++unexpected;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(unexpected, 0);
  EXPECT_EQ(failures, 5);
  auto log = ReadAllLog(**store);
  ASSERT_EQ(log.size(), static_cast<size_t>(2 * (kThreads * kAppends - 5)));
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(std::get<0>(log[i]), static_cast<int64_t>(i + 1));
    EXPECT_EQ(std::get<1>(log[i]), "ok");
  }
}

// Acknowledged means durable: an AppendLog that returned survives a kill -9 of the process.
TEST_F(SqliteStoreTest, AcknowledgedLogSurvivesKill9) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto opened = OpenStore("sqlite:" + path_);
    if (!opened.ok()) _exit(2);
    std::vector<std::string> payloads = {"acknowledged-1", "acknowledged-2"};
    auto seq = (*opened)->AppendLog(payloads);
    if (!seq.ok() || *seq != 2) _exit(3);
    char ack = 'k';
    if (write(fds[1], &ack, 1) != 1) _exit(4);
    while (true) pause();
  }
  close(fds[1]);
  char ack = 0;
  ASSERT_EQ(read(fds[0], &ack, 1), 1);
  close(fds[0]);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus));
  // The child never closed anything: the entries are only in the segment it appended to.
  ASSERT_THAT(Segments(), ElementsAre("00000000000000000001.log"));
  EXPECT_EQ(std::filesystem::file_size(Segment("00000000000000000001.log")),
            2 * kLogRecordHeaderBytes + 28);

  auto reopened = OpenStore("sqlite:" + path_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().ToString();
  EXPECT_THAT(ReadAllLog(**reopened), ElementsAre(std::make_tuple(1, "acknowledged-1"),
                                                  std::make_tuple(2, "acknowledged-2")));
}

TEST(LogCrc32Test, MatchesZlib) {
  EXPECT_EQ(LogCrc32(""), 0u);
  EXPECT_EQ(LogCrc32("123456789"), 0xCBF43926u);  // the CRC-32 check value
  EXPECT_EQ(LogCrc32("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
  // Continuing a CRC is the same as computing it over the concatenation.
  EXPECT_EQ(LogCrc32("56789", LogCrc32("1234")), 0xCBF43926u);
}

// The documented record layout: [u32 length][u32 crc32 of (seq, payload)][u64 seq][payload].
TEST_F(SqliteStoreTest, SegmentFileFormat) {
  auto store = OpenOrDie();
  ASSERT_TRUE(std::filesystem::is_directory(LogDir()));
  EXPECT_THAT(Segments(), ElementsAre("00000000000000000001.log"));
  EXPECT_EQ(Append(*store, {"hello", ""}), 2);
  std::string bytes = ReadBytes(Segment("00000000000000000001.log"));
  std::string seq1("\x01\0\0\0\0\0\0\0", 8);
  std::string seq2("\x02\0\0\0\0\0\0\0", 8);
  auto le32 = [](uint32_t v) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(v >> (8 * i));
    return out;
  };
  std::string expected = le32(5) + le32(LogCrc32(seq1 + "hello")) + seq1 + "hello" + le32(0) +
                         le32(LogCrc32(seq2)) + seq2;
  EXPECT_EQ(bytes, expected);
  EXPECT_GE(store->DiskBytes(),
            static_cast<int64_t>(std::filesystem::file_size(path_) + expected.size()));
}

// A crash during an append leaves a torn record at the end of the newest segment: it is cut off
// at the next open, with the records before it intact, and appends continue after them.
TEST_F(SqliteStoreTest, TornTailIsCutOff) {
  const std::string name = "00000000000000000001.log";
  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directory(dir_);
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(Append(*store, {"one", "two"}), 2);
    ASSERT_EQ(Append(*store, {"three"}), 3);
    store.reset();
    const std::string good = ReadBytes(Segment(name));
    std::string tail;
    if (variant == 0) {
      tail = "garbage, not a record at all";
    } else if (variant == 1) {
      // Half of a record: the copy of the last one, cut in the middle of its payload.
      tail = good.substr(good.size() - kLogRecordHeaderBytes - 5, kLogRecordHeaderBytes + 2);
    } else {
      tail = std::string(4096, '\0');  // size extended, data blocks never written
    }
    WriteBytes(Segment(name), tail, /*append=*/true);

    store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(ReadBytes(Segment(name)), good);
    EXPECT_THAT(ReadAllLog(*store),
                ElementsAre(std::make_tuple(1, "one"), std::make_tuple(2, "two"),
                            std::make_tuple(3, "three")));
    EXPECT_EQ(Append(*store, {"four"}), 4);
    store.reset();
    store = OpenOrDie();
    EXPECT_THAT(ReadAllLog(*store),
                ElementsAre(std::make_tuple(1, "one"), std::make_tuple(2, "two"),
                            std::make_tuple(3, "three"), std::make_tuple(4, "four")));
  }
}

// Damage anywhere but the end of the newest segment is not a crash artefact: DataLoss, naming
// the file and the offset, and nothing is cut.
TEST_F(SqliteStoreTest, CorruptRecordInAnOlderSegmentIsDataLoss) {
  auto store = OpenOrDie();
  store->SetLogSegmentBytesForTesting(1);  // every append after the first starts a segment
  ASSERT_EQ(Append(*store, {"aaaa", "bbbb"}), 2);
  ASSERT_EQ(Append(*store, {"cccc"}), 3);
  ASSERT_EQ(Append(*store, {"dddd"}), 4);
  EXPECT_THAT(Segments(), ElementsAre("00000000000000000001.log", "00000000000000000003.log",
                                      "00000000000000000004.log"));
  store.reset();
  const std::string first = Segment("00000000000000000001.log");
  std::string bytes = ReadBytes(first);
  const size_t offset = kLogRecordHeaderBytes + 4;    // the second record
  bytes[offset + kLogRecordHeaderBytes + 1] ^= 0x20;  // a payload bit
  WriteBytes(first, bytes, false);

  store = OpenOrDie();  // only the newest segment is scanned at open
  ASSERT_NE(store, nullptr);
  int calls = 0;
  Status s = store->ReadLog([&](int64_t, std::string_view) {
    ++calls;
    return Status::OK();
  });
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr(first));
  EXPECT_THAT(s.message(), HasSubstr("offset " + std::to_string(offset)));
  EXPECT_THAT(s.message(), HasSubstr("checksum"));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(ReadBytes(first), bytes);
  // Once the damaged records are flushed (e.g. recovered by other means), reading works again.
  ASSERT_TRUE(Truncate(*store, 2).ok());
  EXPECT_THAT(Segments(), ElementsAre("00000000000000000003.log", "00000000000000000004.log"));
  EXPECT_THAT(ReadAllLog(*store),
              ElementsAre(std::make_tuple(3, "cccc"), std::make_tuple(4, "dddd")));
}

// The open segment damaged under a running store (not a torn append: those never acknowledge).
TEST_F(SqliteStoreTest, CorruptRecordInTheOpenSegmentIsDataLossWhileRunning) {
  auto store = OpenOrDie();
  ASSERT_EQ(Append(*store, {"one", "two"}), 2);
  const std::string seg = Segment("00000000000000000001.log");
  std::string bytes = ReadBytes(seg);
  bytes[kLogRecordHeaderBytes + 3 + 10] ^= 1;  // the seq of record 2
  WriteBytes(seg, bytes, false);
  Status s = store->ReadLog([](int64_t, std::string_view) { return Status::OK(); });
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("offset 19"));
}

TEST_F(SqliteStoreTest, SegmentsAreDeletedOnceFlushed) {
  auto store = OpenOrDie();
  store->SetLogSegmentBytesForTesting(100);
  const std::string payload(60, 'p');
  for (int i = 0; i < 6; ++i) ASSERT_EQ(Append(*store, {payload}), i + 1);
  // 76-byte records: a segment is closed after its second.
  EXPECT_THAT(Segments(), ElementsAre("00000000000000000001.log", "00000000000000000003.log",
                                      "00000000000000000005.log"));
  EXPECT_EQ(SegmentBytes(), 6 * 76);
  EXPECT_EQ(store->DiskBytes(), FileBytes());

  ASSERT_TRUE(Truncate(*store, 3).ok());  // segment 3 still holds 4
  EXPECT_THAT(Segments(), ElementsAre("00000000000000000003.log", "00000000000000000005.log"));
  EXPECT_EQ(SegmentBytes(), 4 * 76);
  EXPECT_EQ(store->DiskBytes(), FileBytes());
  EXPECT_EQ(ReadAllLog(*store).size(), 3u);

  ASSERT_TRUE(Truncate(*store, 4).ok());
  EXPECT_THAT(Segments(), ElementsAre("00000000000000000005.log"));
  // Everything flushed: the open segment is replaced by an empty one for the next seq.
  ASSERT_TRUE(Truncate(*store, 6).ok());
  EXPECT_THAT(Segments(), ElementsAre("00000000000000000007.log"));
  EXPECT_EQ(std::filesystem::file_size(Segment("00000000000000000007.log")), 0u);
  EXPECT_THAT(ReadAllLog(*store), IsEmpty());
  EXPECT_EQ(Append(*store, {"seven"}), 7);
  // A flush of entries never appended changes nothing.
  ASSERT_TRUE(Truncate(*store, 1000).ok());
  EXPECT_EQ(*store->QueryForTesting("SELECT value FROM meta WHERE key = 'log_flushed_upto'"), "7");
  EXPECT_EQ(Append(*store, {"eight"}), 8);
  EXPECT_THAT(ReadAllLog(*store), ElementsAre(std::make_tuple(8, "eight")));
}

// After a full flush the segments hold nothing; the next seq comes from meta.log_flushed_upto,
// even with the log directory gone altogether.
TEST_F(SqliteStoreTest, SeqStaysMonotonicAcrossReopenAfterFullTruncation) {
  auto store = OpenOrDie();
  ASSERT_EQ(Append(*store, {"a", "b", "c"}), 3);
  ASSERT_TRUE(Truncate(*store, 3).ok());
  store.reset();
  store = OpenOrDie();
  EXPECT_EQ(*store->AppendLog({}), 3);
  EXPECT_EQ(Append(*store, {"d"}), 4);
  ASSERT_TRUE(Truncate(*store, 4).ok());
  store.reset();
  std::filesystem::remove_all(LogDir());
  store = OpenOrDie();
  EXPECT_TRUE(std::filesystem::is_directory(LogDir()));
  EXPECT_EQ(*store->AppendLog({}), 4);
  EXPECT_EQ(Append(*store, {"e"}), 5);
  EXPECT_THAT(ReadAllLog(*store), ElementsAre(std::make_tuple(5, "e")));
}

// A crash after the flush's transaction committed but before its segments were deleted: the
// segments come back, and their flushed records are skipped (and the files removed at open).
TEST_F(SqliteStoreTest, CrashBetweenCommitAndSegmentDeletion) {
  auto store = OpenOrDie();
  store->SetLogSegmentBytesForTesting(1);
  ASSERT_EQ(Append(*store, {"a", "b"}), 2);
  ASSERT_EQ(Append(*store, {"c"}), 3);
  ASSERT_EQ(Append(*store, {"d"}), 4);
  const std::string s1 = Segment("00000000000000000001.log");
  const std::string s4 = Segment("00000000000000000004.log");
  const std::string copy1 = ReadBytes(s1);
  const std::string copy4 = ReadBytes(s4);
  ASSERT_TRUE(Truncate(*store, 4).ok());
  EXPECT_THAT(Segments(), ElementsAre("00000000000000000005.log"));
  store.reset();
  WriteBytes(s1, copy1, false);  // the deletions never reached the disk
  WriteBytes(s4, copy4, false);
  store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(ReadAllLog(*store), IsEmpty());
  EXPECT_THAT(Segments(), ElementsAre("00000000000000000005.log"));
  EXPECT_EQ(Append(*store, {"e"}), 5);

  // The open segment, part flushed, read after a reopen: only the rest comes back.
  ASSERT_EQ(Append(*store, {"f", "g"}), 7);
  const std::string s5 = Segment("00000000000000000005.log");
  const std::string copy5 = ReadBytes(s5);
  ASSERT_TRUE(Truncate(*store, 6).ok());
  store.reset();
  WriteBytes(s5, copy5, false);
  store = OpenOrDie();
  EXPECT_THAT(ReadAllLog(*store), ElementsAre(std::make_tuple(7, "g")));
  EXPECT_EQ(Append(*store, {"h"}), 8);
}

// ":memory:" has no directory: its log lives in memory with the same semantics.
TEST(SqliteInMemoryTest, LogWorksWithoutFiles) {
  auto opened = SqliteStore::Open(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  SqliteStore& store = **opened;
  std::vector<std::string> abc = {"a", "b", "c"};
  EXPECT_EQ(*store.AppendLog(abc), 3);
  FlushBatch batch;
  batch.log_truncate_upto = 2;
  ASSERT_TRUE(store.Commit(batch).ok());
  std::vector<std::string> d = {"d"};
  EXPECT_EQ(*store.AppendLog(d), 4);
  EXPECT_THAT(ReadAllLog(store), ElementsAre(std::make_tuple(3, "c"), std::make_tuple(4, "d")));
  EXPECT_EQ(store.DiskBytes(), 0);
  EXPECT_FALSE(std::filesystem::exists(":memory:-log"));
}

TEST_F(SqliteStoreTest, OneStoreAtATimePerFile) {
  auto first = OpenOrDie();
  auto second = SqliteStore::Open(path_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(second.error().message(), HasSubstr("in use"));
  first.reset();
  EXPECT_NE(OpenOrDie(), nullptr);
}

// A flush leaves the WAL checkpointed and truncated, so DiskBytes is what the data needs.
TEST_F(SqliteStoreTest, FlushLeavesASmallWal) {
  auto store = OpenOrDie();
  ASSERT_EQ(Append(*store, {"x"}), 1);
  FlushBatch batch;
  for (int s = 1; s <= 20000; ++s)
    batch.chunks.push_back(MakeChunk(s, 19000, std::string(150, 'c')));
  ASSERT_TRUE(store->Commit(batch).ok());
  EXPECT_GT(std::filesystem::file_size(path_ + "-wal"), size_t{1} << 20);
  batch.chunks.clear();
  batch.log_truncate_upto = 1;
  ASSERT_TRUE(store->Commit(batch).ok());
  EXPECT_EQ(std::filesystem::file_size(path_ + "-wal"), 0u);
  EXPECT_EQ(store->DiskBytes(), static_cast<int64_t>(std::filesystem::file_size(path_)));
  EXPECT_EQ(Rollups(*store, {}, 19000, 19001).size(), 20000u);
}

}  // namespace
}  // namespace zp::store
