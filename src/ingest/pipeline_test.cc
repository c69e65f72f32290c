#include "zp/ingest/pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zp/engine/testing.h"

namespace zp::ingest {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kJan1 = 1704038400;  // 2024-01-01T00:00:00+08:00

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = engine::OpenTestEngine("memory:");
    ASSERT_TRUE(e.ok()) << e.error().ToString();
    engine_ = std::move(*e);
    model::Meter m;
    m.code = "E-1";
    m.name = "main";
    ASSERT_TRUE(engine_->PutMeter(m, true).ok());
    model::Meter gas;
    gas.code = "G-1";
    gas.name = "gas";
    gas.carrier = units::Carrier::kNaturalGas;
    gas.unit = "m3";
    ASSERT_TRUE(engine_->PutMeter(gas, true).ok());
    model::Meter v;
    v.code = "V-1";
    v.name = "virtual";
    v.kind = model::MeterKind::kVirtual;
    v.formula = "E-1";
    ASSERT_TRUE(engine_->PutMeter(v, true).ok());
  }

  IngestOptions Options(BatchMode mode) {
    IngestOptions o;
    o.mode = mode;
    o.now_s = kJan1 + 86400;
    return o;
  }

  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(PipelineTest, ConvertsUnitsToTheMetersUnit) {
  std::vector<ParsedReading> in = {{"E-1", "MWh", kJan1, 1.5, 1},
                                   {"E-1", "", kJan1 + 900, 2, 2},
                                   {"E-1", "Wh", kJan1 + 1800, 500, 3}};
  auto r = Ingest(*engine_, in, {}, Options(BatchMode::kKeepGood), "test");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->accepted, 3);
  auto raw = engine_->ReadRaw("E-1", kJan1, kJan1 + 3600);
  ASSERT_EQ(raw->size(), 3u);
  EXPECT_DOUBLE_EQ((*raw)[0].value, 1500);
  EXPECT_DOUBLE_EQ((*raw)[1].value, 2);
  EXPECT_DOUBLE_EQ((*raw)[2].value, 0.5);
}

TEST_F(PipelineTest, BadRowsAreNamedAndGoodOnesKept) {
  std::vector<ParsedReading> in = {
      {"E-1", "kWh", kJan1, 1, 1},           {"NOPE", "kWh", kJan1, 1, 2},
      {"G-1", "kWh", kJan1, 1, 3},           {"V-1", "", kJan1, 1, 4},
      {"E-1", "", kJan1 + 10 * 86400, 1, 5}, {"E-1", "", 1000, 1, 6},
      {"E-1", "furlongs", kJan1, 1, 7}};
  auto r = Ingest(*engine_, in, {{8, "parser said no"}}, Options(BatchMode::kKeepGood), "t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->received, 8);
  EXPECT_EQ(r->accepted, 1);
  ASSERT_EQ(r->errors.size(), 7u);
  EXPECT_EQ(r->errors[0].line, 2);
  EXPECT_THAT(r->errors[0].reason, HasSubstr("unknown meter 'NOPE'"));
  EXPECT_THAT(r->errors[1].reason, HasSubstr("unit kWh does not fit meter G-1"));
  EXPECT_THAT(r->errors[2].reason, HasSubstr("virtual"));
  EXPECT_THAT(r->errors[3].reason, HasSubstr("out of range"));
  EXPECT_THAT(r->errors[4].reason, HasSubstr("out of range"));
  EXPECT_THAT(r->errors[5].reason, HasSubstr("unknown unit 'furlongs'"));
  EXPECT_EQ(r->errors[6].line, 8);
  EXPECT_EQ(engine_->ReadRaw("E-1", kJan1, kJan1 + 1)->size(), 1u);
}

TEST_F(PipelineTest, AllOrNothingWritesNothingOnAnyError) {
  std::vector<ParsedReading> in = {{"E-1", "kWh", kJan1, 1, 1}, {"NOPE", "kWh", kJan1, 1, 2}};
  auto r = Ingest(*engine_, in, {}, Options(BatchMode::kAllOrNothing), "t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 0);
  EXPECT_EQ(r->errors.size(), 1u);
  EXPECT_TRUE(engine_->ReadRaw("E-1", kJan1, kJan1 + 1)->empty());
  r = Ingest(*engine_, {{"E-1", "kWh", kJan1, 1, 1}}, {{3, "bad"}},
             Options(BatchMode::kAllOrNothing), "t");
  EXPECT_EQ(r->accepted, 0) << "a parser error also refuses the batch";
}

}  // namespace
}  // namespace zp::ingest
