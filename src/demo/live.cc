// LiveFeed: the demo park's readings after the built days, written as the clock passes them.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

#include "marker.h"
#include "zp/base/logging.h"
#include "zp/base/time.h"
#include "zp/demo/demo.h"

namespace zp::demo {

namespace {

constexpr int64_t kSlotSeconds = 900;
constexpr int32_t kSlotsPerDay = 96;
constexpr int64_t kDaySeconds = kSlotSeconds * kSlotsPerDay;  // UTC+8 all year: no DST days
constexpr int32_t kMaxDays = 3660;
constexpr std::string_view kSource = "demo live feed / 演示实时数据";

}  // namespace

namespace internal {

Result<DemoOptions> OptionsFromMarker(const std::string& text, std::string_view who) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    DemoOptions o;
    o.seed = j.at("seed").get<uint64_t>();
    o.enterprises = j.at("enterprises").get<int32_t>();
    o.year = j.at("year").get<int32_t>();
    o.days = j.at("days").get<int32_t>();
    // Parks built before fault_days existed placed their faults within `days`.
    o.fault_days = j.contains("fault_days") ? j.at("fault_days").get<int32_t>() : o.days;
    return o;
  } catch (const std::exception& e) {
    return FailedPreconditionError(
        fmt::format("{}: setting {} is unreadable ({}) / 演示园区设置无法读取", who,
                    kDemoCreatedSetting, e.what()));
  }
}

}  // namespace internal

LiveFeed::LiveFeed(engine::Engine& engine, std::unique_ptr<DemoGenerator> gen, int64_t live_until)
    : engine_(engine), gen_(std::move(gen)), live_until_(live_until) {}

LiveFeed::~LiveFeed() = default;

int64_t LiveFeed::live_until() const { return live_until_; }

Result<std::unique_ptr<LiveFeed>> LiveFeed::Create(engine::Engine& engine) {
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> marker, engine.GetSetting(kDemoCreatedSetting));
  if (!marker.has_value()) {
    return FailedPreconditionError(
        "no demo park in this database (setting demo/created is absent); build one first / "
        "数据库中没有演示园区，请先创建");
  }
  ZP_ASSIGN_OR_RETURN(DemoOptions options, internal::OptionsFromMarker(*marker, "demo live feed"));
  const int32_t built_days = options.days;
  if (built_days < 1 || built_days > kMaxDays || options.fault_days < 1 ||
      options.fault_days > built_days) {
    return FailedPreconditionError(
        fmt::format("demo live feed: stored park has days {} and fault_days {} / 演示园区设置无效",
                    built_days, options.fault_days));
  }
  options.days = kMaxDays;
  Result<std::unique_ptr<DemoGenerator>> created = DemoGenerator::Create(options);
  if (!created.ok()) {
    return FailedPreconditionError(fmt::format(
        "demo live feed: stored park options: {} / 演示园区设置无效", created.error().ToString()));
  }
  std::unique_ptr<DemoGenerator> gen = std::move(*created);
  const DemoPlan& plan = gen->plan();

  // Plan meters -> engine ids by code. Meters deleted since (or no longer physical) get id 0 and
  // their readings are dropped.
  std::unordered_map<std::string, int64_t> ids_by_code;
  for (const model::Meter& m : engine.ListMeters()) {
    if (m.kind != model::MeterKind::kVirtual) ids_by_code.emplace(m.code, m.id);
  }
  std::vector<int64_t> ids(plan.meters.size(), 0);
  int32_t missing = 0;
  for (size_t i = 0; i < plan.meters.size(); ++i) {
    if (plan.meters[i].kind == model::MeterKind::kVirtual) continue;
    auto it = ids_by_code.find(plan.meters[i].code);
    if (it == ids_by_code.end()) {
      ++missing;
    } else {
      ids[i] = it->second;
    }
  }
  if (missing > 0) {
    LogWarning(
        "demo live feed: {} demo meters are missing from the registry; their readings are "
        "skipped / {} 个演示计量表已不在档案中，跳过其数据",
        missing, missing);
  }
  ZP_RETURN_IF_ERROR(gen->SetMeterIds(std::move(ids)));

  // The build wrote days 0..built_days-1: its last reading is the last slot of that range.
  const int64_t built_until = plan.start_s + built_days * kDaySeconds - kSlotSeconds;
  int64_t live_until = built_until;
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> stored, engine.GetSetting(kDemoLiveUntilSetting));
  if (stored.has_value()) {
    int64_t v = 0;
    const char* end = stored->data() + stored->size();
    const auto [ptr, ec] = std::from_chars(stored->data(), end, v);
    if (ec != std::errc() || ptr != end) {
      return FailedPreconditionError(
          fmt::format("demo live feed: setting {} is not a number: '{}' / 实时数据进度设置无效",
                      kDemoLiveUntilSetting, *stored));
    }
    live_until = std::max(v, built_until);
  }
  return std::unique_ptr<LiveFeed>(new LiveFeed(engine, std::move(gen), live_until));
}

