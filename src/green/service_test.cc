// GreenService over a small demo park in a SQLite file: a settled month's certificates equal the
// allocation (issued = generation, claimed = matched per enterprise, nothing allocated twice), the
// ledger verifies, a reopened store replays to the same book, concurrent settlements of one month
// settle it once, a failed store write leaves nothing behind, and statements agree with the book.
// 绿电结算服务测试：签发=发电，声明=匹配，重启后账本重放一致，并发结算只成功一次。

#include "zp/green/service.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "src/green/supply_testing.h"
#include "src/store/sqlite/sqlite_store.h"
#include "zp/base/time.h"
#include "zp/demo/demo.h"
#include "zp/demo/testing.h"
#include "zp/engine/engine.h"
#include "zp/engine/testing.h"
#include "zp/green/allocation.h"
#include "zp/green/ledger_store.h"
#include "zp/green/supply.h"
#include "zp/store/store.h"

namespace zp::green {
namespace {

namespace fs = std::filesystem;

const int32_t kJan = MonthIndex(2025, 1);
const int32_t kFeb = MonthIndex(2025, 2);
const int32_t kMar = MonthIndex(2025, 3);

// One demo park (12 enterprises, January and February 2025) built once, copied per test.
class GreenServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/zp_green_service_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    template_dir_ = new std::string(tmpl);
    demo::DemoOptions o;
    o.enterprises = 12;
    o.days = 59;  // January and February 2025
    auto engine = demo::OpenDemoEngine("sqlite:" + *template_dir_ + "/park.zpdb", o);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  }
  static void TearDownTestSuite() {
    if (template_dir_ != nullptr) fs::remove_all(*template_dir_);
    delete template_dir_;
    template_dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(template_dir_, nullptr);
    char tmpl[] = "/tmp/zp_green_service_t_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/park.zpdb";
    fs::copy(*template_dir_, dir_, fs::copy_options::recursive);
    OpenEngine();
    now_ = engine_->zone().MonthStart(kMar) + 3600;
  }
  void TearDown() override {
    service_.reset();
    engine_.reset();
    fs::remove_all(dir_);
  }

  void OpenEngine() {
    auto engine = engine::OpenTestEngine("sqlite:" + path_);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
  }
  Result<std::unique_ptr<GreenService>> OpenService() {
    GreenServiceOptions o;
    o.issuer = "test-registry";
    o.now = [this] { return now_.load(); };
    return GreenService::Open(engine_->store(), *engine_, o);
  }
  void OpenOrDie() {
    auto s = OpenService();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    service_ = std::move(*s);
  }
  void Reopen() {
    service_.reset();
    engine_.reset();
    OpenEngine();
    OpenOrDie();
  }

  // The allocation of a month, computed independently of the service.
  struct Expected {
    SupplyInput in;
    AllocationResult result;
  };
  Expected Allocation(int32_t month) {
    auto supply = LoadSupply(*engine_);
    EXPECT_TRUE(supply.ok()) << supply.status().ToString();
    const TimeZone tz = engine_->zone();
    auto in =
        BuildAllocationInput(*engine_, *supply, tz.MonthStart(month), tz.MonthStart(month + 1));
    EXPECT_TRUE(in.ok()) << in.status().ToString();
    auto result = Allocate(in->input);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return Expected{std::move(*in), std::move(*result)};
  }

  // Claimed Wh per consumer over the book's claimed bundles of the month.
  std::map<std::string, int64_t> ClaimedBy(int32_t month) {
    const TimeZone tz = engine_->zone();
    std::map<std::string, int64_t> out;
    for (const CertBundle& b : service_->Bundles()) {
      if (b.status != CertStatus::kClaimed || tz.LocalMonth(b.production_hour_s) != month) continue;
      out[b.consumer] += b.to_wh - b.from_wh;
    }
    return out;
  }

  static std::string* template_dir_;
  std::string dir_, path_;
  std::atomic<int64_t> now_{0};
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<GreenService> service_;
};

std::string* GreenServiceTest::template_dir_ = nullptr;

