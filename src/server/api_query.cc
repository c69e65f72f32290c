// Query endpoints: raw readings, sums, completeness, corrections. Responses are written by hand
// (not through a JSON DOM): they can hold hundreds of thousands of rows.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "api.h"
#include "json_mapping.h"
#include "params.h"
#include "zp/base/strings.h"

namespace zp::server {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kMaxRawSpanS = 3660 * kDay;
constexpr int64_t kMaxHourlySpanS = 3660 * kDay;
constexpr int64_t kMaxDailySpanS = 36600 * kDay;
constexpr int64_t kMaxRows = 2'000'000;

HttpResponse CsvResponse(std::string body) {
  HttpResponse resp;
  resp.content_type = "text/csv; charset=utf-8";
  resp.body = std::move(body);
  return resp;
}

// Sums carry floating-point noise from adding many readings (875869.5999999344): 12 significant
// digits are far beyond any meter's precision and print it as 875869.6.
std::string SumValue(double v) {
  return std::isfinite(v) ? fmt::format("{:.12g}", v) : std::string("null");
}

Status BadParam(std::string_view name, std::string_view message) {
  return InvalidArgumentError(fmt::format("query parameter '{}': {}", name, message));
}

// The meter named by `value` must exist and be physical (have readings).
Result<engine::MeterRef> PhysicalMeter(const engine::Engine& engine, std::string_view value) {
  std::shared_ptr<const engine::MeterIndex> index = engine.meter_index();
  const engine::MeterRef* ref = index->Find(value);
  if (ref == nullptr) return BadParam("meter", fmt::format("unknown meter '{}'", value));
  if (ref->kind == model::MeterKind::kVirtual) {
    return BadParam("meter", fmt::format("'{}' is a virtual meter and has no readings of its own; "
                                         "use /api/v1/sums",
                                         value));
  }
  return *ref;
}

// Industry prefix: an optional section letter and up to four digits ("C", "C36", "3670").
bool IsIndustryPrefix(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  size_t i = 0;
  if (std::isalpha(static_cast<unsigned char>(s[0])) != 0) i = 1;
  if (s.size() - i > 4) return false;
  for (; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) == 0) return false;
  }
  return true;
}

}  // namespace

HttpResponse Api::Readings(const HttpRequest& r) {
  const std::string meter_code(*r.Query("meter"));
  Result<engine::MeterRef> ref = PhysicalMeter(engine_, meter_code);
  if (!ref.ok()) return ErrorResponse(ref.error());
  const TimeZone& zone = engine_.zone();
  const int32_t today = zone.LocalDay(Now());
  Result<TimeRange> range = ParseRangeParams(r, zone, zone.DayStart(today - 1),
                                             zone.DayStart(today + 1), kMaxRawSpanS, "10 years");
  if (!range.ok()) return ErrorResponse(range.error());
  Result<std::vector<tsdb::Point>> points = engine_.ReadRaw(meter_code, range->from_s, range->to_s);
  if (!points.ok()) return ErrorResponse(points.error());

  if (WantsCsv(r)) {
    std::string csv;
    csv.reserve(points->size() * 40 + 16);
    csv += "ts,value\n";
    for (const tsdb::Point& p : *points) {
      csv += FormatTimestamp(p.ts_s, zone);
      fmt::format_to(std::back_inserter(csv), ",{}\n", p.value);
    }
    return CsvResponse(std::move(csv));
  }
  Result<model::Meter> meter = engine_.GetMeter(meter_code);
  const double multiplier = meter.ok() ? meter->multiplier : 1.0;
  std::string body;
  body.reserve(points->size() * 56 + 256);
  fmt::format_to(std::back_inserter(body),
                 R"({{"meter":{},"unit":{},"multiplier":{},"from":"{}","to":"{}","count":{},)"
                 R"("readings":[)",
                 JsonString(meter_code), JsonString(ref->unit), multiplier,
                 FormatTimestamp(range->from_s, zone), FormatTimestamp(range->to_s, zone),
                 points->size());
  for (size_t i = 0; i < points->size(); ++i) {
    const tsdb::Point& p = (*points)[i];
    fmt::format_to(std::back_inserter(body), R"({}{{"ts":"{}","value":{}}})", i == 0 ? "" : ",",
                   FormatTimestamp(p.ts_s, zone), p.value);
  }
  body += "]}";
  return JsonResponse(std::move(body));
}

