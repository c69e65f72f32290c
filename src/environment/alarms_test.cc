#include "zp/environment/alarms.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace zp::environment {
namespace {

using std::chrono::milliseconds;

Condition Exceed(int64_t t, double value, std::string pollutant = "a21026") {
  Condition c;
  c.kind = std::string(kAlarmExceedance);
  c.source = "E001.DA001";
  c.pollutant = std::move(pollutant);
  c.time_s = t;
  c.value = value;
  c.limit = 400;
  c.unit = "mg/m3";
  c.detail = "二氧化硫 超标 / SO2 above limit " + std::to_string(value);
  return c;
}

const Routing kRouting{"91210100MA00000011", "Z1", "张三"};

class AlarmBookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = std::string("alarms_test_") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    store::DropMemoryStore(name_);
    Reopen();
  }
  void TearDown() override {
    book_.reset();
    store_.reset();
    store::DropMemoryStore(name_);
  }
  void Reopen() {
    book_.reset();
    auto s = store::OpenStore("memory:" + name_);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
    auto b = AlarmBook::Open(*store_);
    ASSERT_TRUE(b.ok()) << b.error().ToString();
    book_ = std::move(*b);
  }
  store::AlarmRow Stored(int64_t id) {
    auto row = store_->GetAlarm(id);
    EXPECT_TRUE(row.ok() && row->has_value());
    return row.ok() && row->has_value() ? **row : store::AlarmRow{};
  }

  std::string name_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AlarmBook> book_;
};

TEST_F(AlarmBookTest, RaiseInsertsAtOnceThenUpdatesInMemoryUntilPersist) {
  bool created = false;
  auto id = book_->Raise(Exceed(1000, 450), kRouting, &created);
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  EXPECT_TRUE(created);
  store::AlarmRow row = Stored(*id);
  EXPECT_EQ(row.kind, "exceedance");
  EXPECT_EQ(row.state, "open");
  EXPECT_EQ(row.enterprise_code, "91210100MA00000011");
  EXPECT_EQ(row.zone_code, "Z1");
  EXPECT_EQ(row.officer, "张三");
  EXPECT_EQ(row.opened_s, 1000);
  EXPECT_EQ(row.occurrences, 1);
  EXPECT_DOUBLE_EQ(row.value, 450);

  // Two more occurrences: the worst value is kept, last_s moves on.
  auto again = book_->Raise(Exceed(1060, 520), kRouting, &created);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(*again, *id);
  ASSERT_TRUE(book_->Raise(Exceed(1120, 430), kRouting).ok());
  EXPECT_EQ(Stored(*id).occurrences, 1);  // not yet persisted
  auto live = book_->Get(*id);
  ASSERT_TRUE(live.ok() && live->has_value());
  EXPECT_EQ((*live)->occurrences, 3);
  ASSERT_TRUE(book_->Persist().ok());
  row = Stored(*id);
  EXPECT_EQ(row.occurrences, 3);
  EXPECT_EQ(row.last_s, 1120);
  EXPECT_DOUBLE_EQ(row.value, 520);
  EXPECT_NE(row.detail.find("520"), std::string::npos);

  // Another pollutant is another alarm.
  auto nox = book_->Raise(Exceed(1120, 300, "a21002"), kRouting);
  ASSERT_TRUE(nox.ok());
  EXPECT_NE(*nox, *id);
  EXPECT_EQ(book_->Active().size(), 2u);
  EXPECT_EQ(book_->Active()[0].id, *nox);  // newest first
}

TEST_F(AlarmBookTest, ClearSetsClearedButKeepsTheAlarmActive) {
  auto id = book_->Raise(Exceed(1000, 450), kRouting);
  ASSERT_TRUE(id.ok());
  // A late value (before the latest occurrence) does not clear.
  ASSERT_TRUE(book_->Clear(kAlarmExceedance, "E001.DA001", "a21026", 990).ok());
  EXPECT_EQ(book_->FindActive(kAlarmExceedance, "E001.DA001", "a21026")->cleared_s, 0);
  ASSERT_TRUE(book_->Clear(kAlarmExceedance, "E001.DA001", "a21026", 1030).ok());
  // Clearing what is not active is fine.
  ASSERT_TRUE(book_->Clear(kAlarmDeviceFault, "E001.DA001", "a21026", 1030).ok());
  ASSERT_TRUE(book_->Persist().ok());
  EXPECT_EQ(Stored(*id).cleared_s, 1030);
  EXPECT_EQ(Stored(*id).state, "open");
  // It comes back: the same alarm, another occurrence, no longer cleared.
  ASSERT_EQ(*book_->Raise(Exceed(1100, 410), kRouting), *id);
  ASSERT_TRUE(book_->Persist().ok());
  EXPECT_EQ(Stored(*id).cleared_s, 0);
  EXPECT_EQ(Stored(*id).occurrences, 2);
}

