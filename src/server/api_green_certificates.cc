// Green-power supply registry, monthly settlement, certificates and statements
// (zp/green/service.h): GET/PUT /api/v1/green/supply, POST/GET /api/v1/green/settlements,
// GET /api/v1/green/certificates, GET /api/v1/green/statements. The Api owns one GreenService,
// opened on first use (it replays the ledger) and refreshed when another writer appended to the
// stored ledger. 绿电供给登记、月度结算、绿证查询与企业绿电声明。

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api.h"
#include "params.h"
#include "zp/base/logging.h"
#include "zp/carbon/cbam.h"
#include "zp/green/service.h"
#include "zp/green/supply.h"

namespace zp::server {
namespace {

using nlohmann::json;

double Kwh(int64_t wh) { return static_cast<double>(wh) / 1000.0; }
double Mwh(int64_t wh) { return static_cast<double>(wh) / 1e6; }

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Status BadParam(std::string_view name, std::string_view message) {
  return InvalidArgumentError(fmt::format("query parameter '{}': {}", name, message));
}

json WhByStatusJson(const std::array<int64_t, green::kCertStatusCount>& wh) {
  json out = json::object();
  for (int i = 0; i < green::kCertStatusCount; ++i) {
    out[std::string(green::CertStatusName(static_cast<green::CertStatus>(i)))] = wh[i];
  }
  return out;
}

json SettlementJson(const green::Settlement& s, const TimeZone& zone) {
  json j = json::object();
  green::ForEachSettlementTotal(s, [&j](const char* name, const auto& value) { j[name] = value; });
  j["settled_at"] = s.settled_at_s != 0 ? FormatTimestamp(s.settled_at_s, zone) : "";
  return j;
}

// A month parameter "YYYY-MM", naming the parameter when wrong.
Result<int32_t> MonthParam(const HttpRequest& r, std::string_view name, int32_t default_value) {
  std::optional<std::string_view> text = r.Query(name);
  if (!text || text->empty()) return default_value;
  Result<int32_t> m = green::ParseMonth(*text);
  if (!m.ok()) return BadParam(name, m.status().message());
  return *m;
}

// The grid factor rows applied to electricity in the months, by Scope 2 method.
json ElectricityFactors(const carbon::CarbonAccounts& a, int32_t from_month, int32_t to_month) {
  json out = json::object();
  for (carbon::Scope2Method method : carbon::kScope2Methods) {
    std::map<std::string, json> rows;  // by row id
    for (int32_t m = from_month; m <= to_month; ++m) {
      const carbon::EmissionFactor* f = a.Scope2Factor(m, units::Carrier::kElectricity, method);
      if (f == nullptr) continue;
      std::string key;
      for (const refdata::FactorRow* row : f->rows) key += row->id + ";";
      auto [it, added] = rows.try_emplace(key);
      json& j = it->second;
      if (added) {
        json used = json::array();
        for (const refdata::FactorRow* row : f->rows) {
          used.push_back(json{{"id", row->id},
                              {"dataset", row->dataset},
                              {"variant", row->variant},
                              {"region", row->region},
                              {"value", row->value},
                              {"unit", row->unit},
                              {"source", row->source},
                              {"confidence", row->confidence}});
        }
        j = json{{"tco2_per_mwh", f->tco2_per_unit * 1000.0},
                 {"formula", f->formula},
                 {"rows", std::move(used)},
                 {"months", json::array()}};
      }
      j["months"].push_back(green::FormatMonth(m));
    }
    json list = json::array();
    for (auto& [key, j] : rows) list.push_back(std::move(j));
    out[std::string(carbon::Scope2MethodName(method))] = std::move(list);
  }
  out["note"] =
      "基于位置：电网平均排放因子；基于市场：已声明注销的绿证电量按零计，其余电网购电按剔除市场化"
      "交易非化石电力的全国电网排放因子 / Location-based: grid average factor; market-based: "
      "claimed green certificates count as zero, the remaining grid purchase at the national "
      "factor excluding market-traded non-fossil power";
  return out;
}

}  // namespace

Api::~Api() {
  if (green_warmup_.joinable()) green_warmup_.join();
  accounting_.SetGreenService(nullptr);
}

void Api::WarmUpGreen() {
  if (green_warmup_.joinable()) return;
  green_warmup_ = std::thread([this] {
    Result<green::GreenService*> service = Green();
    if (!service.ok()) {
      LogWarning("green-power service: {} (green endpoints answer with this error)",
                 service.status().ToString());
    }
  });
}

Result<green::GreenService*> Api::Green() {
  {
    std::lock_guard lock(green_mu_);
    if (green_ == nullptr) {
      green::GreenServiceOptions o;
      o.issuer = "zeropark";
      o.now = [this] { return Now(); };
      ZP_ASSIGN_OR_RETURN(green_, green::GreenService::Open(engine_.store(), engine_, o));
      // Settled months' green power comes from their claimed certificates from now on.
      accounting_.SetGreenService(green_.get());
      return green_.get();
    }
  }
  ZP_RETURN_IF_ERROR(green_->Refresh());
  return green_.get();
}

HttpResponse Api::GetGreenSupply(const HttpRequest&) {
  bool stored = false;
  Result<green::Supply> supply = green::LoadSupply(engine_, &stored);
  json out;
  if (supply.ok()) {
    out = json::parse(green::SupplyToJson(*supply), nullptr, false);
    out["stored"] = stored;
    out["valid"] = true;
    return JsonResponse(Dump(out));
  }
  // A stored registry that no longer fits the registry (a meter deleted, ...): shown as stored,
  // with what is wrong, so that it can be corrected.
  Result<std::optional<std::string>> text = engine_.store().GetSetting(green::kSettingSupply);
  if (!text.ok()) return ErrorResponse(text.status());
  if (!*text) return ErrorResponse(supply.status());
  Result<green::Supply> raw = green::SupplyFromJson(**text);
  if (!raw.ok()) return ErrorResponse(DataLossError(raw.status().message()));
  out = json::parse(green::SupplyToJson(*raw), nullptr, false);
  out["stored"] = true;
  out["valid"] = false;
  out["error"] = supply.status().message();
  return JsonResponse(Dump(out));
}

HttpResponse Api::PutGreenSupply(const HttpRequest& r) {
  Result<green::Supply> supply = green::SupplyFromJson(r.body);
  if (!supply.ok()) return ErrorResponse(supply.status());
  Status s = green::SaveSupply(engine_, *supply);
  if (!s.ok()) return ErrorResponse(s);
  accounting_.Invalidate();
  return GetGreenSupply(r);
}

HttpResponse Api::SettleGreen(const HttpRequest& r) {
  json body = json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ErrorResponse(
        InvalidArgumentError("body must be a JSON object {\"month\":\"2025-06\"}"));
  }
  auto month_field = body.find("month");
  if (month_field == body.end() || !month_field->is_string()) {
    return ErrorResponse(
        InvalidArgumentError("field 'month' is required: \"YYYY-MM\" / 需要 month 字段"));
  }
  Result<int32_t> month = green::ParseMonth(month_field->get<std::string>());
  if (!month.ok()) {
    return ErrorResponse(
        InvalidArgumentError(fmt::format("field 'month': {}", month.status().message())));
  }
  // A month that has not ended is a bad request, not a conflict.
  const TimeZone zone = engine_.zone();
  if (Now() < zone.MonthStart(*month + 1)) {
    return ErrorResponse(
        400, StatusCode::kFailedPrecondition,
        fmt::format(
            "field 'month': {} has not ended yet (ends {}) / {} 尚未结束，只能结算已结束的月份",
            green::FormatMonth(*month), FormatTimestamp(zone.MonthStart(*month + 1), zone),
            green::FormatMonth(*month)));
  }
  Result<green::GreenService*> service = Green();
  if (!service.ok()) return ErrorResponse(service.status());
  const std::string actor =
      r.scope != nullptr && !r.scope->actor.empty() ? r.scope->actor : std::string("api");
  Result<green::Settlement> s = (*service)->Settle(*month, actor);
  if (!s.ok()) return ErrorResponse(s.status());
  json out = SettlementJson(*s, engine_.zone());
  out["seconds"] = s->seconds;
  return JsonResponse(Dump(out));
}

