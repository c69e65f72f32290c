#pragma once

// The dashboard / 网页看板: the files vite builds into web/dist, served under /app/ straight from
// memory. Kept out of the API router (and so out of the OpenAPI document): the server asks
// WebApp first for GET/HEAD requests under /app.
//
//   /app                  -> 301 /app/
//   /app/assets/NAME      -> the file; hashed names, so "immutable" for a year; 404 when absent
//   /app/FILE             -> a file of dist/ (favicon ...), no-cache
//   /app/anything/else    -> index.html (the app's own router reads the path), no-cache
//
// Every answer carries nosniff, a same-origin referrer policy, no framing and, for HTML, a
// Content-Security-Policy that allows only the server's own scripts and connections. When dist/
// has no index.html, /app/ answers 503 with a bilingual page that says how to build it.
// The files are read at start and again when index.html changes on disk (checked at most once a
// second), so rebuilding web/ while the server runs is picked up. Thread-safe.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "http.h"

namespace zp::server {

class WebApp {
 public:
  // `dir` is the built dist/ folder; empty = no dashboard configured.
  explicit WebApp(std::string dir);

  // True for paths WebApp answers (/app and below).
  static bool Owns(std::string_view path);
  // The answer for GET/HEAD of `path` (Owns(path) must hold).
  HttpResponse Serve(std::string_view path);

  // Files loaded (for the start-up log line); 0 when the dashboard is not built.
  size_t file_count();

 private:
  struct File {
    std::string content_type;
    std::string body;
  };
  void ReloadIfChanged();  // mu_ held

  const std::string dir_;
  std::mutex mu_;
  std::map<std::string, File, std::less<>> files_;  // "index.html", "assets/index-abc.js"
  std::optional<int64_t> index_mtime_ns_;
  std::chrono::steady_clock::time_point checked_{};
  bool loaded_once_ = false;
};

}  // namespace zp::server
