// GET /api/v1/green/matching: hourly green-power matching (zp/green/allocation.h) of the park's
// supply (the stored registry, else the registry's default) over a date range, for the dashboard's
// green-power page and the statements: per enterprise consumption, matched and residual kWh with
// the hourly (24/7) and annual shares, the park's totals for park-wide roles, and optionally the
// hours. 绿电逐时匹配：企业与园区的用电量、匹配绿电、电网购电、逐时与年度匹配率。

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "api.h"
#include "params.h"
#include "zp/green/allocation.h"
#include "zp/green/supply.h"

namespace zp::server {
namespace {

using nlohmann::json;

constexpr int64_t kMaxMatchingSpanS = int64_t{366} * 86400;

double Kwh(int64_t wh) { return static_cast<double>(wh) / 1000.0; }

Status BadGreenParam(std::string_view name, std::string_view message) {
  return InvalidArgumentError(fmt::format("query parameter '{}': {}", name, message));
}

}  // namespace

HttpResponse Api::GreenMatching(const HttpRequest& r) {
  const TimeZone& zone = engine_.zone();
  const int32_t today = zone.LocalDay(Now());
  Result<TimeRange> range = ParseRangeParams(
      r, zone, zone.DayStart(today - 6), zone.DayStart(today + 1), kMaxMatchingSpanS, "366 days");
  if (!range.ok()) return ErrorResponse(range.error());
  Result<bool> hours = ParseBoolParam(r, "hours", false);
  if (!hours.ok()) return ErrorResponse(hours.status());

  std::map<std::string, std::string, std::less<>> names;  // enterprise code -> name
  for (const model::Enterprise& e : engine_.ListEnterprises()) names.emplace(e.code, e.name);
  std::vector<std::string> wanted = r.QueryList("enterprise");
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  for (const std::string& e : wanted) {
    if (!names.count(e)) {
      return ErrorResponse(BadGreenParam("enterprise", fmt::format("unknown enterprise '{}'", e)));
    }
  }
  const bool park_wide = r.scope == nullptr || !r.scope->restricted;
  if (!park_wide && wanted.empty()) {
    return ErrorResponse(403, StatusCode::kPermissionDenied,
                         "no enterprise is in your scope / 无权访问");
  }
  if (*hours && wanted.size() > 1) {
    return ErrorResponse(
        BadGreenParam("hours",
                      "hours=true needs one enterprise (or none, for the park's hours; park-wide "
                      "roles only) / 逐时明细只能查询一家企业或全园区"));
  }

  Result<green::Supply> supply = green::LoadSupply(engine_);
  if (!supply.ok()) return ErrorResponse(supply.status());
  Result<green::SupplyInput> in =
      green::BuildAllocationInput(engine_, *supply, range->from_s, range->to_s);
  if (!in.ok()) return ErrorResponse(in.status());
  const green::AllocationInput& input = in->input;
  Result<green::AllocationResult> result = green::Allocate(input);
  if (!result.ok()) return ErrorResponse(result.status());
  Result<green::Scores> scores = green::ComputeScores(input, *result);
  if (!scores.ok()) return ErrorResponse(scores.status());

  const int32_t consumers = input.consumers;
  const int32_t sources = input.sources();
  auto consumer_index = [&](std::string_view code) -> int32_t {
    auto it = std::lower_bound(in->consumers.begin(), in->consumers.end(), code);
    if (it == in->consumers.end() || *it != code) return -1;
    return static_cast<int32_t>(it - in->consumers.begin());
  };

  json out{{"from", FormatTimestamp(range->from_s, zone)},
           {"to", FormatTimestamp(range->to_s, zone)}};
  if (park_wide) {
    const int64_t consumption = std::accumulate(result->consumption_total.begin(),
                                                result->consumption_total.end(), int64_t{0});
    const int64_t matched =
        std::accumulate(result->matched_total.begin(), result->matched_total.end(), int64_t{0});
    const int64_t generation = std::accumulate(result->generation_total.begin(),
                                               result->generation_total.end(), int64_t{0});
    const int64_t allocated =
        std::accumulate(result->allocated_total.begin(), result->allocated_total.end(), int64_t{0});
    out["park"] = json{
        {"consumption_kwh", Kwh(consumption)},        {"matched_kwh", Kwh(matched)},
        {"residual_kwh", Kwh(consumption - matched)}, {"generation_kwh", Kwh(generation)},
        {"surplus_kwh", Kwh(generation - allocated)}, {"hourly_share", scores->park_hourly_share},
        {"annual_share", scores->park_annual_share}};
  }

  const std::vector<std::string>& listed = wanted.empty() ? in->consumers : wanted;
  json enterprises = json::array();
  for (const std::string& code : listed) {
    const int32_t c = consumer_index(code);
    if (c < 0) continue;
    const int64_t consumption = result->consumption_total[c];
    const int64_t matched = result->matched_total[c];
    auto name = names.find(code);
    enterprises.push_back(json{{"code", code},
                               {"name", name != names.end() ? name->second : std::string()},
                               {"consumption_kwh", Kwh(consumption)},
                               {"matched_kwh", Kwh(matched)},
                               {"residual_kwh", Kwh(consumption - matched)},
                               {"hourly_share", scores->hourly_share[c]},
                               {"annual_share", scores->annual_share[c]}});
  }
  out["enterprises"] = std::move(enterprises);

  if (*hours) {
    // One enterprise: its hours, with the generation of the assets on its own site. None named
    // (park-wide roles only, restricted callers always have theirs injected): the park's hours.
    int32_t only = -1;
    std::vector<char> own_source(sources, 1);
    if (wanted.size() == 1) {
      only = consumer_index(wanted[0]);
      std::map<std::string_view, std::string_view> site;  // asset -> site enterprise
      for (const green::GenerationAsset& a : supply->assets)
        site.emplace(a.code, a.site_enterprise);
      for (int32_t s = 0; s < sources; ++s) {
        auto it = site.find(in->source_asset[s]);
        own_source[s] = it != site.end() && it->second == wanted[0];
      }
    }
    json rows = json::array();
    const int64_t now = Now();
    for (int32_t h = 0; h < input.hours; ++h) {
      int64_t consumption = 0, matched = 0, generation = 0;
      const size_t c0 = static_cast<size_t>(h) * consumers;
      if (only >= 0) {
        consumption = input.consumption[c0 + only];
        matched = result->Matched(only, h);
      } else if (wanted.empty()) {
        for (int32_t c = 0; c < consumers; ++c) {
          consumption += input.consumption[c0 + c];
          matched += result->Matched(c, h);
        }
      }
      const size_t s0 = static_cast<size_t>(h) * sources;
      for (int32_t s = 0; s < sources; ++s) {
        if (own_source[s]) generation += input.generation[s0 + s];
      }
      rows.push_back(json{{"hour", FormatTimestamp(in->hour_start_s[h], zone)},
                          {"consumption_kwh", Kwh(consumption)},
                          {"matched_kwh", Kwh(matched)},
                          {"residual_kwh", Kwh(consumption - matched)},
                          {"generation_kwh", Kwh(generation)},
                          // Hours still in progress (or to come) have partial readings.
                          {"complete", in->hour_start_s[h] + 3600 <= now}});
    }
    out["hours"] = std::move(rows);
  }
  return JsonResponse(out.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace zp::server
