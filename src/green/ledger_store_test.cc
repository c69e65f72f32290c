#include "zp/green/ledger_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "src/store/sqlite/sqlite_store.h"
#include "zp/store/store.h"

namespace zp::green {
namespace {

std::string MakeTempDir() {
  std::string tmpl = ::testing::TempDir() + "zp-ledger-store-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

LedgerFields SampleFields(int64_t i) {
  return {{"device", "pv-01"},
          {"from_wh", i * 1000},
          {"to_wh", (i + 1) * 1000},
          {"note", std::string("绿电 \"q\" \\ \n\x01/")}};
}

std::unique_ptr<store::Store> OpenOrDie(const std::string& url) {
  auto s = store::OpenStore(url);
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

// Appends `n` records through a StoredLedger on `store`; returns the last hash.
std::string AppendSome(store::Store& store, int n) {
  auto ledger = StoredLedger::Open(store);
  EXPECT_TRUE(ledger.ok()) << ledger.error().ToString();
  if (!ledger.ok()) return "";
  for (int i = 0; i < n; ++i) {
    auto r = (*ledger)->ledger().Append(i % 2 ? LedgerKind::kTransfer : LedgerKind::kIssuance,
                                        "admin", 1718236800 + i, SampleFields(i));
    EXPECT_TRUE(r.ok()) << r.error().ToString();
  }
  return (*ledger)->ledger().head_hash();
}

TEST(LedgerStoreTest, RowKeepsTheCanonicalFieldsAndRoundTrips) {
  LedgerRecord r;
  r.seq = 1;
  r.time_s = 1718236800;
  r.kind = LedgerKind::kClaim;
  r.actor = "王芳";
  r.fields = SampleFields(3);
  r.fields.emplace("neg", int64_t{-42});
  r.prev_hash = std::string(kGenesisHash);
  r.hash = *ComputeRecordHash(r);
  auto row = RecordToRow(r);
  ASSERT_TRUE(row.ok()) << row.error().ToString();
  EXPECT_EQ(row->kind, "claim");
  EXPECT_EQ(row->actor, "王芳");
  EXPECT_EQ(row->hash, r.hash);
  // fields_json is exactly the "fields" object of the canonical record.
  const std::string canonical = *CanonicalRecord(r);
  EXPECT_NE(canonical.find("\"fields\":" + row->fields_json + ",\"kind\""), std::string::npos)
      << canonical << "\n"
      << row->fields_json;
  EXPECT_EQ(row->fields_json,
            "{\"device\":\"pv-01\",\"from_wh\":3000,\"neg\":-42,\"note\":\"绿电 \\\"q\\\" \\\\ "
            "\\n\\u0001/\",\"to_wh\":4000}");
  auto back = RecordFromRow(*row);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, r);

  r.fields["bad"] = std::string("\xff");
  EXPECT_EQ(RecordToRow(r).error().code(), StatusCode::kInvalidArgument);
  store::LedgerRow bad = *row;
  bad.kind = "gift";
  EXPECT_EQ(RecordFromRow(bad).error().code(), StatusCode::kInvalidArgument);
  bad = *row;
  bad.fields_json = "{\"wh\":1.5}";
  EXPECT_EQ(RecordFromRow(bad).error().code(), StatusCode::kInvalidArgument);
  bad.fields_json = "not json";
  EXPECT_EQ(RecordFromRow(bad).error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(RecordFromRow(bad).error().message().find("seq 1"), std::string::npos);
}

TEST(LedgerStoreTest, AppendsReachTheStoreAndAReopenResumes) {
  auto store = OpenOrDie("memory:");
  ASSERT_NE(store, nullptr);
  auto empty = StoredLedger::Open(*store);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)->ledger().size(), 0);
  EXPECT_EQ((*empty)->ledger().head_hash(), kGenesisHash);
  empty->reset();

  const std::string head = AppendSome(*store, 4);
  EXPECT_EQ(*store->LedgerSize(), 4);
  auto stored = ReadStoredRecords(*store);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 4u);
  EXPECT_TRUE(VerifyChain(*stored, head).ok());
  EXPECT_EQ((*stored)[1].kind, LedgerKind::kTransfer);
  EXPECT_EQ((*stored)[2].fields, SampleFields(2));
  auto page = ReadStoredRecords(*store, 2, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0], (*stored)[1]);
  EXPECT_EQ((*page)[1], (*stored)[2]);

