// Certificate issuance from the metered generation of the small demo park (20 enterprises,
// 14 days of January 2025): issued Wh = generation Wh for every source and hour, the ledger
// verifies, and no device-hour is issued twice.

#include "zp/green/issuance.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "zp/base/time.h"
#include "zp/demo/demo.h"
#include "zp/demo/testing.h"
#include "zp/engine/engine.h"
#include "zp/store/store.h"

namespace zp::green {
namespace {

class IssuanceDemo : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    int64_t from_s = 0, to_s = 0;
    auto eng = demo::OpenTwoWeekDemo("green-issuance", &from_s, &to_s);
    ASSERT_TRUE(eng.ok()) << eng.status().ToString();
    engine_ = std::move(*eng).release();
    auto supply = DefaultSupplyFromRegistry(*engine_);
    ASSERT_TRUE(supply.ok()) << supply.status().ToString();
    supply_ = new Supply(std::move(*supply));
    auto in = BuildAllocationInput(*engine_, *supply_, from_s, to_s);
    ASSERT_TRUE(in.ok()) << in.status().ToString();
    input_ = new SupplyInput(std::move(*in));
  }
  static void TearDownTestSuite() {
    delete input_;
    delete supply_;
    delete engine_;
    input_ = nullptr;
    supply_ = nullptr;
    engine_ = nullptr;
    store::DropMemoryStore("green-issuance");
  }