TEST(GreenMonthTest, ParseAndFormat) {
  EXPECT_EQ(*ParseMonth("2025-06"), MonthIndex(2025, 6));
  EXPECT_EQ(FormatMonth(MonthIndex(2025, 6)), "2025-06");
  for (std::string_view bad : {"2025-6", "2025-13", "2025-00", "25-06", "2025/06", "abcd-ef", ""}) {
    EXPECT_EQ(ParseMonth(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(GreenServiceTest, SettledMonthMatchesTheAllocation) {
  OpenOrDie();
  const Expected e = Allocation(kJan);
  ASSERT_GT(e.in.input.sources(), 0);
  const int64_t generation = std::accumulate(e.result.generation_total.begin(),
                                             e.result.generation_total.end(), int64_t{0});
  const int64_t matched =
      std::accumulate(e.result.matched_total.begin(), e.result.matched_total.end(), int64_t{0});
  ASSERT_GT(matched, 0);

  auto s = service_->Settle(kJan, "admin");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->month, kJan);
  EXPECT_EQ(s->issued_wh, generation);  // no storage in the default supply
  EXPECT_EQ(s->claimed_wh, matched);
  EXPECT_EQ(s->allocated_wh, matched);
  EXPECT_EQ(s->storage_wh, 0);
  EXPECT_EQ(s->ledger_from_seq, 1);
  EXPECT_EQ(s->ledger_to_seq, service_->ledger_size());
  EXPECT_EQ(s->head_hash, service_->ledger_head());
  EXPECT_GT(s->bundles, 0);

  // Per enterprise: claimed in the book = matched by the allocation = the summary.
  const std::map<std::string, int64_t> claimed = ClaimedBy(kJan);
  for (int32_t c = 0; c < e.in.input.consumers; ++c) {
    const std::string& code = e.in.consumers[c];
    auto it = claimed.find(code);
    EXPECT_EQ(it == claimed.end() ? 0 : it->second, e.result.matched_total[c]) << code;
    ASSERT_EQ(s->enterprises.size(), static_cast<size_t>(e.in.input.consumers));
    EXPECT_EQ(s->enterprises[c].enterprise, code);
    EXPECT_EQ(s->enterprises[c].claimed_wh, e.result.matched_total[c]) << code;
    EXPECT_EQ(s->enterprises[c].consumption_wh, e.result.consumption_total[c]) << code;
  }
  // Every issued Wh is claimed or still active/transferred with its producer; nothing else.
  const auto wh = service_->WhByStatus();
  EXPECT_EQ(wh[static_cast<int>(CertStatus::kClaimed)], matched);
  EXPECT_EQ(wh[static_cast<int>(CertStatus::kAllocated)], 0);
  EXPECT_EQ(std::accumulate(wh.begin(), wh.end(), int64_t{0}), generation);
  // Claimed bundles carry their claim's seq; the stored chain verifies.
  for (const CertBundle& b : service_->Bundles()) {
    EXPECT_GE(b.ledger_seq, 1);
    EXPECT_LE(b.ledger_seq, s->ledger_to_seq);
  }
  auto check = CheckStoredChain(engine_->store(), s->head_hash);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->fault, ChainFault::kNone) << check->status.ToString();
  EXPECT_EQ(check->records, s->ledger_to_seq);

  // The claim records pair a consumption certificate with the hour's consumption.
  auto records = ReadStoredRecords(engine_->store(), 1, 0);
  ASSERT_TRUE(records.ok());
  int claims = 0;
  for (const LedgerRecord& r : *records) {
    auto ref = r.fields.find("reference");
    ASSERT_NE(ref, r.fields.end());
    EXPECT_EQ(std::get<std::string>(ref->second), "settlement 2025-01");
    if (r.kind != LedgerKind::kClaim) continue;
    ++claims;
    const std::string& consumer = std::get<std::string>(r.fields.at("consumer"));
    const int64_t hour = std::get<int64_t>(r.fields.at("production_hour_s"));
    const CivilTime t = SecondsToCivil(engine_->zone().ToLocal(hour));
    EXPECT_EQ(
        std::get<std::string>(r.fields.at("consumption_cert")),
        fmt::format("CC-{}-{:04d}{:02d}{:02d}{:02d}", consumer, t.year, t.month, t.day, t.hour));
    EXPECT_GE(std::get<int64_t>(r.fields.at("consumption_wh")),
              std::get<int64_t>(r.fields.at("wh")));
  }
  EXPECT_GT(claims, 0);

  // Twice: refused; a month not ended: refused; an ended month: fine.
  EXPECT_EQ(service_->Settle(kJan, "admin").status().code(), StatusCode::kAlreadyExists);
  now_ = engine_->zone().MonthStart(kFeb) + 86400;
  EXPECT_EQ(service_->Settle(kFeb, "admin").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(service_->IsSettled(kFeb));
  now_ = engine_->zone().MonthStart(kMar);
  auto feb = service_->Settle(kFeb, "admin");
  ASSERT_TRUE(feb.ok()) << feb.status().ToString();
  EXPECT_EQ(feb->ledger_from_seq, s->ledger_to_seq + 1);
  EXPECT_EQ(service_->Settlements().size(), 2u);
}

TEST_F(GreenServiceTest, ReopenedStoreReplaysToTheSameBook) {
  OpenOrDie();
  ASSERT_TRUE(service_->Settle(kJan, "admin").ok());
  ASSERT_TRUE(service_->Settle(kFeb, "admin").ok());
  const std::vector<CertBundle> before = service_->Bundles();
  const std::vector<Settlement> settled = service_->Settlements();
  const int64_t size = service_->ledger_size();
  const std::string head = service_->ledger_head();
  auto statement = service_->Statement(settled[0].enterprises[0].enterprise, kJan, kFeb);
  ASSERT_TRUE(statement.ok());

  Reopen();
  EXPECT_EQ(service_->Bundles(), before);  // including every bundle's ledger_seq
  EXPECT_EQ(service_->ledger_size(), size);
  EXPECT_EQ(service_->ledger_head(), head);
  const std::vector<Settlement> again = service_->Settlements();
  ASSERT_EQ(again.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(again[i].month, settled[i].month);
    EXPECT_EQ(again[i].claimed_wh, settled[i].claimed_wh);
    EXPECT_EQ(again[i].issued_wh, settled[i].issued_wh);
    EXPECT_EQ(again[i].ledger_to_seq, settled[i].ledger_to_seq);
    EXPECT_EQ(again[i].head_hash, settled[i].head_hash);
    EXPECT_EQ(again[i].enterprises.size(), settled[i].enterprises.size());
  }
  auto statement2 = service_->Statement(settled[0].enterprises[0].enterprise, kJan, kFeb);
  ASSERT_TRUE(statement2.ok());
  EXPECT_EQ(statement2->claimed_wh, statement->claimed_wh);
  EXPECT_EQ(statement2->consumption_wh, statement->consumption_wh);
  ASSERT_EQ(statement2->hours.size(), statement->hours.size());
  for (size_t i = 0; i < statement->hours.size(); ++i) {
    EXPECT_EQ(statement2->hours[i].consumption_wh, statement->hours[i].consumption_wh);
  }
  EXPECT_EQ(service_->Settle(kJan, "admin").status().code(), StatusCode::kAlreadyExists);
  auto check = CheckStoredChain(engine_->store(), head);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->fault, ChainFault::kNone);
}

TEST_F(GreenServiceTest, TamperedLedgerIsRefusedNamingTheSeq) {
  OpenOrDie();
  ASSERT_TRUE(service_->Settle(kJan, "admin").ok());
  service_.reset();
  engine_.reset();
  ASSERT_TRUE(store::ExecSqliteForTesting(
                  path_,
                  "DROP TRIGGER ledger_no_update; UPDATE ledger SET fields = replace(fields, "
                  "'\"wh\":', '\"wh\":1') WHERE seq = 7")
                  .ok());
  OpenEngine();
  auto s = OpenService();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(s.status().message().find("ledger seq 7"), std::string::npos) << s.status().message();
}

TEST_F(GreenServiceTest, ConcurrentSettlementsSettleOnce) {
  OpenOrDie();
  const Expected e = Allocation(kJan);
  std::atomic<int> ok{0}, exists{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto s = service_->Settle(kJan, "admin");
      if (s.ok()) {
        ++ok;
      } else if (s.status().code() == StatusCode::kAlreadyExists) {
        ++exists;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(exists.load(), 7);
  EXPECT_EQ(other.load(), 0);
  const std::map<std::string, int64_t> claimed = ClaimedBy(kJan);
  for (int32_t c = 0; c < e.in.input.consumers; ++c) {
    auto it = claimed.find(e.in.consumers[c]);
    EXPECT_EQ(it == claimed.end() ? 0 : it->second, e.result.matched_total[c]) << e.in.consumers[c];
  }
}

// Two services over one database (e.g. the server and a CLI): the second sees the first's
// settlement when it refreshes and refuses to settle the month again.
TEST_F(GreenServiceTest, SecondServiceSeesTheSettlement) {
  OpenOrDie();
  auto other = OpenService();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(service_->Settle(kJan, "admin").ok());
  EXPECT_EQ((*other)->Settle(kJan, "admin").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ((*other)->Bundles(), service_->Bundles());
  ASSERT_TRUE((*other)->Settle(kFeb, "admin").ok());
  ASSERT_TRUE(service_->Refresh().ok());
  EXPECT_TRUE(service_->IsSettled(kFeb));
  EXPECT_EQ((*other)->Bundles(), service_->Bundles());
}

TEST_F(GreenServiceTest, FailedStoreWriteLeavesNothingSettled) {
  OpenOrDie();
  ASSERT_TRUE(service_->Settle(kJan, "admin").ok());
  const std::vector<CertBundle> before = service_->Bundles();
  const int64_t size = service_->ledger_size();
  // The store refuses the February records (a full disk, a lost lock ...).
  ASSERT_TRUE(
      store::ExecSqliteForTesting(path_,
                                  "CREATE TRIGGER fail_ledger BEFORE INSERT ON ledger BEGIN SELECT "
                                  "RAISE(ABORT, 'injected failure'); END;")
          .ok());
  auto feb = service_->Settle(kFeb, "admin");
  ASSERT_FALSE(feb.ok());
  EXPECT_FALSE(service_->IsSettled(kFeb));
  EXPECT_EQ(service_->ledger_size(), size);
  EXPECT_EQ(service_->Bundles(), before);
  Reopen();
  EXPECT_FALSE(service_->IsSettled(kFeb));  // its summary was written, but the ledger lacks it
  EXPECT_EQ(service_->Bundles(), before);
  ASSERT_TRUE(store::ExecSqliteForTesting(path_, "DROP TRIGGER fail_ledger").ok());
  auto retry = service_->Settle(kFeb, "admin");
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  Reopen();
  EXPECT_TRUE(service_->IsSettled(kFeb));
}

TEST_F(GreenServiceTest, StatementAgreesWithTheBook) {
  OpenOrDie();
  ASSERT_TRUE(service_->Settle(kJan, "admin").ok());
  const Expected e = Allocation(kJan);
  // The enterprise with the most matched green power.
  int32_t best = 0;
  for (int32_t c = 1; c < e.in.input.consumers; ++c) {
    if (e.result.matched_total[c] > e.result.matched_total[best]) best = c;
  }
  const std::string code = e.in.consumers[best];
  auto st = service_->Statement(code, kJan, kFeb);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->enterprise, code);
  EXPECT_EQ(st->settled_months, std::vector<int32_t>{kJan});
  EXPECT_EQ(st->unsettled_months, std::vector<int32_t>{kFeb});
  EXPECT_EQ(st->claimed_wh, e.result.matched_total[best]);
  EXPECT_EQ(st->consumption_wh, e.result.consumption_total[best]);
  ASSERT_EQ(st->months.size(), 2u);
  EXPECT_TRUE(st->months[0].settled);
  EXPECT_EQ(st->months[0].figures.claimed_wh, e.result.matched_total[best]);
  EXPECT_FALSE(st->months[1].settled);
  EXPECT_EQ(st->months[1].figures.claimed_wh, 0);
  EXPECT_NEAR(st->hourly_share,
              static_cast<double>(e.result.matched_total[best]) / e.result.consumption_total[best],
              1e-12);
  auto scores = ComputeScores(e.in.input, e.result);
  ASSERT_TRUE(scores.ok());
  EXPECT_NEAR(st->annual_share, scores->annual_share[best], 1e-12);

  // Hours: every hour with claims, each one's Wh and consumption as allocated; certificates
  // claimed by this enterprise, the claim seq the bundle's.
  std::map<int64_t, int32_t> hour_index;
  for (int32_t h = 0; h < e.in.input.hours; ++h) hour_index[e.in.hour_start_s[h]] = h;
  int64_t hours_with_match = 0;
  for (int32_t h = 0; h < e.in.input.hours; ++h) hours_with_match += e.result.Matched(best, h) > 0;
  EXPECT_EQ(static_cast<int64_t>(st->hours.size()), hours_with_match);
  int64_t sum = 0, by_source = 0;
  std::map<int64_t, CertBundle> claims;  // by claim seq
  for (const CertBundle& b : service_->Bundles()) {
    if (b.status == CertStatus::kClaimed && b.consumer == code) claims[b.ledger_seq] = b;
  }
  size_t certs = 0;
  for (const StatementHour& h : st->hours) {
    const int32_t i = hour_index.at(h.hour_s);
    EXPECT_EQ(h.claimed_wh, e.result.Matched(best, i));
    EXPECT_EQ(h.consumption_wh,
              e.in.input.consumption[static_cast<size_t>(i) * e.in.input.consumers + best]);
    EXPECT_EQ(h.consumption_cert.substr(0, 3 + code.size()), "CC-" + code);
    int64_t wh = 0;
    for (const StatementCertificate& c : h.certificates) {
      auto it = claims.find(c.claim_seq);
      ASSERT_NE(it, claims.end());
      EXPECT_EQ(it->second.device, c.device);
      EXPECT_EQ(it->second.from_wh, c.from_wh);
      EXPECT_EQ(it->second.to_wh, c.to_wh);
      EXPECT_EQ(it->second.production_hour_s, h.hour_s);
      wh += c.wh();
      ++certs;
    }
    EXPECT_EQ(wh, h.claimed_wh);
    sum += h.claimed_wh;
  }
  EXPECT_EQ(certs, claims.size());
  EXPECT_EQ(sum, st->claimed_wh);
  for (const StatementSource& s : st->by_source) by_source += s.wh;
  EXPECT_EQ(by_source, st->claimed_wh);

  EXPECT_EQ(service_->Statement(code, kFeb, kJan).status().code(), StatusCode::kInvalidArgument);
  auto none = service_->Statement("NOPE", kJan, kJan);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->claimed_wh, 0);
  EXPECT_TRUE(none->hours.empty());
}

}  // namespace
}  // namespace zp::green

namespace zp::green {
namespace {
// Every kind of supply (same site with storage, direct supply, an external wind farm, flat green
// trading from outside the park, GECs) settled: storage charge is claimed by the storage and its
// green discharge certified separately, external certificates start with their contract's
// account, GECs are reconciled in the summary, and nothing is claimed twice.
TEST(GreenServiceSupplyTest, StorageExternalSupplyAndGecs) {
  auto eng = engine::OpenTestEngine("memory:green-service-supply");
  ASSERT_TRUE(eng.ok()) << eng.status().ToString();
  std::unique_ptr<engine::Engine> engine = std::move(*eng);
  ASSERT_TRUE(testpark::BuildSmallPark(*engine, true).ok());
  auto supply = SupplyFromJson(testpark::SmallSupplyJson());
  ASSERT_TRUE(supply.ok()) << supply.status().ToString();
  ASSERT_TRUE(SaveSupply(*engine, *supply).ok());
  const TimeZone tz = engine->zone();
  auto in = BuildAllocationInput(*engine, *supply, tz.MonthStart(kJan), tz.MonthStart(kFeb));
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  auto result = Allocate(in->input);
  ASSERT_TRUE(result.ok());
  int64_t takes = 0, metered = 0;
  for (const StorageTake& t : in->takes) takes += t.wh;
  for (int64_t g : in->input.generation) metered += g;
  ASSERT_GT(takes, 0);

  GreenServiceOptions o;
  o.now = [&] { return tz.MonthStart(kMar); };
  auto service = GreenService::Open(engine->store(), *engine, o);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  auto s = (*service)->Settle(kJan, "admin");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->issued_wh, metered + takes);
  EXPECT_EQ(s->storage_wh, takes);
  int64_t matched = 0;
  for (int64_t m : result->matched_total) matched += m;
  EXPECT_EQ(s->claimed_wh, matched + takes);

  std::map<std::string, int64_t> claimed;
  for (const CertBundle& b : (*service)->Bundles()) {
    if (b.status == CertStatus::kClaimed) claimed[b.consumer] += b.to_wh - b.from_wh;
    if (b.device == "WIND.GT") {
      EXPECT_EQ(b.location, "external");
      if (b.status != CertStatus::kClaimed) {
        EXPECT_EQ(b.account, "contract:GT.FLAT");
      }
    }
    if (b.device == "BESS.E1") {
      EXPECT_EQ(b.technology, "storage");
    }
  }
  EXPECT_EQ(claimed["storage:BESS.E1"], takes);
  for (int32_t c = 0; c < in->input.consumers; ++c) {
    EXPECT_EQ(claimed[in->consumers[c]], result->matched_total[c]) << in->consumers[c];
  }
  // GECs: E2 holds 5 bundled and 2 unbundled in January.
  auto gec = GecReconciliation(*supply, *in, *result);
  ASSERT_TRUE(gec.ok());
  const std::string e2 = testpark::E(2);
  const SettledEnterprise* f = nullptr;
  for (const SettledEnterprise& e : s->enterprises) {
    if (e.enterprise == e2) f = &e;
  }
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->gec_bundled, 5);
  EXPECT_EQ(f->gec_unbundled, 2);
  for (const GecMonth& g : gec->months) {
    if (g.buyer == e2 && g.month == kJan) {
      EXPECT_EQ(f->trading_matched_wh, g.trading_matched_wh);
      EXPECT_EQ(f->gec_shortfall_wh, g.bundled_shortfall_wh);
    }
  }
  auto st = (*service)->Statement(e2, kJan, kJan);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->months[0].figures.gec_bundled, 5);
  EXPECT_EQ(st->claimed_wh, claimed[e2]);
  EXPECT_GE(st->annual_share_with_gec, st->annual_share);
  // The storage's state after January is kept for February's settlement.
  ASSERT_EQ(s->storage_end.count("BESS.E1"), 1u);
  EXPECT_EQ(s->storage_end.at("BESS.E1"), in->storage_end[0]);
  auto again = GreenService::Open(engine->store(), *engine, o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Bundles(), (*service)->Bundles());
  EXPECT_EQ((*again)->FindSettlement(kJan)->storage_end, s->storage_end);
  service->reset();
  again->reset();
  engine.reset();
  store::DropMemoryStore("green-service-supply");
}
}  // namespace
}  // namespace zp::green

