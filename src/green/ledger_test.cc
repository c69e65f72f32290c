#include "zp/green/ledger.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

namespace zp::green {
namespace {

// Fixture record for the independent test vector.
LedgerRecord VectorRecord() {
  LedgerRecord r;
  r.seq = 1;
  r.time_s = 1718236800;
  r.kind = LedgerKind::kIssuance;
  r.actor = "admin@park";
  r.prev_hash = std::string(kGenesisHash);
  r.fields = {{"device", "pv-01"},
              {"technology", "pv"},
              {"location", "沈阳/铁西"},
              {"from_wh", int64_t{0}},
              {"to_wh", int64_t{1500}},
              {"production_hour_s", int64_t{1718233200}},
              {"note", std::string("q\"b\\s\nt\tc\x01\x7f/\xc3\xa9")},
              {"neg", int64_t{-42}}};
  return r;
}

TEST(LedgerTest, CanonicalRecordMatchesIndependentVector) {
  // Computed once outside this code base with Python 3.11:
  //   json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
  // (the string below is that output; the byte 0x7F after \u0001 is written raw), then
  //   { printf '%064d\n' 0; cat canon.txt; } | sha256sum
  const std::string expected_canonical =
      "{\"actor\":\"admin@park\",\"fields\":{\"device\":\"pv-01\",\"from_wh\":0,\"location\":"
      "\"沈阳/铁西\",\"neg\":-42,\"note\":\"q\\\"b\\\\s\\nt\\tc\\u0001\x7f/é\","
      "\"production_hour_s\":1718233200,\"technology\":\"pv\",\"to_wh\":1500},\"kind\":"
      "\"issuance\",\"prev_hash\":"
      "\"0000000000000000000000000000000000000000000000000000000000000000\",\"seq\":1,"
      "\"time_s\":1718236800}";
  const LedgerRecord r = VectorRecord();
  auto canonical = CanonicalRecord(r);
  ASSERT_TRUE(canonical.ok()) << canonical.error().ToString();
  EXPECT_EQ(*canonical, expected_canonical);
  auto hash = ComputeRecordHash(r);
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(*hash, "708935256d497c2804c6df6529dc9134003d0f2ac26ba21728875c6fac951ab9");

  // nlohmann::json::dump of the same object gives the same bytes (documented in the header).
  nlohmann::json j = nlohmann::json::parse(expected_canonical);
  EXPECT_EQ(j.dump(), expected_canonical);
}

TEST(LedgerTest, CanonicalRejectsBadKeysAndUtf8) {
  LedgerRecord r = VectorRecord();
  r.fields.emplace("Bad-Key", int64_t{1});
  EXPECT_EQ(CanonicalRecord(r).error().code(), StatusCode::kInvalidArgument);
  r = VectorRecord();
  r.fields["note"] = std::string("\xff\xfe");
  EXPECT_EQ(CanonicalRecord(r).error().code(), StatusCode::kInvalidArgument);
  r = VectorRecord();
  r.actor = "\xed\xa0\x80";  // UTF-16 surrogate encoded in UTF-8
  EXPECT_FALSE(CanonicalRecord(r).ok());
  r = VectorRecord();
  r.fields.emplace("", int64_t{1});
  EXPECT_FALSE(CanonicalRecord(r).ok());
}

TEST(LedgerTest, NamesRoundTrip) {
  for (int i = 0; i < kLedgerKindCount; ++i) {
    const auto k = static_cast<LedgerKind>(i);
    EXPECT_EQ(*ParseLedgerKind(LedgerKindName(k)), k);
    EXPECT_FALSE(LedgerKindNameZh(k).empty());
  }
  for (int i = 0; i < kCertStatusCount; ++i) {
    const auto s = static_cast<CertStatus>(i);
    EXPECT_EQ(*ParseCertStatus(CertStatusName(s)), s);
  }
  EXPECT_FALSE(ParseLedgerKind("mint").ok());
  EXPECT_FALSE(ParseCertStatus("Active").ok());
}

std::vector<LedgerRecord> MakeChain(int n) {
  Ledger ledger;
  for (int i = 0; i < n; ++i) {
    auto r = ledger.Append(static_cast<LedgerKind>(i % kLedgerKindCount), "svc", 1000 + i,
                           {{"i", int64_t{i}}, {"device", "pv-" + std::to_string(i % 3)}});
    EXPECT_TRUE(r.ok());
  }
  return ledger.records();
}

TEST(LedgerTest, AppendAndVerify) {
  Ledger ledger;
  EXPECT_EQ(ledger.head_hash(), kGenesisHash);
  EXPECT_TRUE(VerifyChain({}).ok());
  EXPECT_TRUE(VerifyChain({}, kGenesisHash).ok());
  auto first = ledger.Append(LedgerKind::kIssuance, "admin", 5, {{"wh", int64_t{7}}});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(first->prev_hash, kGenesisHash);
  EXPECT_EQ(first->hash, *ComputeRecordHash(*first));
  auto second = ledger.Append(LedgerKind::kTransfer, "admin", 6, {});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(second->prev_hash, first->hash);
  EXPECT_EQ(ledger.head_hash(), second->hash);
  EXPECT_EQ(ledger.size(), 2);
  EXPECT_FALSE(ledger.Append(LedgerKind::kClaim, "", 7, {}).ok());
  EXPECT_FALSE(ledger.Append(LedgerKind::kClaim, "x", 7, {{"A", int64_t{1}}}).ok());
  EXPECT_EQ(ledger.size(), 2);

  const auto records = ledger.records();
  EXPECT_TRUE(VerifyChain(records).ok());
  EXPECT_TRUE(VerifyChain(records, ledger.head_hash()).ok());
  ChainCheck c = CheckChain(records);
  EXPECT_EQ(c.fault, ChainFault::kNone);
  EXPECT_EQ(c.records, 2);
  EXPECT_EQ(c.head_hash, second->hash);

  const auto page = ledger.Records(2, 10);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].seq, 2);
  EXPECT_TRUE(ledger.Records(3, 10).empty());
  EXPECT_EQ(ledger.Records(1, 1).size(), 1u);
  // A segment verifies from its anchor.
  EXPECT_TRUE(CheckChain(page, std::nullopt, 2, first->hash).status.ok());
}

