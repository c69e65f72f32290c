// The route table: every endpoint with its parameters. The router, the parameter checks, the
// OpenAPI document and the landing page are all built from it.

#include <charconv>
#include <nlohmann/json.hpp>

#include "api.h"
#include "params.h"

namespace zp::server {
namespace {

ParamSpec Q(std::string name, std::string description, std::string type = "string") {
  ParamSpec p;
  p.name = std::move(name);
  p.description = std::move(description);
  p.type = std::move(type);
  return p;
}
ParamSpec Required(ParamSpec p) {
  p.required = true;
  return p;
}
ParamSpec Repeated(ParamSpec p) {
  p.repeated = true;
  return p;
}
ParamSpec OneOf(ParamSpec p, std::vector<std::string> values) {
  p.values = std::move(values);
  return p;
}
ParamSpec PathParam(std::string name, std::string description) {
  ParamSpec p;
  p.name = std::move(name);
  p.in = ParamIn::kPath;
  p.required = true;
  p.description = std::move(description);
  return p;
}

ParamSpec From() {
  return Q("from", "start, inclusive: ISO 8601, a date (park time) or Unix seconds / 开始时间(含)");
}
ParamSpec To() { return Q("to", "end, exclusive / 结束时间(不含)"); }
ParamSpec Format() {
  return OneOf(Q("format", "json (default) or csv / 输出格式"), {"json", "csv"});
}
ParamSpec Limit() { return Q("limit", "at most this many rows / 最多行数", "integer"); }
ParamSpec Offset() { return Q("offset", "skip this many rows / 跳过行数", "integer"); }

constexpr const char* kJson = "application/json";
constexpr const char* kCsv = "text/csv";

}  // namespace

std::vector<Route> Api::BuildRoutes() {
  auto bind = [this](HttpResponse (Api::*method)(const HttpRequest&)) -> Handler {
    return [this, method](const HttpRequest& r) { return (this->*method)(r); };
  };
  auto route = [](std::string method, std::string path, std::string tag, std::string summary,
                  std::vector<ParamSpec> params, std::string request_type,
                  std::string response_type, int success, Handler handler) {
    Route r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.tag = std::move(tag);
    r.summary = std::move(summary);
    r.params = std::move(params);
    r.request_type = std::move(request_type);
    r.response_type = std::move(response_type);
    r.success_status = success;
    r.handler = std::move(handler);
    return r;
  };

  const std::vector<ParamSpec> write_params = {
      OneOf(Q("precision", "timestamp precision (default ns) / 时间戳精度"),
            {"ns", "u", "us", "ms", "s"}),
      Q("meter_tag", "tag that names the meter (default meter) / 表计标签名"),
      Q("db", "ignored (InfluxDB 1.x clients)"),
      Q("rp", "ignored (InfluxDB 1.x clients)"),
      Q("consistency", "ignored (InfluxDB 1.x clients)"),
      Q("u", "ignored (InfluxDB 1.x clients)"),
      Q("p", "ignored (InfluxDB 1.x clients)"),
      Q("org", "ignored (InfluxDB 2.x clients)"),
      Q("orgID", "ignored (InfluxDB 2.x clients)"),
      Q("bucket", "ignored (InfluxDB 2.x clients)"),
  };
  const std::vector<ParamSpec> sum_params = {
      OneOf(Q("by", "grouping (default park) / 分组"),
            {"meter", "enterprise", "zone", "carrier", "park"}),
      OneOf(Q("period", "period (default day) / 周期"), {"hour", "day", "month", "year"}),
      From(),
      To(),
      Repeated(Q("meter", "only these meters (repeatable or comma-separated) / 表计")),
      Repeated(Q("enterprise", "only these enterprises / 企业")),
      Repeated(Q("zone", "only these zones / 网格")),
      Q("carrier", "only this carrier, e.g. electricity / 能源品种"),
      Q("industry", "industry code prefix, e.g. C36 / 行业代码前缀"),
      Q("include_generation",
        "above meter level, also count sub-meters, virtual and generation meters", "boolean"),
      Format(),
  };
  const std::string registry_tag = "registry";

  std::vector<Route> routes;
  routes.push_back(route("GET", "/", "site", "Landing page (zh/en) / 首页", {}, "", "text/html",
                         200, bind(&Api::Landing)));
  routes.push_back(route("GET", "/health", "site", "Health check / 健康检查", {}, "", kJson, 200,
                         bind(&Api::Health)));
  routes.push_back(route("GET", "/metrics", "site", "Prometheus metrics / 监控指标", {}, "",
                         "text/plain", 200, bind(&Api::MetricsText)));
  routes.push_back(route("GET", "/api/v1/openapi.json", "site", "This OpenAPI document / 接口文档",
                         {}, "", kJson, 200, bind(&Api::OpenApi)));
  routes.push_back(route("GET", "/api/v1/carriers", "registry",
                         "Energy carriers and their canonical units / 能源品种", {}, "", kJson, 200,
                         bind(&Api::Carriers)));

  // Ingest.
  routes.push_back(route("POST", "/write", "ingest",
                         "Write readings in InfluxDB line protocol; good lines are kept, bad lines "
                         "reported (400 partial write) / 行协议写入",
                         write_params, "text/plain", "", 204, bind(&Api::WriteLineProtocol)));
  routes.push_back(
      route("POST", "/api/v2/write", "ingest",
            "Same as /write, for InfluxDB 2.x clients (Telegraf influxdb_v2) / 同 /write",
            write_params, "text/plain", "", 204, bind(&Api::WriteLineProtocol)));
  routes.push_back(route("POST", "/api/v1/readings", "ingest",
                         "Write readings as JSON; all or nothing / JSON 批量写入(全部或全不)", {},
                         kJson, kJson, 200, bind(&Api::WriteJson)));
  routes.push_back(route("POST", "/api/v1/imports", "ingest",
                         "Import a CSV file of readings with a saved mapping (CSV body) or an "
                         "inline one (JSON body {mapping, csv}); good rows kept, report of "
                         "rejected rows, suspected gaps and a preview; dry_run=true writes "
                         "nothing / CSV 导入(可预览)",
                         {Q("mapping", "saved mapping name / 映射名称"),
                          Q("dry_run", "true: check only, write nothing / 仅预览", "boolean")},
                         kCsv, kJson, 200, bind(&Api::ImportReadingsCsv)));
  routes.push_back(route("GET", "/api/v1/mappings", "ingest", "Saved CSV mappings / CSV 映射列表",
                         {}, "", kJson, 200, bind(&Api::ListMappings)));
  routes.push_back(route("GET", "/api/v1/mappings/{name}", "ingest", "One CSV mapping / CSV 映射",
                         {PathParam("name", "mapping name")}, "", kJson, 200,
                         bind(&Api::GetMapping)));
  routes.push_back(route("PUT", "/api/v1/mappings/{name}", "ingest",
                         "Save a CSV mapping / 保存 CSV 映射", {PathParam("name", "mapping name")},
                         kJson, kJson, 200, bind(&Api::PutMapping)));
  routes.push_back(route("POST", "/api/v1/flush", "ingest",
                         "Flush the memtable into chunks now (admin aid) / 立即落盘", {}, "", kJson,
                         200, bind(&Api::Flush)));

  // Registry.
  routes.push_back(route("GET", "/api/v1/park", registry_tag, "The park / 园区", {}, "", kJson, 200,
                         bind(&Api::GetPark)));
  routes.push_back(route("PUT", "/api/v1/park", registry_tag,
                         "Update the park (fields given) / 修改园区", {}, kJson, kJson, 200,
                         bind(&Api::PutPark)));

  routes.push_back(route("GET", "/api/v1/zones", registry_tag, "List zones / 网格列表",
                         {Q("q", "substring of code or name / 关键字"), Limit(), Offset()}, "",
                         kJson, 200, bind(&Api::ListZones)));
  routes.push_back(route("POST", "/api/v1/zones", registry_tag, "Create a zone / 新建网格", {},
                         kJson, kJson, 201, bind(&Api::CreateZone)));
  const ParamSpec zone_code = PathParam("code", "zone code / 网格编码");
  routes.push_back(route("GET", "/api/v1/zones/{code}", registry_tag, "One zone / 网格",
                         {zone_code}, "", kJson, 200, bind(&Api::GetZone)));
  routes.push_back(route("PUT", "/api/v1/zones/{code}", registry_tag,
                         "Create or update a zone (fields given) / 新建或修改网格", {zone_code},
                         kJson, kJson, 200, bind(&Api::PutZone)));
  routes.push_back(route("DELETE", "/api/v1/zones/{code}", registry_tag, "Delete a zone / 删除网格",
                         {zone_code}, "", "", 204, bind(&Api::DeleteZone)));

  routes.push_back(route("GET", "/api/v1/enterprises", registry_tag, "List enterprises / 企业列表",
                         {Q("zone", "only enterprises of this zone / 网格"),
                          Q("industry", "industry code prefix, e.g. C36 / 行业"),
                          Q("q", "substring of code or name / 关键字"), Limit(), Offset()},
                         "", kJson, 200, bind(&Api::ListEnterprises)));
  routes.push_back(route("POST", "/api/v1/enterprises", registry_tag,
                         "Create an enterprise / 新建企业", {}, kJson, kJson, 201,
                         bind(&Api::CreateEnterprise)));
  const ParamSpec enterprise_code =
      PathParam("code", "unified social credit code / 统一社会信用代码");
  routes.push_back(route("GET", "/api/v1/enterprises/{code}", registry_tag, "One enterprise / 企业",
                         {enterprise_code}, "", kJson, 200, bind(&Api::GetEnterprise)));
  routes.push_back(route("PUT", "/api/v1/enterprises/{code}", registry_tag,
                         "Create or update an enterprise (fields given) / 新建或修改企业",
                         {enterprise_code}, kJson, kJson, 200, bind(&Api::PutEnterprise)));
  routes.push_back(route("DELETE", "/api/v1/enterprises/{code}", registry_tag,
                         "Delete an enterprise / 删除企业", {enterprise_code}, "", "", 204,
                         bind(&Api::DeleteEnterprise)));

  routes.push_back(route("GET", "/api/v1/meters", registry_tag, "List meters / 表计列表",
                         {Q("zone", "meters of enterprises in this zone / 网格"),
                          Q("enterprise", "meters of this enterprise / 企业"),
                          Q("carrier", "only this carrier / 能源品种"),
                          Q("q", "substring of code or name / 关键字"), Limit(), Offset()},
                         "", kJson, 200, bind(&Api::ListMeters)));
  routes.push_back(route("POST", "/api/v1/meters", registry_tag, "Create a meter / 新建表计", {},
                         kJson, kJson, 201, bind(&Api::CreateMeter)));
  const ParamSpec meter_code = PathParam("code", "meter code / 表计编码");
  routes.push_back(route("GET", "/api/v1/meters/{code}", registry_tag, "One meter / 表计",
                         {meter_code}, "", kJson, 200, bind(&Api::GetMeter)));
  routes.push_back(route("PUT", "/api/v1/meters/{code}", registry_tag,
                         "Create or update a meter (fields given) / 新建或修改表计", {meter_code},
                         kJson, kJson, 200, bind(&Api::PutMeter)));
  routes.push_back(route("DELETE", "/api/v1/meters/{code}", registry_tag,
                         "Delete a meter / 删除表计", {meter_code}, "", "", 204,
                         bind(&Api::DeleteMeter)));
  routes.push_back(route("GET", "/api/v1/meters/{code}/replacements", registry_tag,
                         "Register replacements of a cumulative meter / 换表记录", {meter_code}, "",
                         kJson, 200, bind(&Api::ListRegisterReplacements)));
  routes.push_back(route("POST", "/api/v1/meters/{code}/replacements", registry_tag,
                         "Record a register replacement {ts, old_final, new_initial}; re-rolls the "
                         "affected days / 登记换表(旧表止码、新表起码)",
                         {meter_code}, kJson, kJson, 201, bind(&Api::AddRegisterReplacement)));

  for (std::string kind : {"zones", "enterprises", "meters"}) {
    routes.push_back(route(
        "POST", "/api/v1/registry/" + kind + ".csv", registry_tag,
        "Import " + kind + " from CSV; all or nothing, errors with line / CSV 导入档案", {}, kCsv,
        kJson, 200, [this, kind](const HttpRequest& r) { return ImportRegistryCsv(r, kind); }));
    routes.push_back(
        route("GET", "/api/v1/registry/" + kind + ".csv", registry_tag,
              "Export " + kind + " as CSV / 导出档案",
              {Q("bom", "start with a UTF-8 byte-order mark (for Excel)", "boolean")}, "", kCsv,
              200, [this, kind](const HttpRequest& r) { return ExportRegistryCsv(r, kind); }));
  }

  // Queries.
  routes.push_back(route("GET", "/api/v1/readings", "query",
                         "Raw readings of one meter, in its own unit before the multiplier / "
                         "原始读数",
                         {Required(Q("meter", "meter code / 表计")), From(), To(), Format()}, "",
                         kJson, 200, bind(&Api::Readings)));
  routes.push_back(route("GET", "/api/v1/sums", "query",
                         "Sums by meter, enterprise, zone, carrier or park per hour, day, month or "
                         "year, in canonical units and park time / 分时段汇总",
                         sum_params, "", kJson, 200, bind(&Api::Sums)));
  routes.push_back(
      route("GET", "/api/v1/completeness", "query",
            "Readings expected and received per meter and day / 数据完整率",
            {Repeated(Q("meter", "meters (default all) / 表计")), From(), To(), Format()}, "",
            kJson, 200, bind(&Api::Completeness)));
  routes.push_back(route(
      "GET", "/api/v1/completeness/summary", "query",
      "Completeness summed by meter, enterprise or day (default: the 7 days up to the latest day "
      "with readings) / 数据完整率汇总",
      {OneOf(Q("by", "grouping (default meter) / 分组"), {"meter", "enterprise", "day"}),
       Repeated(Q("enterprise", "enterprises / 企业")), Repeated(Q("zone", "zones / 网格")),
       Q("carrier", "carrier / 能源品种"), From(), To()},
      "", kJson, 200, bind(&Api::CompletenessSummary)));
  routes.push_back(
      route("GET", "/api/v1/corrections", "query",
            "Corrections (changed readings) of one meter with provenance / 数据更正记录",
            {Required(Q("meter", "meter code / 表计")), From(), To()}, "", kJson, 200,
            bind(&Api::Corrections)));

  // Accounting.
  const std::vector<ParamSpec> report_params = {
      OneOf(Q("by", "grouping (default enterprise) / 分组"),
            {"enterprise", "industry", "zone", "carrier", "park"}),
      OneOf(Q("period", "month or year (default year) / 周期"), {"month", "year"}),
      Q("year", "calendar year, e.g. 2025 (default: the latest year with readings) / 年份"),
      Q("from", "first month (2025-01) or year / 起始月"),
      Q("to", "last month, inclusive (2025-06) / 截止月(含)"),
      Repeated(Q("enterprise", "only these enterprises / 企业")),
      Repeated(Q("zone", "only these zones / 网格")),
      Q("industry", "industry code prefix, e.g. C36 / 行业代码前缀"),
      OneOf(Q("format", "json (default), csv or xlsx / 输出格式"), {"json", "csv", "xlsx"}),
      Q("bom", "CSV starts with a UTF-8 byte-order mark (for Excel)", "boolean"),
  };
  routes.push_back(route("GET", "/api/v1/energy", "accounting",
                         "Comprehensive energy consumption (tce, equivalent and coal-equivalent "
                         "value), shares, intensity, year on year / 综合能耗",
                         report_params, "", kJson, 200, bind(&Api::EnergyReport)));
  routes.push_back(route("GET", "/api/v1/carbon", "accounting",
                         "CO2 emissions: Scope 1 fuel and process, Scope 2 location- and "
                         "market-based, tCO2/tce, tCO2 per added value / 碳排放",
                         report_params, "", kJson, 200, bind(&Api::CarbonReport)));
  const std::vector<ParamSpec> derivation_params = {
      Required(Q("entity", "enterprise code, PARK (own use and losses) or park (total) / 对象")),
      Q("year", "calendar year / 年份"),
      Q("from", "first month or year / 起始月"),
      Q("to", "last month, inclusive / 截止月(含)"),
      Q("carrier", "only this carrier / 能源品种"),
      OneOf(Q("format", "json (default) or text / 输出格式"), {"json", "text"}),
  };
  for (std::string path : {"/api/v1/energy/derivation", "/api/v1/carbon/derivation"}) {
    routes.push_back(route("GET", path, "accounting",
                           "How a figure was computed: meters and rollups, factor rows with their "
                           "sources, result / 数值推导(读数→汇总→因子→结果)",
                           derivation_params, "", kJson, 200, bind(&Api::Derivation)));
  }
  routes.push_back(route("GET", "/api/v1/carbon/core", "accounting",
                         "The park's core indicator tCO2/tce and clean-energy share against the "
                         "national zero-carbon park targets / 零碳园区核心指标",
                         {Q("year", "calendar year / 年份")}, "", kJson, 200,
                         bind(&Api::CoreIndicator)));
  routes.push_back(route(
      "GET", "/api/v1/green/matching", "accounting",
      "Hourly green-power matching of the registry's generation (same site first, then the park "
      "pool): consumption, matched and residual kWh, hourly (24/7) and annual shares per "
      "enterprise and for the park / 绿电逐时匹配",
      {Required(Q("from", "first day, inclusive (2025-01-01) / 开始日期(含)")),
       Required(Q("to", "end day, exclusive; at most 366 days after from / 结束日期(不含)")),
       Repeated(Q("enterprise", "only these enterprises / 企业")),
       Q("hours", "also the hours (one enterprise, or the park when none is named) / 逐时明细",
         "boolean")},
      "", kJson, 200, bind(&Api::GreenMatching)));
  routes.push_back(route(
      "GET", "/api/v1/green/supply", "green",
      "The supply registry: generation assets (PV, wind, geothermal heat, storage) and contracts "
      "(same site, direct supply, green trading with volumes and profiles, park pool, GEC); "
      "stored=false: the registry's default / 绿电供给登记(资产与合同)",
      {}, "", kJson, 200, bind(&Api::GetGreenSupply)));
  routes.push_back(route("PUT", "/api/v1/green/supply", "green",
                         "Replace the supply registry (JSON as GET returns it); validated against "
                         "the registry, errors name the asset or contract / 修改绿电供给登记",
                         {}, kJson, kJson, 200, bind(&Api::PutGreenSupply)));
  routes.push_back(route(
      "POST", "/api/v1/green/settlements", "green",
      "Settle an ended month {\"month\":\"2025-06\"}: issue hourly certificates from metered "
      "generation, allocate them hour by hour, transfer, allocate and claim them for each "
      "enterprise in the hash-chained ledger; 409 when already settled, 400 when the month has "
      "not ended / 月度绿电结算(签发、分配、声明注销)",
      {}, kJson, kJson, 200, bind(&Api::SettleGreen)));
  routes.push_back(route("GET", "/api/v1/green/settlements", "green",
                         "Settled months: issued and claimed Wh, ledger seqs, when and by whom / "
                         "已结算月份",
                         {}, "", kJson, 200, bind(&Api::GreenSettlements)));
  routes.push_back(route(
      "GET", "/api/v1/green/certificates", "green",
      "Granular certificates (Wh ranges of one device and production hour) with status, holder, "
      "consumer and the ledger seq that last changed them; totals and Wh by status / 绿证明细",
      {Repeated(Q("enterprise",
                  "bundles this enterprise holds or consumes (several allowed) / 持有或消费企业")),
       Q("device", "only this device (asset code) / 发电设备"),
       OneOf(Q("status", "only this status / 状态"),
             {"active", "transferred", "allocated", "claimed", "expired", "withdrawn"}),
       Q("from", "production hour from, inclusive (date or ISO 8601) / 生产时段起(含)"),
       Q("to", "production hour to, exclusive / 生产时段止(不含)"),
       Q("limit", "at most this many (default 100, at most 10000) / 条数", "integer"), Offset()},
      "", kJson, 200, bind(&Api::GreenCertificates)));
  routes.push_back(route(
      "GET", "/api/v1/green/statements", "green",
      "Green electricity statement of one enterprise over months: claimed certificates by hour "
      "and source with their ledger seqs and consumption certificates, monthly figures with GEC "
      "reconciliation, hourly and annual shares, products' embedded emissions (CBAM) and the "
      "electricity factors / 企业绿电消费声明",
      {Q("enterprise", "enterprise code; required unless your scope holds one enterprise / 企业"),
       Q("from", "first month YYYY-MM (default January of `to`) / 起始月"),
       Q("to", "last month YYYY-MM, inclusive (default the latest settled month) / 截止月(含)")},
      "", kJson, 200, bind(&Api::GreenStatementReport)));
  routes.push_back(route("GET", "/api/v1/today", "accounting",
                         "The park today (or its latest day with readings): hourly electricity "
                         "load, energy and carbon of the day, carriers, top consumers, "
                         "completeness so far / 园区今日概况",
                         {Q("date", "local date, default today / 日期")}, "", kJson, 200,
                         bind(&Api::Today)));
  routes.push_back(route("GET", "/api/v1/accounting/settings", "accounting",
                         "Grid factor scope, fuel parameter datasets, fuel of each carrier / "
                         "核算设置",
                         {}, "", kJson, 200, bind(&Api::GetAccountingSettings)));
  routes.push_back(route("PUT", "/api/v1/accounting/settings", "accounting",
                         "Change accounting settings (fields given) / 修改核算设置", {}, kJson,
                         kJson, 200, bind(&Api::PutAccountingSettings)));
  routes.push_back(route(
      "GET", "/api/v1/refdata", "refdata",
      "Reference factor rows in force (built-in and park rows) with sources / "
      "参考因子",
      {OneOf(Q("table", "only this table / 表"), {"tce", "grid_ef", "fuel", "heat"}), Format()}, "",
      kJson, 200, bind(&Api::ListRefData)));
  routes.push_back(route("POST", "/api/v1/refdata", "refdata",
                         "Add or replace park rows (CSV, same columns as data/*.csv); validated "
                         "before stored / 导入园区因子",
                         {}, kCsv, kJson, 200, bind(&Api::ImportRefData)));
  routes.push_back(route("DELETE", "/api/v1/refdata/{id}", "refdata",
                         "Delete a park row / 删除园区因子", {PathParam("id", "row id / 行标识")},
                         "", "", 204, bind(&Api::DeleteRefData)));
  routes.push_back(route("GET", "/api/v1/refdata/provinces", "refdata",
                         "Provinces and their regional grids / 省份与区域电网", {}, "", kJson, 200,
                         bind(&Api::Provinces)));
  routes.push_back(route(
      "GET", "/api/v1/economic", "economic",
      "Enterprise data (added value, output, tax, employees, R&D, revenue, "
      "product output, process CO2, direct green power); current or history / "
      "企业经济数据",
      {Q("enterprise", "only this enterprise / 企业"), Q("indicator", "only this indicator / 指标"),
       Q("history", "every version, with deletions / 历史版本", "boolean"), Format()},
      "", kJson, 200, bind(&Api::ListEnterpriseData)));
  routes.push_back(route("POST", "/api/v1/economic", "economic",
                         "Enter enterprise data: JSON array or CSV; all or nothing, errors name "
                         "the row / 录入企业数据",
                         {}, kJson, kJson, 200, bind(&Api::PutEnterpriseData)));
  routes.push_back(route(
      "DELETE", "/api/v1/economic", "economic",
      "Delete the current value of one key (kept in history) / 删除企业数据",
      {Required(Q("enterprise", "enterprise / 企业")), Required(Q("indicator", "indicator / 指标")),
       Required(Q("period", "2025 or 2025-03 / 期间")),
       Q("item", "product or contract / 产品或合同")},
      "", "", 204, bind(&Api::DeleteEnterpriseData)));

  // Environmental monitoring (HJ 212).
  const std::string env_tag = "environment";
  const ParamSpec alarm_id = PathParam("id", "alarm id / 报警编号");
  routes.push_back(route(
      "GET", "/api/v1/env/sources", env_tag,
      "Pollution sources (stacks, outfalls) with their loggers' MN, pollutants, fuel, reference "
      "O2 and limit overrides, never the passwords; the enterprise's name and zone / 污染源登记",
      {}, "", kJson, 200, bind(&Api::GetEnvSources)));
  routes.push_back(route(
      "PUT", "/api/v1/env/sources", env_tag,
      "Replace the source registry ({\"sources\":[...]}; a source without password or "
      "password_sha256 keeps its stored one); validated against the registry, errors name the "
      "source and field / 修改污染源登记",
      {}, kJson, kJson, 200, bind(&Api::PutEnvSources)));
  routes.push_back(route(
      "GET", "/api/v1/env/live", env_tag,
      "Live view: each source's state (normal, exceeded, fault, offline, no_data), latest value "
      "of each pollutant against its limit, active alarms, and the HJ 212 listener's counters / "
      "实时监测",
      {}, "", kJson, 200, bind(&Api::EnvLive)));
  routes.push_back(
      route("GET", "/api/v1/env/alarms", env_tag,
            "Alarms (exceedance, data loss, device fault), newest first; next_before_id pages on / "
            "报警列表",
            {OneOf(Q("state", "only this state; active = open or acknowledged / 状态"),
                   {"open", "acknowledged", "closed", "active"}),
             OneOf(Q("kind", "only this kind / 类型"), {"exceedance", "data_loss", "device_fault"}),
             Q("enterprise", "only this enterprise / 企业"), Q("source", "only this source / 排口"),
             Q("pollutant", "only this pollutant (HJ 212 code, e.g. a21026) / 污染物"),
             Q("from", "still active or last seen at or after this time / 起始时间"),
             Q("to", "opened before this time / 截止时间"),
             Q("before_id", "only alarms with a smaller id (paging) / 翻页", "integer"),
             Q("limit", "at most this many (default 100, at most 1000) / 条数", "integer")},
            "", kJson, 200, bind(&Api::EnvAlarms)));
  routes.push_back(route(
      "GET", "/api/v1/env/alarms/stream", env_tag,
      "Server-Sent Events: \"event: alarm\" with the alarm's JSON on every change within your "
      "scope, \"event: reload\" when changes were missed, a keep-alive comment every 15 s; "
      "ends after 5 minutes (EventSource reconnects) / 报警实时推送",
      {}, "", "text/event-stream", 200, bind(&Api::EnvAlarmStream)));
  routes.push_back(route("POST", "/api/v1/env/alarms/{id}/acknowledge", env_tag,
                         "Acknowledge an open alarm (the officer of its zone, or admin); 409 when "
                         "it is not open / 确认报警",
                         {alarm_id}, "", kJson, 200, bind(&Api::AcknowledgeEnvAlarm)));
  routes.push_back(route("POST", "/api/v1/env/alarms/{id}/close", env_tag,
                         "Close an alarm with {\"note\"} (required); 409 when already closed / "
                         "关闭报警(需填写处理说明)",
                         {alarm_id}, kJson, kJson, 200, bind(&Api::CloseEnvAlarm)));
  routes.push_back(route(
      "GET", "/api/v1/env/history", env_tag,
      "History of one source and pollutant: evaluated hours (averages, O2-corrected, load kg, "
      "validity, exceedance) and the minute or real-time points; default the last 24 h, at most "
      "31 days / 历史数据",
      {Required(Q("source", "source code / 排口")),
       Required(Q("pollutant", "HJ 212 pollutant code, e.g. a21026 / 污染物")), From(), To()},
      "", kJson, 200, bind(&Api::EnvHistory)));

  // Accounts.
  const std::string accounts_tag = "accounts";
  const ParamSpec id_param = PathParam("id", "numeric id / 编号");
  routes.push_back(route("POST", "/api/v1/login", accounts_tag,
                         "Log in with {username, password}: a session cookie (HttpOnly, "
                         "SameSite=Strict) and the CSRF token for unsafe requests / 登录",
                         {}, kJson, kJson, 200, bind(&Api::Login)));
  routes.push_back(route("POST", "/api/v1/logout", accounts_tag, "End this session / 退出登录", {},
                         "", kJson, 200, bind(&Api::Logout)));
  routes.push_back(route("POST", "/api/v1/setup", accounts_tag,
                         "First start: create the administrator with the one-time setup token "
                         "printed by zeropark serve / 首次启动创建管理员",
                         {}, kJson, kJson, 201, bind(&Api::Setup)));
  routes.push_back(route("GET", "/api/v1/me", accounts_tag,
                         "Who am I: account, role and scope / 当前账号", {}, "", kJson, 200,
                         bind(&Api::Me)));
  routes.push_back(route("GET", "/api/v1/me/tokens", accounts_tag, "My API tokens / 我的令牌", {},
                         "", kJson, 200, bind(&Api::ListMyTokens)));
  routes.push_back(route("POST", "/api/v1/me/tokens", accounts_tag,
                         "Create an API token {name, expires_days}; shown once / 创建令牌", {},
                         kJson, kJson, 201, bind(&Api::IssueMyToken)));
  routes.push_back(route("DELETE", "/api/v1/me/tokens/{id}", accounts_tag,
                         "Revoke one of my tokens / 撤销令牌", {id_param}, "", "", 204,
                         bind(&Api::RevokeMyToken)));
  routes.push_back(route("GET", "/api/v1/users", accounts_tag, "Accounts / 账号列表", {}, "", kJson,
                         200, bind(&Api::ListUsers)));
  routes.push_back(route("POST", "/api/v1/users", accounts_tag,
                         "Create an account {username, password, role, enterprise_code, zones} / "
                         "新建账号",
                         {}, kJson, kJson, 201, bind(&Api::CreateUser)));
  routes.push_back(route("PUT", "/api/v1/users/{id}", accounts_tag,
                         "Change an account (fields given; password resets it) / 修改账号",
                         {id_param}, kJson, kJson, 200, bind(&Api::UpdateUser)));
  routes.push_back(route("POST", "/api/v1/users/{id}/tokens", accounts_tag,
                         "Issue an API token, or a device token bound to {meters}; shown once / "
                         "签发令牌",
                         {id_param}, kJson, kJson, 201, bind(&Api::IssueUserToken)));
  routes.push_back(route("GET", "/api/v1/credentials", accounts_tag,
                         "Sessions and tokens (never their secrets) / 会话与令牌",
                         {Q("user", "only this user id / 账号", "integer")}, "", kJson, 200,
                         bind(&Api::ListAllCredentials)));
  routes.push_back(route("DELETE", "/api/v1/credentials/{id}", accounts_tag,
                         "Revoke a session or token / 撤销", {id_param}, "", "", 204,
                         bind(&Api::RevokeCredential)));
  routes.push_back(
      route("GET", "/api/v1/audit", accounts_tag,
            "The append-only audit log: who, when, what, before and after / 审计日志",
            {Q("from_seq", "first entry / 起始序号", "integer"),
             Q("limit", "at most this many (default 1000) / 条数", "integer"),
             Q("actor", "only this account / 账号"), Q("target", "target path prefix / 对象前缀")},
            "", kJson, 200, bind(&Api::AuditLog)));
  routes.push_back(
      route("GET", "/api/v1/ledger", accounts_tag,
            "The hash-chained green-power ledger: records (hash included), head_hash, count; "
            "verify=1 also checks the whole chain / 绿电证书哈希链账本",
            {Q("from_seq", "first record (default 1) / 起始序号", "integer"),
             Q("limit", "at most this many (default 1000) / 条数", "integer"),
             Q("verify", "1: verify the whole stored chain / 校验整条链", "integer")},
            "", kJson, 200, bind(&Api::LedgerRecords)));

  // Audit states of writes: the JSON of what a request changes, before and after.
  auto state_of = [this](std::string get_path) {
    return [this, get_path](const HttpRequest& r) -> std::string {
      HttpRequest get;
      get.method = "GET";
      get.path = r.path;
      get.path_params = r.path_params;
      const Route* target = nullptr;
      for (const Route& x : router_.routes()) {
        if (x.method == "GET" && x.path == get_path) target = &x;
      }
      if (target == nullptr) return {};
      HttpResponse resp = target->handler(get);
      return resp.status == 200 ? resp.body : std::string();
    };
  };
  for (Route& r : routes) {
    if (r.method == "PUT" || r.method == "DELETE") {
      for (std::string_view p : {"/api/v1/zones/{code}", "/api/v1/enterprises/{code}",
                                 "/api/v1/meters/{code}", "/api/v1/mappings/{name}"}) {
        if (r.path == p) r.audit_state = state_of(std::string(p));
      }
    }
    if (r.path == "/api/v1/park" && r.method == "PUT") r.audit_state = state_of("/api/v1/park");
    if (r.path == "/api/v1/green/supply" && r.method == "PUT") {
      r.audit_state = state_of("/api/v1/green/supply");
    }
    if (r.path == "/api/v1/env/sources" && r.method == "PUT") {
      r.audit_state = state_of("/api/v1/env/sources");
    }
    if (r.path.starts_with("/api/v1/env/alarms/{id}/") && r.method == "POST") {
      r.audit_state = [this](const HttpRequest& q) { return EnvAlarmState(q); };
    }
    if (r.path == "/api/v1/accounting/settings" && r.method == "PUT") {
      r.audit_state = state_of("/api/v1/accounting/settings");
    }
    if (r.path == "/api/v1/meters/{code}/replacements" && r.method == "POST") {
      r.audit_state = state_of("/api/v1/meters/{code}/replacements");
    }
    if (r.method == "POST" &&
        (r.path == "/write" || r.path == "/api/v2/write" || r.path == "/api/v1/readings")) {
      r.audit_failures_only = true;
    }
    if (r.method == "POST" &&
        (r.path == "/api/v1/login" || r.path == "/api/v1/setup" || r.path == "/api/v1/me/tokens" ||
         r.path == "/api/v1/users/{id}/tokens")) {
      r.audit_redact = true;
    }
    if (r.method == "PUT" && r.path == "/api/v1/users/{id}") {
      r.audit_state = [this](const HttpRequest& q) -> std::string {
        Result<int64_t> id = PathId(q);
        if (!id.ok()) return {};
        Result<auth::User> u = auth_.GetUser(*id);
        if (!u.ok()) return {};
        return nlohmann::json{{"username", u->username},
                              {"display_name", u->display_name},
                              {"role", auth::RoleName(u->role)},
                              {"enterprise_code", u->enterprise_code},
                              {"zones", u->zones},
                              {"disabled", u->disabled}}
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      };
    }
    if (r.path.starts_with("/api/v1/refdata") && r.method != "GET") {
      r.audit_state = [this](const HttpRequest&) -> std::string {
        Result<std::string> csv = accounting_.ParkRowsCsv();
        return csv.ok() ? nlohmann::json(*csv).dump() : std::string();
      };
    }
  }
  ApplyAccessRules(&routes);
  return routes;
}

}  // namespace zp::server
