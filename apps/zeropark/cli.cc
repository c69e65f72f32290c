#include "cli.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "zp/base/strings.h"
#include "zp/store/store.h"

namespace zp::cli {
namespace {

// Display width of UTF-8 text: East Asian wide characters take two columns.
size_t DisplayWidth(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    size_t n = 1;
    if (c >= 0xF0 && i + 3 < s.size()) {
      n = 4;
      cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) |
           (s[i + 3] & 0x3Fu);
    } else if (c >= 0xE0 && i + 2 < s.size()) {
      n = 3;
      cp = ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
    } else if (c >= 0xC0 && i + 1 < s.size()) {
      n = 2;
      cp = ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
    }
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
    width += wide ? 2 : 1;
    i += n;
  }
  return width;
}

}  // namespace

Result<std::unique_ptr<engine::Engine>> OpenEngine(const std::string& db, bool background) {
  Result<std::unique_ptr<store::Store>> store = store::OpenStore(db);
  if (!store.ok()) return store.error().WithContext(fmt::format("opening {}", db));
  engine::EngineOptions options;
  options.background = background;
  Result<std::unique_ptr<engine::Engine>> engine = engine::Engine::Open(std::move(*store), options);
  if (!engine.ok()) return engine.error().WithContext(fmt::format("opening {}", db));
  return engine;
}

Result<std::unique_ptr<engine::Engine>> OpenExistingEngine(const std::string& db) {
  if (!db.starts_with("memory:")) {
    const std::string path = db.starts_with("sqlite:") ? db.substr(7) : db;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return NotFoundError(fmt::format("no database at {} / 数据库不存在", path));
    }
  }
  return OpenEngine(db, false);
}

void AddDbOption(CLI::App* app, std::string* db, const char* default_db) {
  *db = default_db;
  app->add_option("--db", *db, "database file / 数据库文件")->capture_default_str();
}

namespace {
std::string& CommandLine() {
  static std::string line;
  return line;
}
}  // namespace

void SetCommandLine(int argc, char** argv) {
  std::string line = "zeropark";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    line += ' ';
    line += arg.find(' ') == std::string_view::npos ? std::string(arg) : CsvField(arg);
  }
  CommandLine() = std::move(line);
}

Status AuditCli(engine::Engine& engine, std::string_view target, std::string before,
                std::string after) {
  store::AuditRow row;
  row.ts_s = static_cast<int64_t>(std::time(nullptr));
  const char* user = std::getenv("USER");
  row.actor =
      fmt::format("cli:{}", user != nullptr && *user != '\0' ? user : std::to_string(getuid()));
  row.role = "cli";
  row.action = CommandLine().empty() ? std::string("zeropark") : CommandLine();
  row.target = std::string(target);
  row.before_json = std::move(before);
  row.after_json = std::move(after);
  row.remote = "cli";
  Result<int64_t> seq = engine.store().AppendAudit(row);
  if (!seq.ok()) {
    fmt::print(stderr, "warning: audit log append failed: {}\n", seq.error().message());
    return seq.error();
  }
  return Status::OK();
}

int Fail(const Status& status) {
  fmt::print(stderr, "error: {}\n", status.message());
  return 1;
}

int Fail(std::string_view message) {
  fmt::print(stderr, "error: {}\n", message);
  return 1;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(fmt::format("cannot open {} / 无法打开", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return NotFoundError(fmt::format("cannot read {} / 无法读取", path));
  return text.str();
}

int WriteOutput(const std::string& path, std::string_view text) {
  if (path.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) return Fail(fmt::format("cannot write {} / 无法写入", path));
  fmt::print("wrote {} / 已写入\n", path);
  return 0;
}

std::string Num(double v) { return fmt::format("{}", v); }

bool StderrIsTerminal() { return isatty(STDERR_FILENO) != 0; }

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, bool csv) {
  std::string out;
  if (csv) {
    auto line = [&](const std::vector<std::string>& cells) {
      for (size_t i = 0; i < cells.size(); ++i) {
        if (i > 0) out += ',';
        out += CsvField(cells[i]);
      }
      out += '\n';
    };
    line(header);
    for (const auto& row : rows) line(row);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return;
  }
  std::vector<size_t> widths(header.size(), 0);
  for (size_t i = 0; i < header.size(); ++i) widths[i] = DisplayWidth(header[i]);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out.append(widths[i] - DisplayWidth(cells[i]) + 2, ' ');
    }
    out += '\n';
  };
  line(header);
  std::vector<std::string> rule;
  for (size_t w : widths) rule.emplace_back(w, '-');
  line(rule);
  for (const auto& row : rows) line(row);
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace zp::cli