HttpResponse Api::Sums(const HttpRequest& r) {
  engine::SumQuery q;
  if (auto by = r.Query("by")) {
    Result<engine::GroupBy> g = engine::ParseGroupBy(*by);
    if (!g.ok()) return ErrorResponse(BadParam("by", g.error().message()));
    q.group_by = *g;
  }
  if (auto period = r.Query("period")) {
    Result<engine::Period> p = engine::ParsePeriod(*period);
    if (!p.ok()) return ErrorResponse(BadParam("period", p.error().message()));
    q.period = *p;
  }
  const TimeZone& zone = engine_.zone();
  const int64_t now = Now();
  const int32_t today = zone.LocalDay(now);
  const int32_t month = zone.LocalMonth(now);
  int64_t default_from = 0;
  int64_t default_to = 0;
  int64_t max_span = kMaxInstantS - kMinInstantS;
  std::string_view max_span_text = "the allowed range";
  int64_t period_s = 0;
  switch (q.period) {
    case engine::Period::kHour:
      default_from = zone.DayStart(today - 1);
      default_to = zone.DayStart(today + 1);
      max_span = kMaxHourlySpanS;
      max_span_text = "10 years for hourly sums";
      period_s = 3600;
      break;
    case engine::Period::kDay:
      default_from = zone.DayStart(today - 30);
      default_to = zone.DayStart(today + 1);
      max_span = kMaxDailySpanS;
      max_span_text = "100 years for daily sums";
      period_s = kDay;
      break;
    case engine::Period::kMonth:
      default_from = zone.MonthStart(month - 11);
      default_to = zone.MonthStart(month + 1);
      period_s = 28 * kDay;
      break;
    case engine::Period::kYear:
      default_from = zone.MonthStart(month - month % 12 - 48);
      default_to = zone.MonthStart(month - month % 12 + 12);
      period_s = 365 * kDay;
      break;
  }
  Result<TimeRange> range =
      ParseRangeParams(r, zone, default_from, default_to, max_span, max_span_text);
  if (!range.ok()) return ErrorResponse(range.error());
  q.from_s = range->from_s;
  q.to_s = range->to_s;

  q.meters = r.QueryList("meter");
  {
    std::shared_ptr<const engine::MeterIndex> index = engine_.meter_index();
    for (const std::string& m : q.meters) {
      if (index->Find(m) == nullptr) {
        return ErrorResponse(BadParam("meter", fmt::format("unknown meter '{}'", m)));
      }
    }
  }
  q.enterprises = r.QueryList("enterprise");
  for (const std::string& e : q.enterprises) {
    if (!engine_.GetEnterprise(e).ok()) {
      return ErrorResponse(BadParam("enterprise", fmt::format("unknown enterprise '{}'", e)));
    }
  }
  q.zones = r.QueryList("zone");
  for (const std::string& z : q.zones) {
    if (!engine_.GetZone(z).ok()) {
      return ErrorResponse(BadParam("zone", fmt::format("unknown zone '{}'", z)));
    }
  }
  if (auto carrier = r.Query("carrier")) {
    Result<units::Carrier> c = units::ParseCarrier(*carrier);
    if (!c.ok()) return ErrorResponse(BadParam("carrier", c.error().message()));
    q.carrier = *c;
  }
  if (auto industry = r.Query("industry")) {
    if (!IsIndustryPrefix(*industry)) {
      return ErrorResponse(BadParam(
          "industry",
          fmt::format("'{}' is not an industry code prefix such as C, C36 or C3670", *industry)));
    }
    q.industry_prefix = std::string(*industry);
    if (std::islower(static_cast<unsigned char>(q.industry_prefix[0])) != 0) {
      q.industry_prefix[0] = static_cast<char>(std::toupper(q.industry_prefix[0]));
    }
  }
  Result<bool> include_generation = ParseBoolParam(r, "include_generation", false);
  if (!include_generation.ok()) return ErrorResponse(include_generation.error());
  q.include_generation = *include_generation;

  // Refuse queries whose answer would be unreasonably large.
  const int64_t periods = (q.to_s - q.from_s + period_s - 1) / period_s;
  int64_t groups = 1;
  switch (q.group_by) {
    case engine::GroupBy::kMeter:
      groups = !q.meters.empty()          ? static_cast<int64_t>(q.meters.size())
               : periods * 100 > kMaxRows ? static_cast<int64_t>(engine_.ListMeters().size())
                                          : 1;
      break;
    case engine::GroupBy::kEnterprise:
      groups = !q.enterprises.empty()     ? static_cast<int64_t>(q.enterprises.size())
               : periods * 100 > kMaxRows ? static_cast<int64_t>(engine_.ListEnterprises().size())
                                          : 1;
      break;
    case engine::GroupBy::kZone:
      groups = !q.zones.empty() ? static_cast<int64_t>(q.zones.size())
                                : static_cast<int64_t>(engine_.ListZones().size());
      break;
    case engine::GroupBy::kCarrier:
    case engine::GroupBy::kPark:
      groups = q.carrier.has_value() ? 1 : static_cast<int64_t>(units::AllCarriers().size());
      break;
  }
  if (periods * std::max<int64_t>(groups, 1) > kMaxRows) {
    return ErrorResponse(InvalidArgumentError(fmt::format(
        "query parameters 'from'/'to': the answer would have about {} rows ({} groups x {} "
        "periods), more than {}; shorten the range, use a longer period or filter",
        periods * groups, groups, periods, kMaxRows)));
  }

  Result<std::vector<engine::SumRow>> rows = engine_.Sums(q);
  if (!rows.ok()) return ErrorResponse(rows.error());

  if (WantsCsv(r)) {
    std::string csv = "group,carrier,unit,period,value,readings\n";
    csv.reserve(rows->size() * 72 + csv.size());
    for (const engine::SumRow& row : *rows) {
      const units::CarrierInfo& info = units::GetCarrierInfo(row.carrier);
      fmt::format_to(std::back_inserter(csv), "{},{},{},{},{},{}\n", CsvField(row.group), info.code,
                     info.canonical_unit, FormatTimestamp(row.period_start_s, zone),
                     SumValue(row.value), row.readings);
    }
    return CsvResponse(std::move(csv));
  }
  std::string body;
  body.reserve(rows->size() * 128 + 256);
  fmt::format_to(std::back_inserter(body),
                 R"({{"by":"{}","period":"{}","from":"{}","to":"{}","count":{},"rows":[)",
                 engine::GroupByName(q.group_by), engine::PeriodName(q.period),
                 FormatTimestamp(q.from_s, zone), FormatTimestamp(q.to_s, zone), rows->size());
  for (size_t i = 0; i < rows->size(); ++i) {
    const engine::SumRow& row = (*rows)[i];
    const units::CarrierInfo& info = units::GetCarrierInfo(row.carrier);
    fmt::format_to(std::back_inserter(body),
                   R"({}{{"group":{},"carrier":"{}","unit":"{}","period":"{}","value":{},)"
                   R"("readings":{}}})",
                   i == 0 ? "" : ",", JsonString(row.group), info.code, info.canonical_unit,
                   FormatTimestamp(row.period_start_s, zone), SumValue(row.value), row.readings);
  }
  body += "]}";
  return JsonResponse(std::move(body));
}

