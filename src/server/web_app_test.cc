// The dashboard's files under /app/, through a real server on loopback.
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "zp/engine/engine.h"
#include "zp/engine/testing.h"
#include "zp/server/server.h"

namespace zp::server {
namespace {

namespace fs = std::filesystem;

void WriteFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

class WebAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "zp-webapp-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    Result<std::unique_ptr<engine::Engine>> engine = engine::OpenTestEngine("memory:");
    ASSERT_TRUE(engine.ok()) << engine.error().ToString();
    engine_ = std::move(*engine);
  }
  void TearDown() override {
    client_.reset();
    if (server_) server_->Stop();
    server_.reset();
    fs::remove_all(dir_);
  }

  void Start(std::string web_dir) {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.web_dir = std::move(web_dir);
    Result<std::unique_ptr<Server>> server = Server::Start(*engine_, options);
    ASSERT_TRUE(server.ok()) << server.error().ToString();
    server_ = std::move(*server);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  httplib::Result Get(const std::string& path) { return client_->Get(path); }

  fs::path dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

constexpr std::string_view kIndex =
    "<!doctype html><html><head><script type=\"module\" src=\"/app/assets/index-a1.js\"></script>"
    "</head><body><div id=\"app\"></div></body></html>";

TEST_F(WebAppTest, ServesIndexAssetsAndAppRoutes) {
  WriteFile(dir_ / "index.html", std::string(kIndex));
  WriteFile(dir_ / "assets/index-a1.js", "console.log('zeropark')");
  WriteFile(dir_ / "assets/index-b2.css", "body{margin:0}");
  WriteFile(dir_ / "favicon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  Start(dir_.string());

  for (const char* path : {"/app/", "/app/overview", "/app/enterprises/91210113MA0XXXXX01"}) {
    auto r = Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->body, kIndex) << path;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache") << path;
    EXPECT_NE(r->get_header_value("Content-Security-Policy").find("script-src 'self'"),
              std::string::npos)
        << path;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(r->get_header_value("Referrer-Policy"), "same-origin") << path;
  }
  auto js = Get("/app/assets/index-a1.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->body, "console.log('zeropark')");
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(js->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(js->has_header("Content-Security-Policy"));
  auto css = Get("/app/assets/index-b2.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->get_header_value("Content-Type"), "text/css; charset=utf-8");
  auto svg = Get("/app/favicon.svg");
  ASSERT_TRUE(svg);
  EXPECT_EQ(svg->get_header_value("Content-Type"), "image/svg+xml");
  EXPECT_EQ(svg->get_header_value("Cache-Control"), "no-cache");

  // A missing asset is a 404, never index.html (a stale page must not run HTML as script).
  auto missing = Get("/app/assets/index-old.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("no such file"), std::string::npos);
  // No way out of the folder.
  auto escape = Get("/app/assets/../../web_app_test.cc");
  ASSERT_TRUE(escape);
  EXPECT_NE(escape->body, "console.log('zeropark')");
  EXPECT_TRUE(escape->status == 404 || escape->body == kIndex) << escape->status;

  auto bare = Get("/app");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 301);
  EXPECT_EQ(bare->get_header_value("Location"), "/app/");

  // The API is untouched: the landing page, and no /app route in the OpenAPI document.
  auto landing = Get("/");
  ASSERT_TRUE(landing);
  EXPECT_EQ(landing->status, 200);
  EXPECT_NE(landing->body, kIndex);
  auto openapi = Get("/api/v1/openapi.json");
  ASSERT_TRUE(openapi);
  EXPECT_EQ(openapi->status, 200);
  EXPECT_EQ(openapi->body.find("\"/app"), std::string::npos);
  // Writes to /app go to the API router, which has no such route.
  auto post = client_->Post("/app/overview", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 404);
}

TEST_F(WebAppTest, BrowsersGetGzipNotBrotli) {
  // Brotli at httplib's quality 11 takes seconds for a large bundle; gzip is offered instead.
  std::string big;
  for (int i = 0; i < 20000; ++i)
    big += "export const x" + std::to_string(i) + " = " + std::to_string(i) + ";\n";
  WriteFile(dir_ / "index.html", std::string(kIndex));
  WriteFile(dir_ / "assets/index-a1.js", big);
  Start(dir_.string());
  httplib::Headers headers = {{"Accept-Encoding", "gzip, deflate, br, zstd"}};
  auto r = client_->Get("/app/assets/index-a1.js", headers);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(r->body, big);  // the client inflates it
  httplib::Headers br_only = {{"Accept-Encoding", "br"}};
  auto plain = client_->Get("/api/v1/carriers", br_only);
  ASSERT_TRUE(plain);
  EXPECT_NE(plain->get_header_value("Content-Encoding"), "br");
}

TEST_F(WebAppTest, NotBuiltSaysHowToBuildInBothLanguages) {
  Start((dir_ / "dist-missing").string());
  auto r = Get("/app/overview");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("scripts/web.sh"), std::string::npos);
  EXPECT_NE(r->body.find("看板尚未构建"), std::string::npos);
  EXPECT_NE(r->body.find("The dashboard is not built"), std::string::npos);
  auto asset = Get("/app/assets/index-a1.js");
  ASSERT_TRUE(asset);
  EXPECT_EQ(asset->status, 503);
}

TEST_F(WebAppTest, NoWebDirConfiguredIsNotBuilt) {
  Start("");
  auto r = Get("/app/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
}

TEST_F(WebAppTest, RebuildWhileServingIsPickedUp) {
  WriteFile(dir_ / "index.html", std::string(kIndex));
  WriteFile(dir_ / "assets/index-a1.js", "old");
  Start(dir_.string());
  auto before = Get("/app/assets/index-a1.js");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->body, "old");
  auto absent = Get("/app/assets/index-c3.js");
  ASSERT_TRUE(absent);
  EXPECT_EQ(absent->status, 404);

  // vite build replaces the folder: new hashed asset, new index.html (a newer mtime).
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  fs::remove(dir_ / "assets/index-a1.js");
  WriteFile(dir_ / "assets/index-c3.js", "new");
  WriteFile(dir_ / "index.html", "<!doctype html><p>rebuilt</p>");
  fs::last_write_time(dir_ / "index.html",
                      fs::last_write_time(dir_ / "index.html") + std::chrono::seconds(2));
  auto index = Get("/app/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->body, "<!doctype html><p>rebuilt</p>");
  auto fresh = Get("/app/assets/index-c3.js");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200);
  EXPECT_EQ(fresh->body, "new");
  auto gone = Get("/app/assets/index-a1.js");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
}

}  // namespace
}  // namespace zp::server