TEST_F(AlarmBookTest, UpdateDoesNotCountAnOccurrence) {
  Condition loss;
  loss.kind = std::string(kAlarmDataLoss);
  loss.source = "E001.DA001";
  loss.time_s = 5000;
  loss.value = 700;
  loss.limit = 600;
  loss.unit = "s";
  EXPECT_FALSE(book_->Update(loss));
  auto id = book_->Raise(loss, kRouting);
  ASSERT_TRUE(id.ok());
  loss.time_s = 5060;
  loss.value = 760;
  EXPECT_TRUE(book_->Update(loss));
  ASSERT_TRUE(book_->Persist().ok());
  store::AlarmRow row = Stored(*id);
  EXPECT_EQ(row.occurrences, 1);
  EXPECT_DOUBLE_EQ(row.value, 760);
  EXPECT_EQ(row.last_s, 5060);
  EXPECT_EQ(row.pollutant, "");
}

TEST_F(AlarmBookTest, LifecycleAcknowledgeThenCloseWithNote) {
  auto id = book_->Raise(Exceed(1000, 450), kRouting);
  ASSERT_TRUE(id.ok());
  auto acked = book_->Acknowledge(*id, "zhangsan", 2000);
  ASSERT_TRUE(acked.ok()) << acked.error().ToString();
  EXPECT_EQ(acked->state, "acknowledged");
  EXPECT_EQ(acked->acknowledged_by, "zhangsan");
  EXPECT_EQ(acked->acknowledged_s, 2000);
  EXPECT_EQ(Stored(*id).state, "acknowledged");  // written through
  auto twice = book_->Acknowledge(*id, "zhangsan", 2001);
  EXPECT_EQ(twice.error().code(), StatusCode::kFailedPrecondition);

  EXPECT_EQ(book_->Close(*id, "zhangsan", "", 2100).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(book_->Close(*id, "zhangsan", "  \n ", 2100).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(book_->Close(*id, "zhangsan", std::string(2001, 'x'), 2100).error().code(),
            StatusCode::kInvalidArgument);
  // 2000 characters of three bytes each are fine.
  std::string long_note;
  for (int i = 0; i < 2000; ++i) long_note += "说";
  auto closed = book_->Close(*id, "zhangsan", long_note, 2100);
  ASSERT_TRUE(closed.ok()) << closed.error().ToString();
  EXPECT_EQ(closed->state, "closed");
  EXPECT_EQ(closed->closed_by, "zhangsan");
  EXPECT_EQ(closed->closed_s, 2100);
  EXPECT_EQ(Stored(*id), *closed);
  EXPECT_TRUE(book_->Active().empty());
  EXPECT_EQ(book_->Close(*id, "x", "again", 2200).error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(book_->Acknowledge(*id, "x", 2200).error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(book_->Acknowledge(999, "x", 2200).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(book_->Close(999, "x", "n", 2200).error().code(), StatusCode::kNotFound);

  // A new occurrence after the close opens a new alarm.
  auto next = book_->Raise(Exceed(3000, 430), kRouting);
  ASSERT_TRUE(next.ok());
  EXPECT_NE(*next, *id);
  EXPECT_EQ(Stored(*next).occurrences, 1);
}

TEST_F(AlarmBookTest, OpenToClosedDirectly) {
  auto id = book_->Raise(Exceed(1000, 450), kRouting);
  ASSERT_TRUE(id.ok());
  auto closed = book_->Close(*id, "admin", "已处理 / handled", 1500);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->note, "已处理 / handled");
  EXPECT_EQ(closed->acknowledged_s, 0);
}

TEST_F(AlarmBookTest, ActiveAlarmsSurviveReopen) {
  auto a = book_->Raise(Exceed(1000, 450), kRouting);
  auto b = book_->Raise(Exceed(1000, 300, "a21002"), kRouting);
  auto c = book_->Raise(Exceed(1000, 300, "a34013"), kRouting);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_TRUE(book_->Raise(Exceed(1060, 480), kRouting).ok());
  ASSERT_TRUE(book_->Acknowledge(*b, "u", 1100).ok());
  ASSERT_TRUE(book_->Close(*c, "u", "done", 1100).ok());
  ASSERT_TRUE(book_->Persist().ok());
  Reopen();
  std::vector<store::AlarmRow> active = book_->Active();
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[0].id, *b);
  EXPECT_EQ(active[0].state, "acknowledged");
  EXPECT_EQ(active[1].id, *a);
  EXPECT_EQ(active[1].occurrences, 2);
  // The reloaded alarm is updated, not duplicated.
  EXPECT_EQ(*book_->Raise(Exceed(1200, 400.5), kRouting), *a);
  // List: newest first, with the in-memory state of active alarms.
  store::AlarmFilter f;
  auto all = book_->List(f);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, *c);
  EXPECT_EQ((*all)[2].occurrences, 3);
  f.state = "closed";
  EXPECT_EQ(book_->List(f)->size(), 1u);
}

TEST_F(AlarmBookTest, WaitForChangesWakesOnAChange) {
  const uint64_t v0 = book_->version();
  std::vector<store::AlarmRow> changed;
  bool gap = true;
  // Nothing happens: the timeout passes.
  EXPECT_EQ(book_->WaitForChanges(v0, milliseconds(20), &changed, &gap), v0);
  EXPECT_TRUE(changed.empty());
  EXPECT_FALSE(gap);

  std::thread raiser([&] {
    std::this_thread::sleep_for(milliseconds(50));
    ASSERT_TRUE(book_->Raise(Exceed(1000, 450), kRouting).ok());
  });
  const auto start = std::chrono::steady_clock::now();
  uint64_t v1 = book_->WaitForChanges(v0, milliseconds(10000), &changed, &gap);
  raiser.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_GT(v1, v0);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].kind, "exceedance");
  EXPECT_FALSE(gap);

  // Several changes of one alarm come once, in its latest state.
  const int64_t id = changed[0].id;
  ASSERT_TRUE(book_->Raise(Exceed(1060, 500), kRouting).ok());
  ASSERT_TRUE(book_->Acknowledge(id, "u", 1100).ok());
  changed.clear();
  uint64_t v2 = book_->WaitForChanges(v1, milliseconds(0), &changed, &gap);
  EXPECT_EQ(v2, v1 + 2);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].state, "acknowledged");
  EXPECT_EQ(changed[0].occurrences, 2);
}