HttpResponse Api::Completeness(const HttpRequest& r) {
  std::vector<std::string> meters = r.QueryList("meter");
  if (meters.empty() && r.scope != nullptr && r.scope->restricted) {
    // Restricted callers: all meters of their enterprises, never the park's.
    for (const model::Meter& m : engine_.ListMeters()) {
      if (m.kind != model::MeterKind::kVirtual && r.scope->AllowsEnterprise(m.enterprise_code)) {
        meters.push_back(m.code);
      }
    }
    if (meters.empty())
      return ErrorResponse(403, StatusCode::kPermissionDenied,
                           "no meter is in your scope / 无权访问");
  }
  for (const std::string& m : meters) {
    Result<engine::MeterRef> ref = PhysicalMeter(engine_, m);
    if (!ref.ok()) return ErrorResponse(ref.error());
  }
  const TimeZone& zone = engine_.zone();
  const int32_t today = zone.LocalDay(Now());
  Result<TimeRange> range = ParseRangeParams(r, zone, zone.DayStart(today - 6),
                                             zone.DayStart(today + 1), kMaxRawSpanS, "10 years");
  if (!range.ok()) return ErrorResponse(range.error());
  const int32_t from_day = zone.LocalDay(range->from_s);
  const int32_t to_day = zone.LocalDay(range->to_s - 1) + 1;
  const int64_t meter_count = meters.empty() ? static_cast<int64_t>(engine_.ListMeters().size())
                                             : static_cast<int64_t>(meters.size());
  if (meter_count * (to_day - from_day) > kMaxRows) {
    return ErrorResponse(InvalidArgumentError(fmt::format(
        "query parameters 'from'/'to': {} meters x {} days is more than {} rows; name meters or "
        "shorten the range",
        meter_count, to_day - from_day, kMaxRows)));
  }
  Result<std::vector<engine::CompletenessRow>> rows =
      engine_.Completeness(meters, from_day, to_day);
  if (!rows.ok()) return ErrorResponse(rows.error());

  if (WantsCsv(r)) {
    std::string csv = "meter,date,expected,received,suspect_zero,flagged\n";
    for (const engine::CompletenessRow& row : *rows) {
      fmt::format_to(std::back_inserter(csv), "{},{},{},{},{},{}\n", CsvField(row.meter),
                     FormatLocalDay(row.day), row.expected, row.received, row.suspect_zero,
                     row.flagged);
    }
    return CsvResponse(std::move(csv));
  }
  int64_t expected = 0;
  int64_t received = 0;
  std::string list;
  list.reserve(rows->size() * 112);
  for (size_t i = 0; i < rows->size(); ++i) {
    const engine::CompletenessRow& row = (*rows)[i];
    expected += row.expected;
    received += std::min(row.received, row.expected);
    fmt::format_to(std::back_inserter(list),
                   R"({}{{"meter":{},"date":"{}","expected":{},"received":{},"suspect_zero":{},)"
                   R"("flagged":{}}})",
                   i == 0 ? "" : ",", JsonString(row.meter), FormatLocalDay(row.day), row.expected,
                   row.received, row.suspect_zero, row.flagged);
  }
  const double ratio = expected > 0 ? static_cast<double>(received) / expected : 1.0;
  return JsonResponse(fmt::format(
      R"({{"from":"{}","to":"{}","expected":{},"received":{},"ratio":{:.4f},"rows":[{}]}})",
      FormatLocalDay(from_day), FormatLocalDay(to_day), expected, received, ratio, list));
}

