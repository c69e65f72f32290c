#include "landing_page.h"

#include <fmt/format.h>

#include <cctype>

namespace zp::server {
namespace {

constexpr const char* kHead = R"HTML(<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zeropark</title>
<style>
  body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif;
         margin: 0; color: #1d2733; background: #f5f7f9; }
  header { background: #0f5132; color: #fff; padding: 1.2rem 2rem; }
  header h1 { margin: 0; font-size: 1.6rem; }
  header p { margin: .3rem 0 0; opacity: .85; }
  main { max-width: 64rem; margin: 0 auto; padding: 1rem 2rem 3rem; }
  section { background: #fff; border-radius: 8px; padding: .8rem 1.4rem 1.2rem; margin: 1rem 0;
            box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  h2 { font-size: 1.15rem; border-bottom: 1px solid #e3e7eb; padding-bottom: .4rem; }
  .counts { display: flex; gap: 1rem; flex-wrap: wrap; }
  .count { flex: 1 1 10rem; background: #eef6f1; border-radius: 6px; padding: .6rem 1rem; }
  .count b { display: block; font-size: 1.8rem; color: #0f5132; }
  table { border-collapse: collapse; width: 100%; font-size: .92rem; }
  td, th { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eef0f2; vertical-align: top; }
  code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: .88rem; }
  pre { background: #f0f2f4; padding: .7rem; border-radius: 6px; overflow-x: auto; }
  .method { font-weight: bold; color: #0f5132; }
  a { color: #0b5ed7; text-decoration: none; }
  a:hover { text-decoration: underline; }
  .en { color: #56616c; }
  footer { text-align: center; color: #8a949e; font-size: .85rem; }
</style>
</head>
<body>
)HTML";

std::string Link(std::string_view href, std::string_view text) {
  return fmt::format(R"(<a href="{}">{}</a>)", HtmlEscape(href), HtmlEscape(text));
}

// Minimal percent-encoding of a query value.
std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

void Example(std::string* out, std::string_view zh, std::string_view en, const std::string& href) {
  *out += fmt::format(R"(<tr><td>{} <span class="en">/ {}</span></td><td>{}</td></tr>)", zh, en,
                      Link(href, href));
  *out += '\n';
}

}  // namespace

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderLandingPage(const LandingInfo& info) {
  std::string html = kHead;
  const std::string park_name = info.park.name.empty() ? "zeropark" : info.park.name;
  html += fmt::format(
      "<header><h1>{} · 零碳园区平台</h1><p>zeropark {} — 园区能源与碳数据平台 / energy and "
      "carbon data platform for industrial parks</p></header>\n<main>\n",
      HtmlEscape(park_name), HtmlEscape(info.version));
  html +=
      "<section><h2><a href=\"/app/\">打开看板 <span class=\"en\">/ Open the dashboard</span></a>"
      "</h2><p>园区总览、企业、能耗、碳排放、计量与数据质量、数据导入 <span class=\"en\">/ park "
      "overview, enterprises, energy, carbon, meters and data quality, "
      "import</span></p></section>\n";

  // Sign in: the session cookie then opens the JSON links below (GET needs no CSRF token).
  html += "<section><h2>登录 <span class=\"en\">/ Sign in</span></h2>\n";
  if (info.signed_in_as.empty()) {
    html +=
        "<form id=\"login\"><input name=\"u\" placeholder=\"账号 / user name\" "
        "autocomplete=\"username\"> <input name=\"p\" type=\"password\" "
        "placeholder=\"密码 / password\" autocomplete=\"current-password\"> <button>登录 / "
        "Sign in</button> <span id=\"msg\"></span></form>\n"
        "<p class=\"en\">The demo prints its accounts when it starts / 演示账号在启动时打印。 "
        "Scripts use <code>Authorization: Bearer &lt;token&gt;</code>.</p>\n"
        "<script>document.getElementById('login').addEventListener('submit',async e=>{"
        "e.preventDefault();const f=e.target;const r=await fetch('/api/v1/login',{method:'POST',"
        "headers:{'Content-Type':'application/json'},body:JSON.stringify({username:f.u.value,"
        "password:f.p.value})});if(r.ok){location.reload();}else{const j=await r.json();"
        "document.getElementById('msg').textContent=j.error?j.error.message:r.status;}});"
        "</script>\n";
  } else {
    html += fmt::format("<p>已登录 / Signed in as <b>{}</b> · {}</p>\n",
                        HtmlEscape(info.signed_in_as), Link("/api/v1/me", "/api/v1/me"));
  }
  html += "</section>\n";

  html += "<section><h2>园区 <span class=\"en\">/ Park</span></h2>\n<table>\n";
  html += fmt::format("<tr><th>名称 / Name</th><td>{}</td></tr>\n", HtmlEscape(info.park.name));
  html +=
      fmt::format("<tr><th>省份 / Province</th><td>{}</td></tr>\n", HtmlEscape(info.park.province));
  html += fmt::format("<tr><th>时区 / Time zone</th><td>{}</td></tr>\n",
                      HtmlEscape(info.park.time_zone));
  html += fmt::format("<tr><th>电网区域 / Grid region</th><td>{}</td></tr>\n",
                      HtmlEscape(info.park.grid_region));
  html += fmt::format("<tr><th>存储 / Storage</th><td>{}</td></tr>\n</table>\n",
                      HtmlEscape(info.backend));
  html += "<div class=\"counts\">\n";
  html += fmt::format(
      "<div class=\"count\"><b>{}</b>网格 <span class=\"en\">/ zones</span> · {}</div>\n",
      info.zones, Link("/api/v1/zones", "JSON"));
  html += fmt::format(
      "<div class=\"count\"><b>{}</b>企业 <span class=\"en\">/ enterprises</span> · {}</div>\n",
      info.enterprises, Link("/api/v1/enterprises", "JSON"));
  html += fmt::format(
      "<div class=\"count\"><b>{}</b>表计 <span class=\"en\">/ meters</span> · {}</div>\n",
      info.meters, Link("/api/v1/meters", "JSON"));
  html += "</div></section>\n";

  html += "<section><h2>示例查询 <span class=\"en\">/ Example queries</span></h2>\n<table>\n";
  if (!info.example_meter.empty() && !info.day_from.empty()) {
    const std::string m = UrlEncode(info.example_meter);
    Example(&html, fmt::format("表计 {} 一天的原始读数", HtmlEscape(info.example_meter)),
            "a meter's raw readings for one day",
            fmt::format("/api/v1/readings?meter={}&from={}&to={}", m, info.day_from, info.day_to));
    Example(&html, "同上, CSV", "the same as CSV",
            fmt::format("/api/v1/readings?meter={}&from={}&to={}&format=csv", m, info.day_from,
                        info.day_to));
    Example(&html, "表计逐时汇总", "the meter's hourly sums",
            fmt::format("/api/v1/sums?by=meter&period=hour&meter={}&from={}&to={}", m,
                        info.day_from, info.day_to));
    Example(&html, "表计当月数据完整率", "the meter's completeness for the month",
            fmt::format("/api/v1/completeness?meter={}&from={}&to={}", m, info.month_from,
                        info.month_to));
    Example(
        &html, "表计更正记录", "the meter's corrections",
        fmt::format("/api/v1/corrections?meter={}&from={}&to={}", m, info.year_from, info.year_to));
  }
  if (!info.year_from.empty()) {
    Example(&html, "园区逐月用能 (按能源品种)", "park monthly sums by carrier",
            fmt::format("/api/v1/sums?by=park&period=month&from={}&to={}", info.year_from,
                        info.year_to));
    Example(&html, "各网格逐日用电", "daily electricity by zone",
            fmt::format("/api/v1/sums?by=zone&period=day&carrier=electricity&from={}&to={}",
                        info.month_from, info.month_to));
    Example(&html, "各企业年度用能 (CSV)", "yearly sums by enterprise (CSV)",
            fmt::format("/api/v1/sums?by=enterprise&period=year&from={}&to={}&format=csv",
                        info.year_from, info.year_to));
  }
  if (!info.example_enterprise.empty() && !info.month_from.empty()) {
    Example(&html, "一家企业的逐日用能", "one enterprise's daily sums",
            fmt::format("/api/v1/sums?by=enterprise&period=day&enterprise={}&from={}&to={}",
                        UrlEncode(info.example_enterprise), info.month_from, info.month_to));
  }
  if (!info.example_zone.empty()) {
    Example(&html, "一个网格的企业", "enterprises of one zone",
            fmt::format("/api/v1/enterprises?zone={}", UrlEncode(info.example_zone)));
  }
  Example(&html, "能源品种与单位", "energy carriers and units", "/api/v1/carriers");
  Example(&html, "表计档案 (CSV)", "meter registry as CSV", "/api/v1/registry/meters.csv");
  html += "</table></section>\n";

  html +=
      "<section><h2>写入数据 <span class=\"en\">/ Sending data</span></h2>\n"
      "<p>InfluxDB 行协议 (Telegraf 可直接对接) <span class=\"en\">/ InfluxDB line protocol, "
      "Telegraf works as is</span>:</p>\n<pre>curl -i -XPOST 'http://HOST/write?precision=s' "
      "--data-binary 'energy,meter=E-001 kwh=12.5 1735660800'</pre>\n"
      "<p>JSON <span class=\"en\">(all or nothing / 全部或全不)</span>:</p>\n"
      "<pre>curl -XPOST http://HOST/api/v1/readings -d "
      "'{\"readings\":[{\"meter\":\"E-001\",\"ts\":\"2025-01-01T00:15:00+08:00\","
      "\"value\":12.5,\"unit\":\"kWh\"}]}'</pre>\n</section>\n";

  html += "<section><h2>全部接口 <span class=\"en\">/ All endpoints</span></h2>\n";
  html += fmt::format("<p>{} · {} · {}</p>\n", Link("/api/v1/openapi.json", "OpenAPI 3.0"),
                      Link("/metrics", "Prometheus /metrics"), Link("/health", "/health"));
  html += "<table>\n";
  if (info.routes != nullptr) {
    for (const Route& r : *info.routes) {
      bool linkable = r.method == "GET" && r.path.find('{') == std::string::npos;
      for (const ParamSpec& p : r.params) linkable = linkable && !p.required;
      html += fmt::format(
          "<tr><td class=\"method\">{}</td><td><code>{}</code></td><td>{}</td></tr>\n", r.method,
          linkable ? Link(r.path, r.path) : HtmlEscape(r.path), HtmlEscape(r.summary));
    }
  }
  html += "</table></section>\n</main>\n";
  html += fmt::format("<footer>zeropark {}</footer>\n</body>\n</html>\n", HtmlEscape(info.version));
  return html;
}

}  // namespace zp::server