HttpResponse Api::GreenSettlements(const HttpRequest&) {
  Result<green::GreenService*> service = Green();
  if (!service.ok()) return ErrorResponse(service.status());
  const TimeZone zone = engine_.zone();
  json months = json::array();
  for (const green::Settlement& s : (*service)->Settlements()) {
    months.push_back(SettlementJson(s, zone));
  }
  return JsonResponse(Dump(json{{"months", std::move(months)},
                                {"ledger_size", (*service)->ledger_size()},
                                {"ledger_head", (*service)->ledger_head()}}));
}

HttpResponse Api::GreenCertificates(const HttpRequest& r) {
  const TimeZone zone = engine_.zone();
  green::CertQuery q;
  q.parties = r.QueryList("enterprise");
  if (std::optional<std::string_view> d = r.Query("device")) q.device = std::string(*d);
  if (std::optional<std::string_view> st = r.Query("status"); st && !st->empty()) {
    Result<green::CertStatus> status = green::ParseCertStatus(*st);
    if (!status.ok()) return ErrorResponse(BadParam("status", status.status().message()));
    q.status = *status;
  }
  if (std::optional<std::string_view> from = r.Query("from"); from && !from->empty()) {
    Result<int64_t> t = ParseTimeParam("from", *from, zone);
    if (!t.ok()) return ErrorResponse(t.status());
    q.from_hour_s = *t;
  }
  if (std::optional<std::string_view> to = r.Query("to"); to && !to->empty()) {
    Result<int64_t> t = ParseTimeParam("to", *to, zone);
    if (!t.ok()) return ErrorResponse(t.status());
    q.to_hour_s = *t;
  }
  Result<int64_t> limit = ParseIntParam(r, "limit", 100, 0, 10000);
  if (!limit.ok()) return ErrorResponse(limit.status());
  Result<int64_t> offset = ParseIntParam(r, "offset", 0, 0, INT64_MAX / 2);
  if (!offset.ok()) return ErrorResponse(offset.status());
  q.limit = *limit;
  q.offset = *offset;
  if (r.scope != nullptr && r.scope->restricted && q.parties.empty()) {
    return ErrorResponse(403, StatusCode::kPermissionDenied,
                         "no enterprise is in your scope / 无权访问");
  }
  Result<green::GreenService*> service = Green();
  if (!service.ok()) return ErrorResponse(service.status());
  const green::CertPage page = (*service)->Certificates(q);
  json certs = json::array();
  for (const green::CertBundle& b : page.bundles) {
    certs.push_back(json{{"issuance_id", b.issuance_id},
                         {"device", b.device},
                         {"technology", b.technology},
                         {"location", b.location},
                         {"issuer", b.issuer},
                         {"production_hour", FormatTimestamp(b.production_hour_s, zone)},
                         {"from_wh", b.from_wh},
                         {"to_wh", b.to_wh},
                         {"wh", b.to_wh - b.from_wh},
                         {"status", green::CertStatusName(b.status)},
                         {"status_zh", green::CertStatusNameZh(b.status)},
                         {"account", b.account},
                         {"consumer", b.consumer},
                         {"ledger_seq", b.ledger_seq}});
  }
  return JsonResponse(Dump(json{{"total", page.total},
                                {"total_wh", page.total_wh},
                                {"offset", q.offset},
                                {"limit", q.limit},
                                {"wh_by_status", WhByStatusJson(page.wh_by_status)},
                                {"certificates", std::move(certs)}}));
}