void ExpectFault(std::span<const LedgerRecord> chain, ChainFault fault, int64_t seq,
                 std::optional<std::string_view> head = std::nullopt) {
  const ChainCheck c = CheckChain(chain, head);
  EXPECT_EQ(c.fault, fault) << c.status.ToString();
  EXPECT_EQ(c.seq, seq) << c.status.ToString();
  EXPECT_EQ(c.status.code(), StatusCode::kDataLoss);
  const std::string en = "ledger seq " + std::to_string(seq) + ":";
  const std::string zh = "账本第 " + std::to_string(seq) + " 条";
  EXPECT_NE(c.status.message().find(en), std::string::npos) << c.status.message();
  EXPECT_NE(c.status.message().find(zh), std::string::npos) << c.status.message();
  if (head) {
    EXPECT_FALSE(VerifyChain(chain, *head).ok());
  } else {
    EXPECT_FALSE(VerifyChain(chain).ok());
  }
}

TEST(LedgerTest, DetectsEditedField) {
  const auto good = MakeChain(10);
  auto chain = good;
  chain[3].fields["i"] = int64_t{99};
  ExpectFault(chain, ChainFault::kHashMismatch, 4);
  chain = good;
  chain[6].actor = "mallory";
  ExpectFault(chain, ChainFault::kHashMismatch, 7);
  chain = good;
  chain[0].time_s += 1;
  ExpectFault(chain, ChainFault::kHashMismatch, 1);
  chain = good;
  chain[9].kind = LedgerKind::kWithdrawal;
  ExpectFault(chain, ChainFault::kHashMismatch, 10);
  chain = good;
  chain[4].fields.emplace("extra", "x");
  ExpectFault(chain, ChainFault::kHashMismatch, 5);
  chain = good;
  chain[2].hash[5] = chain[2].hash[5] == 'a' ? 'b' : 'a';
  ExpectFault(chain, ChainFault::kHashMismatch, 3);
  chain = good;
  chain[2].hash = "XYZ";
  ExpectFault(chain, ChainFault::kMalformed, 3);
}

TEST(LedgerTest, DetectsDeletionReorderingAndDuplication) {
  const auto good = MakeChain(10);
  auto chain = good;
  chain.erase(chain.begin() + 4);
  ExpectFault(chain, ChainFault::kMissing, 5);
  chain = good;
  chain.erase(chain.begin());
  ExpectFault(chain, ChainFault::kMissing, 1);
  chain = good;
  std::swap(chain[2], chain[3]);
  ExpectFault(chain, ChainFault::kOutOfOrder, 3);
  chain = good;
  chain.insert(chain.begin() + 5, good[4]);
  ExpectFault(chain, ChainFault::kOutOfOrder, 6);
  // Reordered and renumbered: the moved record no longer links to its new predecessor.
  chain = good;
  std::swap(chain[2], chain[3]);
  std::swap(chain[2].seq, chain[3].seq);
  ExpectFault(chain, ChainFault::kPrevHashMismatch, 3);
}

TEST(LedgerTest, DetectsTruncationAndForgery) {
  const auto good = MakeChain(10);
  const std::string head = good.back().hash;
  auto chain = good;
  chain.pop_back();
  EXPECT_TRUE(VerifyChain(chain).ok());                     // a prefix is a valid chain...
  ExpectFault(chain, ChainFault::kHeadMismatch, 10, head);  // ...but not the expected one
  chain = good;
  chain.clear();
  ExpectFault(chain, ChainFault::kHeadMismatch, 1, head);

  // Forged record in the middle with a recomputed hash: the next link breaks.
  chain = good;
  chain[5].fields["i"] = int64_t{500};
  chain[5].hash = *ComputeRecordHash(chain[5]);
  ExpectFault(chain, ChainFault::kPrevHashMismatch, 7);

  // Forged last record, or a whole rewritten suffix: only the expected head catches it.
  chain = good;
  chain[9].actor = "mallory";
  chain[9].hash = *ComputeRecordHash(chain[9]);
  EXPECT_TRUE(VerifyChain(chain).ok());
  ExpectFault(chain, ChainFault::kHeadMismatch, 11, head);
  chain = good;
  for (size_t i = 6; i < chain.size(); ++i) {
    if (i == 6) chain[i].fields["i"] = int64_t{-1};
    chain[i].prev_hash = chain[i - 1].hash;
    chain[i].hash = *ComputeRecordHash(chain[i]);
  }
  EXPECT_TRUE(VerifyChain(chain).ok());
  ExpectFault(chain, ChainFault::kHeadMismatch, 11, head);
  EXPECT_TRUE(VerifyChain(good, head).ok());
}