  static IssuanceOptions Options() {
    IssuanceOptions o;
    o.issuer = "park-registry";
    o.action = CertAction{"metering@park", 1'736'000'000, "run 2025-01"};
    return o;
  }
  // Hours [h0, h1) of the input.
  static SupplyInput Slice(const SupplyInput& si, int32_t h0, int32_t h1) {
    SupplyInput out = si;
    AllocationInput& a = out.input;
    const size_t nc = si.input.consumers, ns = si.input.sources();
    a.hours = h1 - h0;
    a.consumption.assign(si.input.consumption.begin() + h0 * nc,
                         si.input.consumption.begin() + h1 * nc);
    a.generation.assign(si.input.generation.begin() + h0 * ns,
                        si.input.generation.begin() + h1 * ns);
    out.hour_start_s.assign(si.hour_start_s.begin() + h0, si.hour_start_s.begin() + h1);
    out.hour_month.assign(si.hour_month.begin() + h0, si.hour_month.begin() + h1);
    return out;
  }
  static int64_t GenerationWh(const SupplyInput& si) {
    int64_t wh = 0;
    for (int64_t v : si.input.generation) wh += v;
    return wh;
  }
  // (device, production hour) -> issued Wh, from the book's bundles.
  static std::map<std::pair<std::string, int64_t>, int64_t> IssuedByHour(
      const CertificateBook& book) {
    std::map<std::pair<std::string, int64_t>, int64_t> out;
    for (const CertBundle& b : book.Bundles())
      out[{b.device, b.production_hour_s}] += b.to_wh - b.from_wh;
    return out;
  }
  // Every source-hour: issued Wh equal the metered generation (none when it is 0).
  static void ExpectIssuedEqualsGeneration(const CertificateBook& book, const SupplyInput& si) {
    const auto issued = IssuedByHour(book);
    const AllocationInput& a = si.input;
    size_t nonzero = 0;
    for (int32_t h = 0; h < a.hours; ++h) {
      for (int32_t s = 0; s < a.sources(); ++s) {
        const int64_t gen = a.generation[h * a.sources() + s];
        auto it = issued.find({si.source_asset[s], si.hour_start_s[h]});
        ASSERT_EQ(it == issued.end() ? 0 : it->second, gen) << si.source_asset[s] << " hour " << h;
        nonzero += gen > 0;
      }
    }
    EXPECT_EQ(issued.size(), nonzero);
  }

  static inline engine::Engine* engine_ = nullptr;
  static inline Supply* supply_ = nullptr;
  static inline SupplyInput* input_ = nullptr;
};

TEST_F(IssuanceDemo, IssuedWhEqualGenerationForEveryHourAndSource) {
  const SupplyInput& si = *input_;
  ASSERT_EQ(si.input.hours, demo::TwoWeekDemo::kDays * 24);
  ASSERT_GE(si.input.sources(), 3);
  const int64_t generation = GenerationWh(si);
  ASSERT_GT(generation, 0);
  Ledger ledger;
  CertificateBook book(ledger);
  auto issued = IssueHourly(book, *supply_, si, Options());
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_EQ(*issued, generation);
  EXPECT_EQ(book.IssuedWh(), generation);
  EXPECT_EQ(book.WhByStatus()[static_cast<int>(CertStatus::kActive)], generation);
  ExpectIssuedEqualsGeneration(book, si);

  // Certificate fields come from the supply registry.
  std::map<std::string, const GenerationAsset*> assets;
  for (const GenerationAsset& g : supply_->assets) assets[g.code] = &g;
  bool park = false, site = false;
  for (const CertBundle& b : book.Bundles()) {
    const GenerationAsset& g = *assets.at(b.device);
    const std::string where = g.site_enterprise.empty() ? "park" : g.site_enterprise;
    ASSERT_EQ(b.technology, TechnologyName(g.technology));
    ASSERT_EQ(b.location, where);
    ASSERT_EQ(b.account, where);
    ASSERT_EQ(b.issuer, "park-registry");
    ASSERT_EQ(b.status, CertStatus::kActive);
    park |= g.site_enterprise.empty();
    site |= !g.site_enterprise.empty();
  }
  EXPECT_TRUE(park && site);

  // One issuance record per certificate bundle, and the chain verifies.
  const std::vector<LedgerRecord> records = ledger.records();
  EXPECT_EQ(records.size(), book.Bundles().size());
  for (const LedgerRecord& r : records) {
    ASSERT_EQ(r.kind, LedgerKind::kIssuance);
    ASSERT_EQ(r.actor, "metering@park");
    ASSERT_EQ(r.time_s, 1'736'000'000);
  }
  EXPECT_TRUE(VerifyChain(records, ledger.head_hash()).ok());
}

TEST_F(IssuanceDemo, SameHourIsNeverIssuedTwice) {
  const SupplyInput& si = *input_;
  // The hour of day 3 with generation from the most sources (a noon hour), and its first
  // generating source.
  int32_t noon = -1, most = 0, first_source = -1;
  for (int32_t h = 2 * 24; h < 3 * 24; ++h) {
    int32_t n = 0;
    for (int32_t s = 0; s < si.input.sources(); ++s) {
      n += si.input.generation[h * si.input.sources() + s] > 0;
    }
    if (n > most) {
      most = n;
      noon = h;
    }
  }
  ASSERT_GE(noon, 0);
  for (int32_t s = 0; s < si.input.sources() && first_source < 0; ++s) {
    if (si.input.generation[noon * si.input.sources() + s] > 0) first_source = s;
  }
  Ledger ledger;
  CertificateBook book(ledger);
  const SupplyInput one = Slice(si, noon, noon + 1);
  auto first = IssueHourly(book, *supply_, one, Options());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, GenerationWh(one));
  const int64_t records = ledger.size();

  // Again, alone or inside a longer span: refused before anything is issued.
  auto again = IssueHourly(book, *supply_, one, Options());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists) << again.status().ToString();
  auto span = IssueHourly(book, *supply_, si, Options());
  ASSERT_FALSE(span.ok());
  EXPECT_EQ(span.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(span.status().ToString().find(si.source_asset[first_source]), std::string::npos);
  EXPECT_EQ(ledger.size(), records);
  EXPECT_EQ(book.IssuedWh(), *first);

  // Resuming issues the rest exactly once.
  IssuanceOptions resume = Options();
  resume.resume = true;
  auto rest = IssueHourly(book, *supply_, si, resume);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(*rest + *first, GenerationWh(si));
  ExpectIssuedEqualsGeneration(book, si);
  auto nothing = IssueHourly(book, *supply_, si, resume);
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(*nothing, 0);
  EXPECT_TRUE(VerifyChain(ledger.records(), ledger.head_hash()).ok());

  // The book itself refuses a device-hour issued twice.
  IssueRequest req;
  req.device = si.source_asset[first_source];
  req.technology = "rooftop_pv";
  req.location = req.account = "park";
  req.issuer = "someone-else";
  req.production_hour_s = si.hour_start_s[noon];
  req.wh = 1;
  EXPECT_EQ(book.Issue(req, Options().action).status().code(), StatusCode::kAlreadyExists);

  // Metering changed after issuance: resume refuses to paper over it.
  SupplyInput changed = one;
  changed.input.generation[first_source] += 1;
  auto diff = IssueHourly(book, *supply_, changed, resume);
  ASSERT_FALSE(diff.ok());
  EXPECT_EQ(diff.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(book.IssuedWh(), GenerationWh(si));
}

TEST_F(IssuanceDemo, ASinkFailureMidwayIsResumed) {
  const SupplyInput& si = *input_;
  int appended = 0;
  bool fail_once = true;
  Ledger ledger([&](const LedgerRecord&) -> Status {
    if (++appended == 100 && fail_once) {
      fail_once = false;
      return UnavailableError("store down");
    }
    return Status::OK();
  });
  CertificateBook book(ledger);
  auto broken = IssueHourly(book, *supply_, si, Options());
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(ledger.size(), 99);
  auto retry = IssueHourly(book, *supply_, si, Options());
  EXPECT_EQ(retry.status().code(), StatusCode::kAlreadyExists);
  IssuanceOptions resume = Options();
  resume.resume = true;
  auto rest = IssueHourly(book, *supply_, si, resume);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(book.IssuedWh(), GenerationWh(si));
  ExpectIssuedEqualsGeneration(book, si);
  EXPECT_TRUE(VerifyChain(ledger.records(), ledger.head_hash()).ok());
}

TEST_F(IssuanceDemo, InconsistentInputIsRefused) {
  Ledger ledger;
  CertificateBook book(ledger);
  IssuanceOptions o = Options();
  o.issuer.clear();
  EXPECT_EQ(IssueHourly(book, *supply_, *input_, o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.action.actor.clear();
  EXPECT_EQ(IssueHourly(book, *supply_, *input_, o).status().code(), StatusCode::kInvalidArgument);
  SupplyInput bad = *input_;
  bad.hour_start_s.pop_back();
  EXPECT_EQ(IssueHourly(book, *supply_, bad, Options()).status().code(),
            StatusCode::kInvalidArgument);
  bad = *input_;
  bad.hour_start_s[0] += 60;
  EXPECT_EQ(IssueHourly(book, *supply_, bad, Options()).status().code(),
            StatusCode::kInvalidArgument);
  bad = *input_;
  bad.input.generation.back() = -5;
  EXPECT_EQ(IssueHourly(book, *supply_, bad, Options()).status().code(),
            StatusCode::kInvalidArgument);
  bad = *input_;
  bad.source_asset[0] = "NO.SUCH.ASSET";
  EXPECT_NE(IssueHourly(book, *supply_, bad, Options()).status().ToString().find("NO.SUCH.ASSET"),
            std::string::npos);
  bad = *input_;
  bad.source_asset[1] = bad.source_asset[0];
  EXPECT_EQ(IssueHourly(book, *supply_, bad, Options()).status().code(),
            StatusCode::kInvalidArgument);
  Supply heat = *supply_;
  for (GenerationAsset& g : heat.assets) {
    if (g.code == input_->source_asset[0]) g.technology = Technology::kGeothermalHeat;
  }
  EXPECT_EQ(IssueHourly(book, heat, *input_, Options()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ledger.size(), 0);  // nothing issued by any of them
  EXPECT_EQ(book.IssuedWh(), 0);
}
}  // namespace
}  // namespace zp::green
