#include "web_app.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "zp/base/logging.h"

namespace zp::server {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPrefix = "/app";

std::string_view ContentTypeOf(std::string_view name) {
  const size_t dot = name.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<int64_t> MtimeNs(const fs::path& p) {
  std::error_code ec;
  const fs::file_time_type t = fs::last_write_time(p, ec);
  if (ec) return std::nullopt;
  return static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

void AddSecurityHeaders(HttpResponse* r, bool html) {
  r->headers.emplace_back("X-Content-Type-Options", "nosniff");
  r->headers.emplace_back("Referrer-Policy", "same-origin");
  r->headers.emplace_back("X-Frame-Options", "DENY");
  if (html) {
    // Vue sets styles through the CSSOM and ECharts draws on canvas: no inline script is needed.
    r->headers.emplace_back("Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self' "
                            "'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
                            "object-src 'none'; base-uri 'self'; form-action 'self'; "
                            "frame-ancestors 'none'");
  }
}

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-cache");
  AddSecurityHeaders(&r, false);
  return r;
}

}  // namespace

WebApp::WebApp(std::string dir) : dir_(std::move(dir)) {}

bool WebApp::Owns(std::string_view path) {
  return path == kPrefix || path.substr(0, kPrefix.size() + 1) == "/app/";
}

void WebApp::ReloadIfChanged() {
  if (dir_.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  if (loaded_once_ && now - checked_ < std::chrono::seconds(1)) return;
  checked_ = now;
  const fs::path root(dir_);
  const std::optional<int64_t> mtime = MtimeNs(root / "index.html");
  if (loaded_once_ && mtime == index_mtime_ns_) return;
  loaded_once_ = true;
  index_mtime_ns_ = mtime;
  std::map<std::string, File, std::less<>> files;
  std::error_code ec;
  size_t bytes = 0;
  if (mtime.has_value()) {
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::ifstream in(it->path(), std::ios::binary);
      std::ostringstream content;
      content << in.rdbuf();
      if (!in && !in.eof()) continue;
      std::string rel = it->path().lexically_relative(root).generic_string();
      File f{std::string(ContentTypeOf(rel)), std::move(content).str()};
      bytes += f.body.size();
      files.emplace(std::move(rel), std::move(f));
    }
  }
  if (ec) LogWarning("dashboard: reading {}: {}", dir_, ec.message());
  if (files.count("index.html") == 0) {
    LogWarning("dashboard: {} has no index.html; run scripts/web.sh / 看板未构建", dir_);
  } else {
    LogInfo("dashboard: {} files ({} KiB) from {}", files.size(), bytes / 1024, dir_);
  }
  files_ = std::move(files);
}

size_t WebApp::file_count() {
  std::lock_guard<std::mutex> lock(mu_);
  ReloadIfChanged();
  return files_.size();
}

HttpResponse WebApp::Serve(std::string_view path) {
  if (path == kPrefix) {
    HttpResponse r = Text(301, "/app/\n");
    r.headers.emplace_back("Location", "/app/");
    return r;
  }
  std::string_view rel = path.substr(kPrefix.size() + 1);  // after "/app/"
  std::lock_guard<std::mutex> lock(mu_);
  ReloadIfChanged();
  auto index = files_.find(std::string_view("index.html"));
  if (index == files_.end()) {
    HttpResponse r;
    r.status = 503;
    r.content_type = "text/html; charset=utf-8";
    r.body = fmt::format(
        "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>zeropark</title>"
        "<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">"
        "<h1>看板尚未构建 / The dashboard is not built</h1>"
        "<p>请运行 <code>scripts/web.sh</code>（或 <code>scripts/demo.sh</code>）后刷新本页。</p>"
        "<p>Run <code>scripts/web.sh</code> (or <code>scripts/demo.sh</code>) and reload this "
        "page.</p><p>Dashboard folder / 看板目录: <code>{}</code></p>"
        "<p><a href=\"/\">API / 接口首页</a></p></body></html>",
        dir_.empty() ? std::string("(none / 未配置)") : dir_);
    r.headers.emplace_back("Cache-Control", "no-cache");
    AddSecurityHeaders(&r, true);
    return r;
  }
  const bool asset = rel.substr(0, 7) == "assets/";
  auto it =
      rel.empty() || rel.find("..") != std::string_view::npos ? files_.end() : files_.find(rel);
  if (it == files_.end()) {
    if (asset) return Text(404, fmt::format("no such file / 文件不存在: {}\n", path));
    it = index;  // the app's own routes: /app/overview, /app/enterprises/CODE ...
  }
  HttpResponse r;
  r.status = 200;
  r.content_type = it->second.content_type;
  r.body = it->second.body;
  r.headers.emplace_back("Cache-Control",
                         asset ? "public, max-age=31536000, immutable" : "no-cache");
  AddSecurityHeaders(&r, it == index);
  return r;
}

}  // namespace zp::server