TEST(LedgerTest, JsonRoundTripAndFloatsRefused) {
  const LedgerRecord v = [] {
    LedgerRecord r = VectorRecord();
    r.hash = *ComputeRecordHash(r);
    return r;
  }();
  auto json = RecordToJson(v);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find(",\"hash\":\"7089352"), std::string::npos);
  auto back = RecordFromJson(*json);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, v);

  const std::string base =
      R"({"actor":"a","fields":{F},"hash":"h","kind":"claim","prev_hash":"p","seq":SEQ,"time_s":1})";
  auto make = [&](std::string fields, std::string seq) {
    std::string s = base;
    s.replace(s.find("F"), 1, fields);
    s.replace(s.find("SEQ"), 3, seq);
    return s;
  };
  EXPECT_TRUE(RecordFromJson(make(R"("wh":5,"x":"y")", "1")).ok());
  for (const auto& [fields, seq] : std::vector<std::pair<std::string, std::string>>{
           {R"("wh":1.5)", "1"},
           {R"("wh":1e3)", "1"},
           {R"("wh":2.0)", "1"},
           {"", "1.0"},
           {R"("wh":NaN)", "1"},
           {R"("wh":true)", "1"},
           {R"("wh":null)", "1"},
           {R"("wh":[1])", "1"},
           {R"("wh":{"a":1})", "1"},
           {R"("WH":1)", "1"},
           {R"("wh":18446744073709551615)", "1"},
       }) {
    auto r = RecordFromJson(make(fields, seq));
    EXPECT_FALSE(r.ok()) << fields << " " << seq;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
    }
  }
  auto f = RecordFromJson(make(R"("wh":1.5)", "1"));
  EXPECT_NE(f.error().message().find("floats are not allowed"), std::string::npos);
  EXPECT_FALSE(RecordFromJson(R"({"actor":"a"})").ok());
  EXPECT_FALSE(RecordFromJson(make("", "1").insert(1, R"("extra":1,)")).ok());
  EXPECT_FALSE(RecordFromJson("[").ok());
}

TEST(LedgerTest, JsonLinesExportVerifies) {
  const auto chain = MakeChain(20);
  std::string text;
  for (const auto& r : chain) text += *RecordToJson(r) + "\n";
  auto back = RecordsFromJsonLines(text + "\n");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, chain);
  EXPECT_TRUE(VerifyChain(*back, chain.back().hash).ok());
  // An edit in the text file is caught.
  std::string edited = text;
  const size_t pos = edited.find("\"i\":7}");
  ASSERT_NE(pos, std::string::npos);
  edited.replace(pos, 6, "\"i\":8}");
  auto tampered = RecordsFromJsonLines(edited);
  ASSERT_TRUE(tampered.ok());
  EXPECT_EQ(CheckChain(*tampered).seq, 8);
  auto bad = RecordsFromJsonLines(text + "{\"x\":1.5}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("line 21"), std::string::npos);
}

TEST(LedgerTest, SinkAndResume) {
  std::vector<LedgerRecord> stored;
  bool fail = false;
  Ledger ledger([&](const LedgerRecord& r) {
    if (fail) return UnavailableError("disk full");
    stored.push_back(r);
    return Status::OK();
  });
  ASSERT_TRUE(ledger.Append(LedgerKind::kIssuance, "a", 1, {}).ok());
  fail = true;
  auto r = ledger.Append(LedgerKind::kTransfer, "a", 2, {});
  EXPECT_EQ(r.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(ledger.size(), 1);
  fail = false;
  ASSERT_TRUE(ledger.Append(LedgerKind::kClaim, "a", 3, {}).ok());
  EXPECT_EQ(stored, ledger.records());
  EXPECT_EQ(stored[1].seq, 2);

  auto resumed = Ledger::FromRecords(stored);
  ASSERT_TRUE(resumed.ok());
  auto next = (*resumed)->Append(LedgerKind::kExpiry, "a", 4, {});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq, 3);
  EXPECT_EQ(next->prev_hash, stored.back().hash);
  stored[0].actor = "b";
  EXPECT_EQ(Ledger::FromRecords(stored).error().code(), StatusCode::kDataLoss);
}

TEST(LedgerTest, ConcurrentAppendsKeepOneValidChain) {
  Ledger ledger;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 1000;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = ledger.Append(LedgerKind::kAllocation, "thread-" + std::to_string(t), i,
                               {{"t", int64_t{t}}, {"i", int64_t{i}}});
        if (!r.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const auto records = ledger.records();
  ASSERT_EQ(records.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_TRUE(VerifyChain(records, ledger.head_hash()).ok());
  std::vector<int64_t> next(kThreads, 0);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq, static_cast<int64_t>(i) + 1);
    // Each thread's own appends keep their order.
    const auto t = std::get<int64_t>(records[i].fields.at("t"));
    EXPECT_EQ(std::get<int64_t>(records[i].fields.at("i")), next[t]++);
  }
}

// --- CertificateBook.

constexpr int64_t kHour = 1718233200;  // 2024-06-12T23:00:00Z

IssueRequest Req(std::string device, int64_t hour, int64_t wh) {
  return {std::move(device), "pv", "shenyang-tiexi", "park-issuer", "producer", hour, wh};
}
CertAction Act(int64_t t = kHour + 4000, std::string ref = "") {
  return {"admin", t, std::move(ref)};
}