// Generates day gen_->next_day() into pending_, ordered by time (stable per meter: a counting
// sort by slot), without readings of unmapped meters; next_ skips what is already written.
void LiveFeed::LoadNextDay() {
  const int64_t ts0 = gen_->plan().start_s + gen_->next_day() * kDaySeconds;
  scratch_.clear();
  gen_->GenerateNextDay(&scratch_);
  std::array<size_t, kSlotsPerDay + 1> start{};
  for (const engine::ReadingIn& r : scratch_) {
    if (r.meter_id != 0) ++start[static_cast<size_t>((r.ts_s - ts0) / kSlotSeconds) + 1];
  }
  for (size_t k = 1; k <= kSlotsPerDay; ++k) start[k] += start[k - 1];
  pending_.resize(start[kSlotsPerDay]);
  for (const engine::ReadingIn& r : scratch_) {
    if (r.meter_id != 0) pending_[start[static_cast<size_t>((r.ts_s - ts0) / kSlotSeconds)]++] = r;
  }
  next_ = static_cast<size_t>(
      std::upper_bound(pending_.begin(), pending_.end(), live_until_,
                       [](int64_t t, const engine::ReadingIn& r) { return t < r.ts_s; }) -
      pending_.begin());
}

Result<int64_t> LiveFeed::CatchUp(int64_t now_s) {
  if (now_s <= live_until_) return int64_t{0};
  const DemoPlan& plan = gen_->plan();
  if (!started_) {
    // Regenerate (without writing) the days before the one holding the next unwritten slot.
    const int64_t next_slot =
        plan.start_s + (FloorDiv(live_until_ - plan.start_s, kSlotSeconds) + 1) * kSlotSeconds;
    const int64_t first_day =
        std::min<int64_t>(FloorDiv(next_slot - plan.start_s, kDaySeconds), plan.days);
    while (gen_->next_day() < first_day) gen_->SkipNextDay();
    started_ = true;
  }
  int64_t written = 0;
  while (true) {
    if (next_ == pending_.size()) {
      if (gen_->done()) {
        if (!exhausted_logged_) {
          exhausted_logged_ = true;
          LogWarning(
              "demo live feed: all {} days of the demo park are written (last reading {}); "
              "nothing more to write / 演示园区的全部数据已写入，停止写入",
              plan.days,
              FormatTimestamp(plan.start_s + plan.days * kDaySeconds - kSlotSeconds,
                              engine_.zone()));
        }
        break;
      }
      if (plan.start_s + gen_->next_day() * kDaySeconds > now_s) break;
      LoadNextDay();
      continue;
    }
    const auto end =
        std::upper_bound(pending_.begin() + static_cast<std::ptrdiff_t>(next_), pending_.end(),
                         now_s, [](int64_t t, const engine::ReadingIn& r) { return t < r.ts_s; });
    const size_t stop = static_cast<size_t>(end - pending_.begin());
    if (stop == next_) break;
    const std::span<const engine::ReadingIn> batch(pending_.data() + next_, stop - next_);
    ZP_RETURN_IF_ERROR(engine_.Write(batch, kSource).status().WithContext("demo live feed"));
    next_ = stop;
    live_until_ = batch.back().ts_s;
    written += static_cast<int64_t>(batch.size());
    ZP_RETURN_IF_ERROR(engine_.PutSetting(kDemoLiveUntilSetting, std::to_string(live_until_))
                           .WithContext("demo live feed"));
    if (stop < pending_.size()) break;  // the rest of the day is still in the future
  }
  return written;
}

}  // namespace zp::demo