  auto reopened = StoredLedger::Open(*store);
  ASSERT_TRUE(reopened.ok()) << reopened.error().ToString();
  Ledger& ledger = (*reopened)->ledger();
  EXPECT_EQ(ledger.records(), *stored);
  auto next = ledger.Append(LedgerKind::kClaim, "ent", 1718240000, {{"wh", int64_t{5}}});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq, 5);
  EXPECT_EQ(next->prev_hash, head);
  auto check = CheckStoredChain(*store, next->hash);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->fault, ChainFault::kNone);
  EXPECT_EQ(check->records, 5);
  EXPECT_EQ(check->head_hash, next->hash);
  // A stale head (the tail after it was replaced or cut) is caught.
  EXPECT_EQ(CheckStoredChain(*store, head)->fault, ChainFault::kHeadMismatch);
}

// Two ledgers on one database (two processes): the second one's append loses the seq race and
// appends nothing, in memory or in the store; reopened, it continues the common chain.
TEST(LedgerStoreTest, AStaleLedgerCannotForkTheChain) {
  auto store = OpenOrDie("memory:");
  ASSERT_NE(store, nullptr);
  auto a = StoredLedger::Open(*store);
  auto b = StoredLedger::Open(*store);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->ledger().Append(LedgerKind::kIssuance, "a", 1, {}).ok());
  auto lost = (*b)->ledger().Append(LedgerKind::kIssuance, "b", 2, {});
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*b)->ledger().size(), 0);
  EXPECT_EQ(*store->LedgerSize(), 1);
  auto b2 = StoredLedger::Open(*store);
  ASSERT_TRUE(b2.ok());
  auto won = (*b2)->ledger().Append(LedgerKind::kTransfer, "b", 3, {});
  ASSERT_TRUE(won.ok());
  EXPECT_EQ(won->seq, 2);
  EXPECT_EQ(CheckStoredChain(*store)->fault, ChainFault::kNone);
}

TEST(LedgerStoreTest, CertificateBookWritesThroughToTheStore) {
  auto store = OpenOrDie("memory:");
  ASSERT_NE(store, nullptr);
  auto stored = StoredLedger::Open(*store);
  ASSERT_TRUE(stored.ok());
  CertificateBook book((*stored)->ledger());
  IssueRequest req{"pv-01", "pv", "沈阳/铁西", "grid", "producer", 1718233200, 1500};
  ASSERT_TRUE(book.Issue(req, {"admin", 1718236800, ""}).ok());
  ASSERT_TRUE(
      book.Allocate({"pv-01", 0, 1000}, "producer", "ent-1", {"alloc", 1718236900, "r1"}).ok());
  ASSERT_TRUE(book.Claim({"pv-01", 0, 1000}, "ent-1", {"ent-1", 1718237000, ""}).ok());
  auto records = ReadStoredRecords(*store);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(*records, (*stored)->ledger().records());
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].kind, LedgerKind::kIssuance);
  EXPECT_EQ((*records)[2].kind, LedgerKind::kClaim);
}

TEST(LedgerStoreTest, ConcurrentAppendsFormOneStoredChain) {
  auto store = OpenOrDie("memory:");
  ASSERT_NE(store, nullptr);
  auto stored = StoredLedger::Open(*store);
  ASSERT_TRUE(stored.ok());
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (!(*stored)
                 ->ledger()
                 .Append(LedgerKind::kTransfer, "t" + std::to_string(t), i, {})
                 .ok()) {
          ++failed;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed, 0);
  auto check = CheckStoredChain(*store, (*stored)->ledger().head_hash());
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->fault, ChainFault::kNone) << check->status.ToString();
  EXPECT_EQ(check->records, 200);
}