namespace zp::green {
namespace {
// Timing of one month of the full demo park (200 enterprises): run with
// --gtest_also_run_disabled_tests --gtest_filter='*DemoMonth*'.
TEST(GreenServiceBench, DISABLED_DemoMonth) {
  char tmpl[] = "/tmp/zp_green_bench_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    demo::DemoOptions o;
    o.days = 31;
    auto engine = demo::OpenDemoEngine("sqlite:" + dir + "/park.zpdb", o);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    GreenServiceOptions so;
    so.now = [] { return int64_t{1'767'225'600}; };
    auto t0 = std::chrono::steady_clock::now();
    auto service = GreenService::Open((*engine)->store(), **engine, so);
    ASSERT_TRUE(service.ok());
    auto s = (*service)->Settle(MonthIndex(2025, 1), "admin");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    std::printf("settle: %.2f s, %lld records, %lld bundles, issued %lld Wh, claimed %lld Wh\n",
                s->seconds, static_cast<long long>(s->ledger_to_seq),
                static_cast<long long>(s->bundles), static_cast<long long>(s->issued_wh),
                static_cast<long long>(s->claimed_wh));
    t0 = std::chrono::steady_clock::now();
    service->reset();
    auto again = GreenService::Open((*engine)->store(), **engine, so);
    ASSERT_TRUE(again.ok());
    std::printf("reopen (replay): %.2f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    // The enterprise with the most claims: its certificates and statement.
    const SettledEnterprise* top = &s->enterprises[0];
    for (const SettledEnterprise& e : s->enterprises) {
      if (e.claimed_wh > top->claimed_wh) top = &e;
    }
    t0 = std::chrono::steady_clock::now();
    CertQuery q;
    q.parties = {top->enterprise};
    const CertPage page = (*again)->Certificates(q);
    const double query_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t0 = std::chrono::steady_clock::now();
    auto st = (*again)->Statement(top->enterprise, MonthIndex(2025, 1), MonthIndex(2025, 1));
    ASSERT_TRUE(st.ok());
    const double statement_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t0 = std::chrono::steady_clock::now();
    q.parties.clear();
    q.status = CertStatus::kClaimed;
    const CertPage park = (*again)->Certificates(q);
    std::printf(
        "certificates of %s: %lld in %.4f s; statement: %zu hours in %.4f s; park claimed: %lld "
        "in %.4f s\n",
        top->enterprise.c_str(), static_cast<long long>(page.total), query_s, st->hours.size(),
        statement_s, static_cast<long long>(park.total),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::filesystem::remove_all(dir);
}
}  // namespace
}  // namespace zp::green