TEST_F(AlarmBookTest, WaitForChangesReportsAGapWhenFarBehind) {
  const uint64_t v0 = book_->version();
  ASSERT_TRUE(book_->Raise(Exceed(1000, 401), kRouting).ok());
  for (int i = 1; i <= 1000; ++i) ASSERT_TRUE(book_->Raise(Exceed(1000 + i, 401), kRouting).ok());
  std::vector<store::AlarmRow> changed;
  bool gap = false;
  EXPECT_EQ(book_->WaitForChanges(v0, milliseconds(0), &changed, &gap), v0 + 1001);
  EXPECT_TRUE(gap);
  EXPECT_TRUE(changed.empty());
  // One change behind is still served.
  gap = true;
  EXPECT_EQ(book_->WaitForChanges(v0 + 1, milliseconds(0), &changed, &gap), v0 + 1001);
  EXPECT_FALSE(gap);
  EXPECT_EQ(changed.size(), 1u);
  // A version from the future (another process) asks for a reload.
  changed.clear();
  EXPECT_EQ(book_->WaitForChanges(v0 + 5000, milliseconds(0), &changed, &gap), v0 + 1001);
  EXPECT_TRUE(gap);
}

TEST(AlarmBookSqliteTest, SurvivesReopenOnAFile) {
  const std::string dir = ::testing::TempDir() + "/zp_alarms_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string url = "sqlite:" + dir + "/park.zpdb";
  int64_t id = 0;
  {
    auto s = store::OpenStore(url);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    auto book = AlarmBook::Open(**s);
    ASSERT_TRUE(book.ok());
    auto raised = (*book)->Raise(Exceed(1000, 450), kRouting);
    ASSERT_TRUE(raised.ok()) << raised.error().ToString();
    id = *raised;
    ASSERT_TRUE((*book)->Raise(Exceed(1060, 470), kRouting).ok());
    ASSERT_TRUE((*book)->Clear(kAlarmExceedance, "E001.DA001", "a21026", 1090).ok());
    ASSERT_TRUE((*book)->Persist().ok());
  }
  auto s = store::OpenStore(url);
  ASSERT_TRUE(s.ok());
  auto book = AlarmBook::Open(**s);
  ASSERT_TRUE(book.ok());
  auto active = (*book)->Active();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].id, id);
  EXPECT_EQ(active[0].occurrences, 2);
  EXPECT_EQ(active[0].cleared_s, 1090);
  EXPECT_DOUBLE_EQ(active[0].value, 470);
  auto closed = (*book)->Close(id, "u", "fixed", 2000);
  ASSERT_TRUE(closed.ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace zp::environment