TEST(CertificateBookTest, IssueIsContiguousPerDevice) {
  Ledger ledger;
  CertificateBook book(ledger);
  auto a = book.Issue(Req("pv-1", kHour, 1000), Act());
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  EXPECT_EQ(a->issuance_id, 1);
  EXPECT_EQ(a->from_wh, 0);
  EXPECT_EQ(a->to_wh, 1000);
  EXPECT_EQ(a->status, CertStatus::kActive);
  auto b = book.Issue(Req("pv-1", kHour + 3600, 250), Act());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->from_wh, 1000);
  EXPECT_EQ(b->to_wh, 1250);
  auto c = book.Issue(Req("wind-1", kHour, 40), Act());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->from_wh, 0);
  EXPECT_EQ(c->issuance_id, 3);

  EXPECT_EQ(book.Issue(Req("pv-1", kHour, 5), Act()).error().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(book.Issue(Req("pv-1", kHour + 60, 5), Act()).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(book.Issue(Req("pv-1", kHour + 7200, 0), Act()).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(book.Issue(Req("", kHour + 7200, 5), Act()).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(book.Issue(Req("pv-1", kHour + 7200, 5), {"", 1, ""}).ok());  // no actor
  EXPECT_EQ(book.IssuedWh(), 1290);
  EXPECT_EQ(ledger.size(), 3);

  const auto records = ledger.records();
  EXPECT_TRUE(VerifyChain(records, ledger.head_hash()).ok());
  const auto& f = records[1].fields;
  EXPECT_EQ(records[1].kind, LedgerKind::kIssuance);
  EXPECT_EQ(std::get<std::string>(f.at("device")), "pv-1");
  EXPECT_EQ(std::get<std::string>(f.at("technology")), "pv");
  EXPECT_EQ(std::get<std::string>(f.at("location")), "shenyang-tiexi");
  EXPECT_EQ(std::get<std::string>(f.at("issuer")), "park-issuer");
  EXPECT_EQ(std::get<int64_t>(f.at("production_hour_s")), kHour + 3600);
  EXPECT_EQ(std::get<int64_t>(f.at("from_wh")), 1000);
  EXPECT_EQ(std::get<int64_t>(f.at("to_wh")), 1250);
  EXPECT_EQ(std::get<int64_t>(f.at("issuance_id")), 2);
}

TEST(CertificateBookTest, SplitAllocateClaimAndStatuses) {
  Ledger ledger;
  CertificateBook book(ledger);
  ASSERT_TRUE(book.Issue(Req("pv-1", kHour, 1000), Act()).ok());

  // Transfer the middle: three bundles.
  auto t = book.Transfer({"pv-1", 200, 700}, "producer", "trader", Act(kHour + 4000, "PPA-7"));
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_EQ(t->status, CertStatus::kTransferred);
  EXPECT_EQ(t->account, "trader");
  EXPECT_EQ(t->issuance_id, 1);
  auto bundles = book.Bundles();
  ASSERT_EQ(bundles.size(), 3u);
  EXPECT_EQ(bundles[0].to_wh, 200);
  EXPECT_EQ(bundles[0].account, "producer");
  EXPECT_EQ(bundles[1].from_wh, 200);
  EXPECT_EQ(bundles[2].from_wh, 700);
  EXPECT_EQ(bundles[2].status, CertStatus::kActive);

  // Holder and span checks.
  EXPECT_EQ(book.Transfer({"pv-1", 200, 300}, "producer", "x", Act()).error().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(book.Allocate({"pv-1", 100, 300}, "producer", "ent-a", Act()).error().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(book.Allocate({"pv-1", 900, 1001}, "producer", "ent-a", Act()).error().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(book.Allocate({"pv-9", 0, 1}, "producer", "ent-a", Act()).error().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(book.Allocate({"pv-1", 5, 5}, "producer", "ent-a", Act()).error().code(),
            StatusCode::kInvalidArgument);

  // Allocate part of the trader's range, then double allocation is refused.
  auto a = book.Allocate({"pv-1", 200, 500}, "trader", "ent-a", Act(kHour + 5000, "run-1"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->status, CertStatus::kAllocated);
  EXPECT_EQ(a->consumer, "ent-a");
  auto dbl = book.Allocate({"pv-1", 300, 400}, "trader", "ent-b", Act());
  EXPECT_EQ(dbl.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(dbl.error().message().find("double allocation"), std::string::npos);

  // Claim: the wrong consumer is refused, then the right one, then no second claim.
  EXPECT_EQ(book.Claim({"pv-1", 200, 300}, "ent-b", Act()).error().code(),
            StatusCode::kFailedPrecondition);
  auto c = book.Claim({"pv-1", 200, 300}, "ent-a", Act());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, CertStatus::kClaimed);
  EXPECT_EQ(book.Claim({"pv-1", 200, 300}, "ent-a", Act()).error().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(book.Allocate({"pv-1", 200, 300}, "trader", "ent-b", Act()).error().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(book.Withdraw({"pv-1", 200, 300}, Act()).error().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(book.CancelAllocation({"pv-1", 200, 300}, Act()).error().code(),
            StatusCode::kFailedPrecondition);

  // Cancel the rest of the allocation: back to transferred, allocatable again.
  auto x = book.CancelAllocation({"pv-1", 300, 500}, Act(kHour + 6000, "run-2 replaces run-1"));
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->status, CertStatus::kTransferred);
  EXPECT_TRUE(x->consumer.empty());
  ASSERT_TRUE(book.Allocate({"pv-1", 300, 500}, "trader", "ent-b", Act()).ok());

  // A holder may claim its own certificates directly; transferring back home is "active".
  ASSERT_TRUE(book.Claim({"pv-1", 500, 600}, "trader", Act()).ok());
  auto home = book.Transfer({"pv-1", 600, 700}, "trader", "producer", Act());
  ASSERT_TRUE(home.ok());
  EXPECT_EQ(home->status, CertStatus::kActive);

  // Withdraw and expire.
  ASSERT_TRUE(book.Withdraw({"pv-1", 0, 100}, Act()).ok());
  EXPECT_EQ(book.Withdraw({"pv-1", 0, 100}, Act()).error().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(book.Issue(Req("pv-1", kHour + 3600, 50), Act()).ok());
  auto expired = book.ExpireBefore(kHour + 3600, Act());
  ASSERT_TRUE(expired.ok());
  // Bundles [100,200), [600,700), [700,1000) active and [300,500) allocated expire (one record
  // each); claimed and withdrawn stay.
  EXPECT_EQ(*expired, 100 + 200 + 100 + 300);
  EXPECT_EQ(book.Allocate({"pv-1", 1000, 1050}, "producer", "ent-a", Act()).status().code(),
            StatusCode::kOk);

  const auto wh = book.WhByStatus();
  EXPECT_EQ(wh[static_cast<int>(CertStatus::kClaimed)], 200);
  EXPECT_EQ(wh[static_cast<int>(CertStatus::kWithdrawn)], 100);
  EXPECT_EQ(wh[static_cast<int>(CertStatus::kExpired)], 700);
  EXPECT_EQ(wh[static_cast<int>(CertStatus::kAllocated)], 50);
  int64_t total = 0;
  for (int64_t v : wh) total += v;
  EXPECT_EQ(total, book.IssuedWh());
  EXPECT_EQ(total, 1050);

  // The ledger holds exactly the accepted operations, in order, and verifies.
  const auto records = ledger.records();
  std::vector<LedgerKind> kinds;
  for (const auto& r : records) kinds.push_back(r.kind);
  using K = LedgerKind;
  const std::vector<LedgerKind> want = {
      K::kIssuance,   K::kTransfer, K::kAllocation, K::kClaim,      K::kCancellation,
      K::kAllocation, K::kClaim,    K::kTransfer,   K::kWithdrawal, K::kIssuance,
      K::kExpiry,     K::kExpiry,   K::kExpiry,     K::kExpiry,     K::kAllocation};
  EXPECT_EQ(kinds, want);
  EXPECT_TRUE(VerifyChain(records, ledger.head_hash()).ok());
  EXPECT_EQ(std::get<std::string>(records[1].fields.at("reference")), "PPA-7");
  EXPECT_EQ(std::get<std::string>(records[1].fields.at("to_account")), "trader");
  EXPECT_EQ(std::get<std::string>(records[2].fields.at("consumer")), "ent-a");
  EXPECT_EQ(std::get<int64_t>(records[2].fields.at("wh")), 300);
}

TEST(CertificateBookTest, ConcurrentAllocationOfSameRangeHasOneWinner) {
  Ledger ledger;
  CertificateBook book(ledger);
  constexpr int kRounds = 200;
  constexpr int kThreads = 8;
  for (int k = 0; k < kRounds; ++k) {
    ASSERT_TRUE(book.Issue(Req("pv-1", kHour + k * 3600, 1000), Act()).ok());
  }
  // Every round, 8 threads released together race to allocate the same 500 Wh.
  std::vector<std::atomic<int>> wins(kRounds);
  std::atomic<int> refused{0};
  std::barrier sync(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kRounds; ++k) {
        sync.arrive_and_wait();
        auto r = book.Allocate({"pv-1", k * 1000 + 100, k * 1000 + 600}, "producer",
                               "ent-" + std::to_string(t), Act());
        if (r.ok()) {
          wins[k].fetch_add(1);
        } else if (r.error().code() == StatusCode::kFailedPrecondition) {
          refused.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int k = 0; k < kRounds; ++k) EXPECT_EQ(wins[k].load(), 1) << "round " << k;
  EXPECT_EQ(refused.load(), kRounds * (kThreads - 1));
  EXPECT_EQ(book.WhByStatus()[static_cast<int>(CertStatus::kAllocated)], kRounds * 500);
  const auto records = ledger.records();
  ASSERT_EQ(records.size(), static_cast<size_t>(2 * kRounds));
  EXPECT_TRUE(VerifyChain(records, ledger.head_hash()).ok());
}

TEST(CertificateBookTest, ConcurrentRandomAllocationsNeverExceedIssued) {
  Ledger ledger;
  CertificateBook book(ledger);
  constexpr int kDevices = 3;
  constexpr int64_t kWh = 10'000;
  for (int d = 0; d < kDevices; ++d) {
    ASSERT_TRUE(book.Issue(Req("pv-" + std::to_string(d), kHour, kWh), Act()).ok());
  }
  constexpr int kThreads = 8;
  std::atomic<int64_t> won_wh{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);
      for (int i = 0; i < 400; ++i) {
        const int d = static_cast<int>(rng() % kDevices);
        const int64_t from = rng() % kWh;
        const int64_t to = std::min<int64_t>(kWh, from + 1 + rng() % 200);
        const WhRange r{"pv-" + std::to_string(d), from, to};
        if (i % 5 == 4) {
          (void)book.Claim(r, "ent-" + std::to_string(t), Act());
        } else if (book.Allocate(r, "producer", "ent-" + std::to_string(t), Act()).ok()) {
          won_wh.fetch_add(r.wh());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto wh = book.WhByStatus();
  const int64_t taken =
      wh[static_cast<int>(CertStatus::kAllocated)] + wh[static_cast<int>(CertStatus::kClaimed)];
  EXPECT_GT(taken, 0);
  EXPECT_LE(taken, book.IssuedWh());
  int64_t all = 0;
  for (int64_t v : wh) all += v;
  EXPECT_EQ(all, kDevices * kWh);
  // Claims here only succeed on ranges allocated to the same consumer, which then move from
  // allocated to claimed: the Wh recorded in allocation records equals what is taken.
  const auto records = ledger.records();
  EXPECT_TRUE(VerifyChain(records, ledger.head_hash()).ok());
  int64_t ledger_alloc = 0;
  for (const auto& r : records) {
    if (r.kind == LedgerKind::kAllocation) ledger_alloc += std::get<int64_t>(r.fields.at("wh"));
  }
  EXPECT_EQ(ledger_alloc, taken);
  EXPECT_EQ(won_wh.load(), taken);
  // No Wh is in two bundles: the bundles tile each device's range exactly.
  int64_t expect_from = 0;
  std::string device;
  for (const auto& b : book.Bundles()) {
    if (b.device != device) {
      device = b.device;
      expect_from = 0;
    }
    EXPECT_EQ(b.from_wh, expect_from);
    expect_from = b.to_wh;
  }
}

// Every operation, then a fresh book fed the ledger's records: the same bundles (ledger seqs
// included), totals and answers; the rebuilt book continues the same chain.
TEST(CertificateBookTest, ReplayRebuildsTheBook) {
  Ledger ledger;
  CertificateBook book(ledger);
  ASSERT_TRUE(book.Issue(Req("pv-1", kHour, 1000), Act()).ok());
  ASSERT_TRUE(book.Issue(Req("wind-1", kHour, 400), Act()).ok());
  ASSERT_TRUE(book.Transfer({"pv-1", 200, 700}, "producer", "trader", Act()).ok());
  ASSERT_TRUE(book.Allocate({"pv-1", 200, 500}, "trader", "ent-a", Act()).ok());
  ASSERT_TRUE(
      book.Claim({"pv-1", 200, 300}, "ent-a", Act(), {{"consumption_wh", int64_t{9}}}).ok());
  ASSERT_TRUE(book.CancelAllocation({"pv-1", 300, 500}, Act()).ok());
  ASSERT_TRUE(book.Claim({"pv-1", 500, 600}, "trader", Act()).ok());
  ASSERT_TRUE(book.Transfer({"pv-1", 600, 700}, "trader", "producer", Act()).ok());
  ASSERT_TRUE(book.Withdraw({"pv-1", 0, 100}, Act()).ok());
  ASSERT_TRUE(book.Issue(Req("pv-1", kHour + 3600, 50), Act()).ok());
  ASSERT_TRUE(book.Allocate({"wind-1", 0, 100}, "producer", "ent-b", Act()).ok());
  ASSERT_TRUE(book.ExpireBefore(kHour + 3600, Act()).ok());
  ASSERT_TRUE(book.Allocate({"pv-1", 1000, 1050}, "producer", "ent-a", Act()).ok());

  const auto records = ledger.records();
  Ledger ledger2;
  CertificateBook again(ledger2);
  for (const LedgerRecord& r : records) {
    Status s = again.Replay(r);
    ASSERT_TRUE(s.ok()) << r.seq << ": " << s.ToString();
  }
  const auto bundles = book.Bundles();
  EXPECT_EQ(again.Bundles(), bundles);
  EXPECT_EQ(again.WhByStatus(), book.WhByStatus());
  EXPECT_EQ(again.IssuedWh(), book.IssuedWh());
  // ledger_seq is the record that last changed the range.
  for (const CertBundle& b : bundles) {
    ASSERT_GE(b.ledger_seq, 1);
    const LedgerRecord& r = records[b.ledger_seq - 1];
    EXPECT_EQ(std::get<std::string>(r.fields.at("device")), b.device);
    EXPECT_LE(std::get<int64_t>(r.fields.at("from_wh")), b.from_wh);
    EXPECT_GE(std::get<int64_t>(r.fields.at("to_wh")), b.to_wh);
    EXPECT_EQ(std::get<std::string>(r.fields.at("status")), CertStatusName(b.status));
  }
  CertQuery q;
  q.limit = 1000;
  EXPECT_EQ(again.Query(q).bundles, book.Query(q).bundles);
  EXPECT_EQ(again.IssuedRange("pv-1", kHour + 3600)->from_wh, 1000);
  EXPECT_FALSE(again.IssuedRange("pv-1", kHour + 7200));
  // A double allocation stays refused after the replay.
  EXPECT_EQ(again.Allocate({"pv-1", 1000, 1050}, "producer", "ent-b", Act()).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(CertificateBookTest, ReplayRefusesRecordsThatDoNotApply) {
  Ledger ledger;
  CertificateBook book(ledger);
  ASSERT_TRUE(book.Issue(Req("pv-1", kHour, 1000), Act()).ok());
  ASSERT_TRUE(book.Allocate({"pv-1", 0, 400}, "producer", "ent-a", Act()).ok());
  ASSERT_TRUE(book.Claim({"pv-1", 0, 400}, "ent-a", Act()).ok());
  const auto records = ledger.records();
  {
    // The issuance is missing: the allocation does not apply.
    Ledger l;
    CertificateBook b(l);
    Status s = b.Replay(records[1]);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss);
    EXPECT_NE(s.message().find("ledger seq 2"), std::string::npos) << s.message();
  }
  {
    // Claimed twice.
    Ledger l;
    CertificateBook b(l);
    for (const auto& r : records) ASSERT_TRUE(b.Replay(r).ok());
    LedgerRecord twice = records[2];
    twice.seq = 4;
    EXPECT_EQ(b.Replay(twice).code(), StatusCode::kDataLoss);
    // An issuance out of Wh order, a record without its fields.
    LedgerRecord issue = records[0];
    issue.seq = 5;
    issue.fields["production_hour_s"] = kHour + 3600;
    EXPECT_EQ(b.Replay(issue).code(), StatusCode::kDataLoss);  // from_wh 0 where 1000 is next
    LedgerRecord bare = records[1];
    bare.fields.erase("from_wh");
    EXPECT_EQ(b.Replay(bare).code(), StatusCode::kDataLoss);
    // A status that disagrees with the book's transition.
    LedgerRecord wrong = records[1];
    wrong.fields["from_wh"] = int64_t{400};
    wrong.fields["to_wh"] = int64_t{500};
    wrong.fields["status"] = std::string("claimed");
    EXPECT_EQ(b.Replay(wrong).code(), StatusCode::kDataLoss);
  }
}

TEST(CertificateBookTest, ClaimFieldsAreRecordedButNotOverridden) {
  Ledger ledger;
  CertificateBook book(ledger);
  ASSERT_TRUE(book.Issue(Req("pv-1", kHour, 1000), Act()).ok());
  ASSERT_TRUE(book.Allocate({"pv-1", 0, 400}, "producer", "ent-a", Act()).ok());
  EXPECT_EQ(
      book.Claim({"pv-1", 0, 400}, "ent-a", Act(), {{"status", std::string("x")}}).status().code(),
      StatusCode::kInvalidArgument);
  ASSERT_TRUE(book.Claim({"pv-1", 0, 400}, "ent-a", Act(),
                         {{"consumption_cert", std::string("CC-ent-a-2024061307")},
                          {"consumption_wh", int64_t{512}}})
                  .ok());
  const LedgerRecord r = ledger.records().back();
  EXPECT_EQ(r.kind, LedgerKind::kClaim);
  EXPECT_EQ(std::get<std::string>(r.fields.at("consumption_cert")), "CC-ent-a-2024061307");
  EXPECT_EQ(std::get<int64_t>(r.fields.at("consumption_wh")), 512);
  EXPECT_EQ(std::get<std::string>(r.fields.at("consumer")), "ent-a");
}

// Random operations on several devices, hours and parties; every query equals a brute-force
// filter of Bundles() in (hour, device, from_wh) order, with its totals and page.
TEST(CertificateBookTest, QueryEqualsBruteForce) {
  Ledger ledger;
  CertificateBook book(ledger);
  std::mt19937 rng(7);
  const std::vector<std::string> devices = {"pv-b", "pv-a", "wind-1"};
  const std::vector<std::string> parties = {"E1", "E2", "E3"};
  for (int h = 0; h < 12; ++h) {
    for (const std::string& d : devices) {
      IssueRequest req = Req(d, kHour + h * 3600, 100 + static_cast<int64_t>(rng() % 900));
      req.account = d == "wind-1" ? "park" : "E1";
      ASSERT_TRUE(book.Issue(req, Act()).ok());
    }
  }
  for (int i = 0; i < 400; ++i) {
    const auto all = book.Bundles();
    const CertBundle& b = all[rng() % all.size()];
    if (b.to_wh - b.from_wh < 2) continue;
    const int64_t from = b.from_wh + static_cast<int64_t>(rng() % (b.to_wh - b.from_wh - 1));
    const int64_t to = from + 1 + static_cast<int64_t>(rng() % (b.to_wh - from));
    const WhRange r{b.device, from, to};
    const std::string& p = parties[rng() % parties.size()];
    switch (rng() % 4) {
      case 0:
        (void)book.Transfer(r, b.account, p, Act());
        break;
      case 1:
        (void)book.Allocate(r, b.account, p, Act());
        break;
      case 2:
        (void)book.Claim(r, b.consumer.empty() ? b.account : b.consumer, Act());
        break;
      case 3:
        (void)book.CancelAllocation(r, Act());
        break;
    }
  }
  std::vector<CertBundle> all = book.Bundles();
  std::stable_sort(all.begin(), all.end(), [](const CertBundle& a, const CertBundle& b) {
    if (a.production_hour_s != b.production_hour_s)
      return a.production_hour_s < b.production_hour_s;
    if (a.device != b.device) return a.device < b.device;
    return a.from_wh < b.from_wh;
  });
  for (int i = 0; i < 300; ++i) {
    CertQuery q;
    const int np = static_cast<int>(rng() % 3);
    for (int k = 0; k < np; ++k) q.parties.push_back(parties[rng() % parties.size()]);
    if (rng() % 4 == 0) q.parties.push_back("park");
    if (rng() % 3 == 0) q.device = devices[rng() % devices.size()];
    if (rng() % 3 == 0) q.status = static_cast<CertStatus>(rng() % 4);
    if (rng() % 2 == 0) q.from_hour_s = kHour + static_cast<int64_t>(rng() % 12) * 3600 - 1800;
    if (rng() % 2 == 0) q.to_hour_s = kHour + static_cast<int64_t>(rng() % 13) * 3600;
    q.offset = rng() % 20;
    q.limit = static_cast<int64_t>(rng() % 30);
    CertPage want;
    std::vector<CertBundle> matches;
    for (const CertBundle& b : all) {
      const bool party =
          q.parties.empty() ||
          std::find(q.parties.begin(), q.parties.end(), b.account) != q.parties.end() ||
          (!b.consumer.empty() &&
           std::find(q.parties.begin(), q.parties.end(), b.consumer) != q.parties.end());
      if (!party || (!q.device.empty() && b.device != q.device)) continue;
      if (b.production_hour_s < q.from_hour_s || b.production_hour_s >= q.to_hour_s) continue;
      want.wh_by_status[static_cast<int>(b.status)] += b.to_wh - b.from_wh;
      if (q.status && b.status != *q.status) continue;
      matches.push_back(b);
      want.total_wh += b.to_wh - b.from_wh;
    }
    want.total = static_cast<int64_t>(matches.size());
    for (int64_t k = q.offset; k < want.total && k < q.offset + q.limit; ++k) {
      want.bundles.push_back(matches[k]);
    }
    const CertPage got = book.Query(q);
    ASSERT_EQ(got.total, want.total)
        << i << " parties " << q.parties.size() << " device " << q.device << " status "
        << (q.status ? static_cast<int>(*q.status) : -1) << " from " << q.from_hour_s - kHour
        << " to " << q.to_hour_s - kHour;
    ASSERT_EQ(got.total_wh, want.total_wh) << i;
    ASSERT_EQ(got.wh_by_status, want.wh_by_status) << i;
    ASSERT_EQ(got.bundles, want.bundles) << i;
  }
}

TEST(LedgerTest, FieldsJsonRoundTripsFast) {
  const LedgerFields f = VectorRecord().fields;
  auto canonical = CanonicalFields(f);
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(*canonical, nlohmann::json::parse(*canonical).dump());
  bool is_canonical = false;
  auto back = FieldsFromJson(*canonical, &is_canonical);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, f);
  EXPECT_TRUE(is_canonical);
  // The hash from the stored fields bytes equals the record's.
  const LedgerRecord v = VectorRecord();
  EXPECT_EQ(*ComputeRecordHash(v.seq, v.time_s, v.kind, v.actor, *canonical, v.prev_hash),
            *ComputeRecordHash(v));
  // Same values written otherwise are not canonical.
  for (std::string_view other :
       {"{\"b\":1, \"a\":2}", "{\"b\":1,\"a\":2}", "{\"a\":\"\\/\"}", "{\"a\":\"\\u0041\"}",
        "{\"a\":\"\\u000A\"}", "{\"a\":\"\\u000a\"}", "{\"a\":-0}"}) {
    bool c = true;
    ASSERT_TRUE(FieldsFromJson(other, &c).ok()) << other;
    EXPECT_FALSE(c) << other;
  }
  bool c = false;
  ASSERT_TRUE(FieldsFromJson("{\"a\":\"\\u0001\\n\",\"b\":-5}", &c).ok());
  EXPECT_TRUE(c);
  // Whitespace and any escapes are read; the values are the same.
  auto spaced = FieldsFromJson(
      " { \"a\" : -9223372036854775808 ,\"b\":\"\\u00e9\\ud83d\\ude00\\/\" , \"c\" : 0 } ");
  ASSERT_TRUE(spaced.ok()) << spaced.status().ToString();
  EXPECT_EQ(std::get<int64_t>(spaced->at("a")), INT64_MIN);
  EXPECT_EQ(std::get<std::string>(spaced->at("b")), "\xc3\xa9\xf0\x9f\x98\x80/");
  EXPECT_EQ(FieldsFromJson("{}")->size(), 0u);
  for (std::string_view bad :
       {"", "{", "[]", "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":true}", "{\"a\":null}", "{\"a\":[1]}",
        "{\"a\":{}}", "{\"A\":1}", "{\"a\":1,\"a\":2}", "{\"a\":01}", "{\"a\":9223372036854775808}",
        "{\"a\":\"\\ud800\"}", "{\"a\":\"\xff\"}", "{\"a\":1} x", "{\"a\":\"x\n\"}", "{\"a\" 1}"}) {
    EXPECT_EQ(FieldsFromJson(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(FieldsFromJson("{\"a\":1.5}").status().message().find("floats"), std::string::npos);
}

TEST(LedgerTest, ResumedLedgerReadsThroughItsReader) {
  Ledger source;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(source.Append(LedgerKind::kIssuance, "a", i, {{"n", int64_t{i}}}).ok());
  }
  const auto stored = source.records();
  int reads = 0;
  std::vector<LedgerRecord> sunk;
  auto ledger = Ledger::Resume(
      3, stored[2].hash,
      [&](const LedgerRecord& r, std::string_view fields_json) {
        EXPECT_EQ(fields_json, *CanonicalFields(r.fields));
        sunk.push_back(r);
        return Status::OK();
      },
      [&](int64_t from, int64_t limit) -> Result<std::vector<LedgerRecord>> {
        ++reads;
        std::vector<LedgerRecord> out;
        for (int64_t s = from; s <= 3 && (limit <= 0 || s < from + limit); ++s) {
          out.push_back(stored[s - 1]);
        }
        return out;
      });
  EXPECT_EQ(ledger->size(), 3);
  auto r = ledger->Append(LedgerKind::kClaim, "b", 9, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->seq, 4);
  EXPECT_EQ(r->prev_hash, stored[2].hash);
  ASSERT_EQ(sunk.size(), 1u);
  EXPECT_EQ(ledger->head_hash(), r->hash);
  EXPECT_EQ(ledger->Records(2, 1), std::vector<LedgerRecord>{stored[1]});
  EXPECT_EQ(ledger->records().size(), 3u);  // through the reader: the store has 3
  EXPECT_GE(reads, 2);
}

}  // namespace
}  // namespace zp::green