std::optional<int32_t> Api::LatestDataDay() {
  // Cached: today stays the answer for the rest of the day; an earlier day until the next write.
  const int32_t today = engine_.zone().LocalDay(Now());
  const engine::EngineStats st = engine_.stats();
  const std::array<int64_t, 4> key = {today, st.readings_written, st.flushes, st.corrections};
  {
    std::lock_guard<std::mutex> lock(latest_mu_);
    if (latest_key_[0] == today && (latest_day_ == today || latest_key_ == key)) {
      return latest_day_;
    }
  }
  std::optional<int32_t> day = FindLatestDataDay();
  std::lock_guard<std::mutex> lock(latest_mu_);
  latest_key_ = key;
  latest_day_ = day;
  return day;
}

std::optional<int32_t> Api::FindLatestDataDay() {
  // The latest year with readings (park totals by year over the last ten years), its latest month,
  // then that month's latest day: three small queries over the rollups.
  const TimeZone& zone = engine_.zone();
  const int64_t now = Now();
  const int32_t month = zone.LocalMonth(now);
  engine::SumQuery q;
  q.group_by = engine::GroupBy::kPark;
  q.include_generation = true;
  q.period = engine::Period::kYear;
  q.from_s = zone.MonthStart(month - month % 12 - 120);
  q.to_s = zone.DayStart(zone.LocalDay(now) + 2);
  Result<std::vector<engine::SumRow>> years = engine_.Sums(q);
  if (!years.ok()) return std::nullopt;
  int64_t year_start = -1;
  for (const engine::SumRow& row : *years) {
    if (row.readings > 0) year_start = std::max(year_start, row.period_start_s);
  }
  if (year_start < 0) return std::nullopt;
  const int64_t horizon = q.to_s;
  q.period = engine::Period::kMonth;
  q.from_s = year_start;
  q.to_s = std::min(horizon, zone.MonthStart(zone.LocalMonth(year_start) + 12));
  Result<std::vector<engine::SumRow>> months = engine_.Sums(q);
  if (!months.ok()) return std::nullopt;
  int64_t month_start = -1;
  for (const engine::SumRow& row : *months) {
    if (row.readings > 0) month_start = std::max(month_start, row.period_start_s);
  }
  if (month_start < 0) return std::nullopt;
  q.period = engine::Period::kDay;
  q.from_s = month_start;
  q.to_s = std::min(horizon, zone.MonthStart(zone.LocalMonth(month_start) + 1));
  Result<std::vector<engine::SumRow>> days = engine_.Sums(q);
  if (!days.ok()) return std::nullopt;
  int64_t last = -1;
  for (const engine::SumRow& row : *days) {
    if (row.readings > 0) last = std::max(last, row.period_start_s);
  }
  if (last < 0) return std::nullopt;
  return zone.LocalDay(last);
}

