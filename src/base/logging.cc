#include "zp/base/logging.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "zp/base/time.h"

namespace zp {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mu;
}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

void LogLine(LogLevel level, std::string_view message) {
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string ts = FormatTimestamp(now, TimeZone());
  std::lock_guard<std::mutex> lock(g_mu);
  std::fprintf(stderr, "%s %s %.*s\n", ts.c_str(), kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
}

}  // namespace zp