// An attacker with write access to the file drops the append-only triggers and edits, deletes or
// reorders rows: opening is refused naming the first bad seq, and the check says what is wrong.
class TamperedSqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    path_ = dir_ + "/park.zpdb";
    auto s = OpenOrDie("sqlite:" + path_);
    ASSERT_NE(s, nullptr);
    head_ = AppendSome(*s, 4);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Tamper(const std::string& sql) {
    Status s = store::ExecSqliteForTesting(
        path_, "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete; " + sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // The fault found, the seq it names, and whether StoredLedger::Open refused with DataLoss
  // naming that seq.
  ChainCheck Check(std::optional<std::string_view> head = std::nullopt) {
    auto s = OpenOrDie("sqlite:" + path_);
    EXPECT_NE(s, nullptr);
    if (s == nullptr) return {};
    auto check = CheckStoredChain(*s, head);
    EXPECT_TRUE(check.ok());
    if (!check.ok()) return {};
    auto opened = StoredLedger::Open(*s);
    if (check->fault == ChainFault::kNone || check->fault == ChainFault::kHeadMismatch) {
      EXPECT_TRUE(opened.ok());
    } else {
      EXPECT_FALSE(opened.ok());
      if (!opened.ok()) {
        EXPECT_EQ(opened.error().code(), StatusCode::kDataLoss);
        EXPECT_NE(opened.error().message().find(fmt::format("ledger seq {}", check->seq)),
                  std::string::npos)
            << opened.error().message();
        EXPECT_EQ(opened.error().message(), check->status.message());
      }
    }
    return *check;
  }

  std::string dir_;
  std::string path_;
  std::string head_;
};

TEST_F(TamperedSqliteTest, IntactFileVerifies) {
  ChainCheck c = Check(head_);
  EXPECT_EQ(c.fault, ChainFault::kNone);
  EXPECT_EQ(c.records, 4);
  // The triggers are in place: the store's own connection cannot edit.
  EXPECT_FALSE(store::ExecSqliteForTesting(path_, "UPDATE ledger SET actor = 'x'").ok());
}

TEST_F(TamperedSqliteTest, EditedFieldIsAHashMismatch) {
  Tamper("UPDATE ledger SET fields = replace(fields, '2000', '9000') WHERE seq = 2");
  ChainCheck c = Check();
  EXPECT_EQ(c.fault, ChainFault::kHashMismatch);
  EXPECT_EQ(c.seq, 2);
  EXPECT_EQ(c.records, 1);
}

TEST_F(TamperedSqliteTest, EditedActorIsAHashMismatch) {
  Tamper("UPDATE ledger SET actor = 'mallory' WHERE seq = 3");
  EXPECT_EQ(Check().fault, ChainFault::kHashMismatch);
  EXPECT_EQ(Check().seq, 3);
}

TEST_F(TamperedSqliteTest, DeletedRowIsMissing) {
  Tamper("DELETE FROM ledger WHERE seq = 2");
  ChainCheck c = Check();
  EXPECT_EQ(c.fault, ChainFault::kMissing);
  EXPECT_EQ(c.seq, 2);
}

TEST_F(TamperedSqliteTest, CutTailNeedsTheHead) {
  Tamper("DELETE FROM ledger WHERE seq = 4");
  EXPECT_EQ(Check().fault, ChainFault::kNone);  // a shorter chain is still a chain ...
  ChainCheck c = Check(head_);                  // ... but not the one whose head was published
  EXPECT_EQ(c.fault, ChainFault::kHeadMismatch);
  EXPECT_EQ(c.records, 3);
}

TEST_F(TamperedSqliteTest, SwappedRowsBreakTheChain) {
  // Rows 2 and 3 trade places (contents swapped under the same seqs).
  Tamper(
      "CREATE TEMP TABLE t AS SELECT * FROM ledger WHERE seq IN (2, 3);"
      "DELETE FROM ledger WHERE seq IN (2, 3);"
      "INSERT INTO ledger SELECT 5 - seq, time_s, kind, actor, fields, prev_hash, hash FROM t;");
  ChainCheck c = Check();
  EXPECT_NE(c.fault, ChainFault::kNone);
  EXPECT_EQ(c.seq, 2);
}

TEST_F(TamperedSqliteTest, UnreadableRowIsMalformed) {
  Tamper("UPDATE ledger SET kind = 'gift' WHERE seq = 3");
  ChainCheck c = Check();
  EXPECT_EQ(c.fault, ChainFault::kMalformed);
  EXPECT_EQ(c.seq, 3);
  EXPECT_EQ(c.records, 2);
}

}  // namespace
}  // namespace zp::green