Result<std::vector<engine::CompletenessRow>> Api::CompletenessSoFar(
    std::span<const std::string> meters, int32_t from_day, int32_t to_day) {
  ZP_ASSIGN_OR_RETURN(std::vector<engine::CompletenessRow> rows,
                      engine_.Completeness(meters, from_day, to_day));
  const TimeZone& zone = engine_.zone();
  const int64_t now = Now();
  const int32_t today = zone.LocalDay(now);
  const double elapsed =
      std::clamp(static_cast<double>(now - zone.DayStart(today)) /
                     static_cast<double>(zone.DayStart(today + 1) - zone.DayStart(today)),
                 0.0, 1.0);
  for (engine::CompletenessRow& row : rows) {
    if (row.day == today) row.expected = static_cast<int32_t>(row.expected * elapsed);
    if (row.day > today) row.expected = 0;
  }
  return rows;
}

HttpResponse Api::CompletenessSummary(const HttpRequest& r) {
  enum class By { kMeter, kEnterprise, kDay };
  By by = By::kMeter;
  if (auto b = r.Query("by")) {
    if (*b == "meter")
      by = By::kMeter;
    else if (*b == "enterprise")
      by = By::kEnterprise;
    else if (*b == "day")
      by = By::kDay;
    else
      return ErrorResponse(BadParam("by", "expected meter, enterprise or day"));
  }
  const std::vector<std::string> enterprises = r.QueryList("enterprise");
  for (const std::string& e : enterprises) {
    if (!engine_.GetEnterprise(e).ok()) {
      return ErrorResponse(BadParam("enterprise", fmt::format("unknown enterprise '{}'", e)));
    }
  }
  const std::vector<std::string> zones = r.QueryList("zone");
  for (const std::string& z : zones) {
    if (!engine_.GetZone(z).ok()) {
      return ErrorResponse(BadParam("zone", fmt::format("unknown zone '{}'", z)));
    }
  }
  std::optional<units::Carrier> carrier;
  if (auto c = r.Query("carrier")) {
    Result<units::Carrier> parsed = units::ParseCarrier(*c);
    if (!parsed.ok()) return ErrorResponse(BadParam("carrier", parsed.error().message()));
    carrier = *parsed;
  }
  // The physical meters selected; restricted callers only ever see their enterprises' meters.
  std::set<std::string, std::less<>> zone_enterprises;
  if (!zones.empty()) {
    for (const model::Enterprise& e : engine_.ListEnterprises()) {
      if (std::find(zones.begin(), zones.end(), e.zone_code) != zones.end()) {
        zone_enterprises.insert(e.code);
      }
    }
  }
  std::vector<std::string> meters;
  std::unordered_map<std::string, std::pair<std::string, units::Carrier>> meter_info;
  for (const model::Meter& m : engine_.ListMeters()) {
    if (m.kind == model::MeterKind::kVirtual) continue;
    if (r.scope != nullptr && !r.scope->AllowsEnterprise(m.enterprise_code)) continue;
    if (r.scope != nullptr && r.scope->restricted && m.enterprise_code.empty()) continue;
    if (!enterprises.empty() &&
        std::find(enterprises.begin(), enterprises.end(), m.enterprise_code) == enterprises.end()) {
      continue;
    }
    if (!zones.empty() && zone_enterprises.count(m.enterprise_code) == 0) continue;
    if (carrier.has_value() && m.carrier != *carrier) continue;
    meters.push_back(m.code);
    meter_info.emplace(m.code, std::make_pair(m.enterprise_code, m.carrier));
  }
  const TimeZone& zone = engine_.zone();
  // Default: the 7 days up to the latest day with readings (today when there are none).
  const bool given = r.Query("from").has_value() && r.Query("to").has_value();
  const int32_t last_day =
      given ? zone.LocalDay(Now()) : LatestDataDay().value_or(zone.LocalDay(Now()));
  Result<TimeRange> range =
      ParseRangeParams(r, zone, zone.DayStart(last_day - 6), zone.DayStart(last_day + 1),
                       kMaxDailySpanS, "100 years");
  if (!range.ok()) return ErrorResponse(range.error());
  const int32_t from_day = zone.LocalDay(range->from_s);
  const int32_t to_day = zone.LocalDay(range->to_s - 1) + 1;
  constexpr int64_t kMaxCells = 20'000'000;  // meters x days read from the rollups
  if (static_cast<int64_t>(meters.size()) * (to_day - from_day) > kMaxCells) {
    return ErrorResponse(InvalidArgumentError(fmt::format(
        "query parameters 'from'/'to': {} meters x {} days is more than {}; filter or shorten "
        "the range",
        meters.size(), to_day - from_day, kMaxCells)));
  }
  struct Acc {
    int64_t expected = 0, received = 0, suspect_zero = 0, flagged = 0;
    void Add(const engine::CompletenessRow& row) {
      expected += row.expected;
      received += std::min(row.received, row.expected);
      suspect_zero += row.suspect_zero;
      flagged += row.flagged;
    }
  };
  Acc total;
  std::map<std::string, Acc, std::less<>> groups;  // meter / enterprise code / "YYYY-MM-DD"
  if (by == By::kDay) {
    for (int32_t d = from_day; d < to_day; ++d) groups[FormatLocalDay(d)];
  }
  if (!meters.empty()) {
    Result<std::vector<engine::CompletenessRow>> rows = CompletenessSoFar(meters, from_day, to_day);
    if (!rows.ok()) return ErrorResponse(rows.error());
    for (const engine::CompletenessRow& row : *rows) {
      total.Add(row);
      switch (by) {
        case By::kMeter:
          groups[row.meter].Add(row);
          break;
        case By::kEnterprise: {
          const std::string& e = meter_info[row.meter].first;
          groups[e.empty() ? std::string("PARK") : e].Add(row);
          break;
        }
        case By::kDay:
          groups[FormatLocalDay(row.day)].Add(row);
          break;
      }
    }
  }
  auto ratio = [](const Acc& a) {
    return a.expected > 0 ? static_cast<double>(a.received) / static_cast<double>(a.expected) : 1.0;
  };
  std::string body;
  body.reserve(groups.size() * 140 + 256);
  fmt::format_to(std::back_inserter(body),
                 R"({{"from":"{}","to":"{}","by":"{}","meters":{},"expected":{},"received":{},)"
                 R"("ratio":{:.4f},"suspect_zero":{},"flagged":{},"rows":[)",
                 FormatLocalDay(from_day), FormatLocalDay(to_day),
                 by == By::kMeter        ? "meter"
                 : by == By::kEnterprise ? "enterprise"
                                         : "day",
                 meters.size(), total.expected, total.received, ratio(total), total.suspect_zero,
                 total.flagged);
  bool first = true;
  for (const auto& [group, a] : groups) {
    fmt::format_to(std::back_inserter(body),
                   R"({}{{"group":{},"expected":{},"received":{},"ratio":{:.4f},)"
                   R"("suspect_zero":{},"flagged":{})",
                   first ? "" : ",", JsonString(group), a.expected, a.received, ratio(a),
                   a.suspect_zero, a.flagged);
    if (by == By::kMeter) {
      const auto& info = meter_info[group];
      fmt::format_to(std::back_inserter(body), R"(,"enterprise":{},"carrier":"{}")",
                     JsonString(info.first), units::GetCarrierInfo(info.second).code);
    }
    body += '}';
    first = false;
  }
  body += "]}";
  return JsonResponse(std::move(body));
}