HttpResponse Api::GreenStatementReport(const HttpRequest& r) {
  const TimeZone zone = engine_.zone();
  const std::vector<std::string> wanted = r.QueryList("enterprise");
  if (wanted.size() != 1) {
    return ErrorResponse(BadParam("enterprise", "name exactly one enterprise / 请指定一家企业"));
  }
  const std::string& code = wanted[0];
  std::string name;
  bool known = false;
  for (const model::Enterprise& e : engine_.ListEnterprises()) {
    if (e.code == code) {
      name = e.name;
      known = true;
    }
  }
  if (!known) {
    return ErrorResponse(NotFoundError(fmt::format("unknown enterprise '{}' / 企业不存在", code)));
  }
  Result<green::GreenService*> service = Green();
  if (!service.ok()) return ErrorResponse(service.status());
  // Default period: the year up to the latest settled month (or the month before this one).
  const std::vector<green::Settlement> settled = (*service)->Settlements();
  const int32_t last = settled.empty() ? zone.LocalMonth(Now()) - 1 : settled.back().month;
  Result<int32_t> to = MonthParam(r, "to", last);
  if (!to.ok()) return ErrorResponse(to.status());
  Result<int32_t> from = MonthParam(r, "from", MonthIndex(MonthIndexYear(*to), 1));
  if (!from.ok()) return ErrorResponse(from.status());
  Result<green::GreenStatement> st = (*service)->Statement(code, *from, *to);
  if (!st.ok()) return ErrorResponse(st.status());

  json months = json::array();
  for (const green::StatementMonth& m : st->months) {
    const green::SettledEnterprise& f = m.figures;
    months.push_back(
        json{{"month", green::FormatMonth(m.month)},
             {"settled", m.settled},
             {"consumption_kwh", Kwh(f.consumption_wh)},
             {"claimed_kwh", Kwh(f.claimed_wh)},
             {"residual_kwh", Kwh(std::max<int64_t>(0, f.consumption_wh - f.claimed_wh))},
             {"trading_matched_kwh", Kwh(f.trading_matched_wh)},
             {"gec_bundled_mwh", f.gec_bundled},
             {"gec_unbundled_mwh", f.gec_unbundled},
             {"gec_shortfall_mwh", Mwh(f.gec_shortfall_wh)}});
  }
  json hours = json::array();
  for (const green::StatementHour& h : st->hours) {
    json certs = json::array();
    for (const green::StatementCertificate& c : h.certificates) {
      certs.push_back(json{{"device", c.device},
                           {"technology", c.technology},
                           {"location", c.location},
                           {"from_wh", c.from_wh},
                           {"to_wh", c.to_wh},
                           {"wh", c.wh()},
                           {"claim_seq", c.claim_seq}});
    }
    hours.push_back(json{{"hour", FormatTimestamp(h.hour_s, zone)},
                         {"consumption_wh", h.consumption_wh},
                         {"claimed_wh", h.claimed_wh},
                         {"residual_wh", std::max<int64_t>(0, h.consumption_wh - h.claimed_wh)},
                         {"consumption_cert", h.consumption_cert},
                         {"certificates", std::move(certs)}});
  }
  json by_source = json::array();
  for (const green::StatementSource& s : st->by_source) {
    by_source.push_back(
        json{{"device", s.device}, {"technology", s.technology}, {"kwh", Kwh(s.wh)}});
  }
  json months_list = json::array(), unsettled = json::array();
  for (int32_t m : st->settled_months) months_list.push_back(green::FormatMonth(m));
  for (int32_t m : st->unsettled_months) unsettled.push_back(green::FormatMonth(m));

  json out{
      {"title",
       {{"zh", "绿色电力消费声明（逐时匹配）"},
        {"en", "Green electricity statement (hourly matched)"}}},
      {"enterprise", {{"code", code}, {"name", name}}},
      {"from", green::FormatMonth(*from)},
      {"to", green::FormatMonth(*to)},
      {"generated_at", FormatTimestamp(Now(), zone)},
      {"ledger_head", st->ledger_head},
      {"ledger_size", st->ledger_size},
      {"settled_months", std::move(months_list)},
      {"unsettled_months", std::move(unsettled)},
      {"summary",
       {{"consumption_kwh", Kwh(st->consumption_wh)},
        {"claimed_kwh", Kwh(st->claimed_wh)},
        {"residual_kwh", Kwh(std::max<int64_t>(0, st->consumption_wh - st->claimed_wh))},
        {"hourly_share", st->hourly_share},
        {"annual_share", st->annual_share},
        {"annual_share_with_gec", st->annual_share_with_gec},
        {"by_source", std::move(by_source)}}},
      {"months", std::move(months)},
      {"hours", std::move(hours)},
      {"notes",
       json::array(
           {"逐时匹配：每小时的用电只与同一小时签发的绿证匹配；所列绿证已在哈希链账本中声明注销"
            "（claim_seq 为账本序号），不会再分配给他人 / Hourly matching: each hour's "
            "consumption is matched only by certificates produced in that hour; the certificates "
            "listed are claimed (cancelled) in the hash-chained ledger (claim_seq is the ledger "
            "seq) and cannot be allocated again",
            "汇总只计已结算月份；绿证（GEC）只在月度核对中列示，不计入逐时匹配 / Totals cover "
            "settled months only; green certificates (GEC) are reconciled monthly and never "
            "counted in the hourly matching",
            "年度匹配率：结算月份内可用绿电总量对总用电的匹配（不要求同一小时） / Annual share: "
            "the settled months' eligible green supply against their total consumption, "
            "regardless of the hour"})}};

  // Products: CBAM-style embedded emissions from the carbon accounts (months [from, to]).
  Result<std::shared_ptr<const carbon::CarbonAccounts>> accounts =
      accounting_.Accounts(*from, *to + 1);
  if (accounts.ok()) {
    Result<std::vector<carbon::ProductEmbedded>> products =
        carbon::EmbeddedEmissions(**accounts, code, *from, *to + 1);
    if (products.ok()) {
      out["products"] = json::parse(carbon::EmbeddedEmissionsToJson(*products), nullptr, false);
    } else {
      out["products"] = json::array();
      out["products_error"] = products.status().message();
    }
    out["electricity_factor"] = ElectricityFactors(**accounts, *from, *to);
  } else {
    out["products"] = json::array();
    out["products_error"] = accounts.status().message();
    out["electricity_factor"] = json::object();
  }
  return JsonResponse(Dump(out));
}

}  // namespace zp::server