HttpResponse Api::Corrections(const HttpRequest& r) {
  const std::string meter_code(*r.Query("meter"));
  Result<engine::MeterRef> ref = PhysicalMeter(engine_, meter_code);
  if (!ref.ok()) return ErrorResponse(ref.error());
  const TimeZone& zone = engine_.zone();
  const int32_t today = zone.LocalDay(Now());
  Result<TimeRange> range = ParseRangeParams(r, zone, zone.DayStart(today - 29),
                                             zone.DayStart(today + 1), kMaxDailySpanS, "100 years");
  if (!range.ok()) return ErrorResponse(range.error());
  Result<std::vector<store::Correction>> list =
      engine_.Corrections(meter_code, range->from_s, range->to_s);
  if (!list.ok()) return ErrorResponse(list.error());
  std::string body =
      fmt::format(R"({{"meter":{},"unit":{},"from":"{}","to":"{}","corrections":[)",
                  JsonString(meter_code), JsonString(ref->unit),
                  FormatTimestamp(range->from_s, zone), FormatTimestamp(range->to_s, zone));
  for (size_t i = 0; i < list->size(); ++i) {
    const store::Correction& c = (*list)[i];
    fmt::format_to(std::back_inserter(body),
                   R"({}{{"ts":"{}","old_value":{},"new_value":{},"source":{},"recorded":"{}"}})",
                   i == 0 ? "" : ",", FormatTimestamp(c.ts_s, zone), c.old_value, c.new_value,
                   JsonString(c.source), FormatTimestamp(c.recorded_s, zone));
  }
  body += "]}";
  return JsonResponse(std::move(body));
}

}  // namespace zp::server
