// .xlsx export through libxlsxwriter. The library writes to a file path only (1.1.4 has no memory
// output), so the workbook goes to a private temporary file that is read back and unlinked.

#include <fmt/format.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <system_error>

#include "utf8.h"
#include "zp/report/table.h"

namespace zp::report {
namespace {

constexpr size_t kMaxRows = 1048576;
constexpr size_t kMaxColumns = 16384;
constexpr size_t kMaxSheetNameUnits = 31;  // UTF-16 code units, Excel's limit
constexpr int32_t kMaxDecimals = 15;
constexpr double kMinColumnWidth = 8;
constexpr double kMaxColumnWidth = 60;

std::string ErrnoText() { return std::generic_category().message(errno); }

// A 0600 file made by mkstemp in $TMPDIR (or /tmp), unlinked on destruction.
class TempFile {
 public:
  static Result<TempFile> Create() {
    const char* env = std::getenv("TMPDIR");
    std::string dir = env != nullptr && *env != '\0' ? env : "/tmp";
    std::string path = dir + "/zp-xlsx-XXXXXX";
    const int fd = mkstemp(path.data());
    if (fd < 0) {
      return InternalError(
          fmt::format("xlsx: creating a temporary file in {}: {}", dir, ErrnoText()));
    }
    close(fd);
    return TempFile(std::move(dir), std::move(path));
  }
  TempFile(TempFile&& other) noexcept : dir_(std::move(other.dir_)), path_(std::move(other.path_)) {
    other.path_.clear();
  }
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }

  std::string& dir() { return dir_; }
  const std::string& path() const { return path_; }

  Result<std::string> ReadAll() const {
    std::FILE* f = std::fopen(path_.c_str(), "rb");
    if (f == nullptr) {
      return InternalError(fmt::format("xlsx: opening {}: {}", path_, ErrnoText()));
    }
    std::string data;
    char buf[1 << 16];
    size_t got = 0;
    while ((got = std::fread(buf, 1, sizeof(buf), f)) > 0) data.append(buf, got);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) return InternalError(fmt::format("xlsx: reading {}", path_));
    return data;
  }

 private:
  TempFile(std::string dir, std::string path) : dir_(std::move(dir)), path_(std::move(path)) {}

  std::string dir_;
  std::string path_;
};

struct WorkbookFree {
  void operator()(lxw_workbook* wb) const { lxw_workbook_free(wb); }
};
using WorkbookPtr = std::unique_ptr<lxw_workbook, WorkbookFree>;

Status LxwStatus(lxw_error err, std::string_view what) {
  if (err == LXW_NO_ERROR) return Status::OK();
  std::string message = fmt::format("xlsx: {}: {}", what, lxw_strerror(err));
  if (err == LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED) return InvalidArgumentError(std::move(message));
  return InternalError(std::move(message));
}

const Cell& CellAt(const std::vector<Cell>& row, size_t i) {
  static const Cell kEmpty;
  return i < row.size() ? row[i] : kEmpty;
}

std::vector<std::string_view> Lines(std::string_view s) {
  std::vector<std::string_view> lines;
  while (true) {
    const size_t nl = s.find('\n');
    std::string_view line = s.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return lines;
}

// Excel number format of a numeric column: "#,##0" or "#,##0.00" for 2 decimals.
std::string NumberFormat(const Column& c) {
  const int32_t decimals =
      c.type == ColumnType::kInteger ? 0 : std::clamp(c.decimals, 0, kMaxDecimals);
  std::string f = "#,##0";
  if (decimals > 0) {
    f += '.';
    f.append(static_cast<size_t>(decimals), '0');
  }
  return f;
}

// Characters Excel shows for v in format "#,##0.<decimals>" (or General when decimals < 0).
int32_t NumberWidth(double v, int32_t decimals) {
  if (decimals < 0) return static_cast<int32_t>(fmt::formatted_size("{}", v));
  const std::string s = fmt::format("{:.{}f}", std::fabs(v), decimals);
  const size_t int_digits = std::min(s.find('.'), s.size());
  return static_cast<int32_t>(s.size() + (int_digits - 1) / 3) + (v < 0 ? 1 : 0);
}

std::string FoldAscii(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

// Longest prefix of valid UTF-8 `s` that fits in `units` UTF-16 code units.
std::string_view TruncateUtf16(std::string_view s, size_t units) {
  size_t i = 0;
  size_t used = 0;
  char32_t cp = 0;
  while (i < s.size()) {
    const size_t n = internal::DecodeUtf8(s, i, &cp);
    const size_t cost = cp >= 0x10000 ? 2 : 1;
    if (n == 0 || used + cost > units) break;
    used += cost;
    i += n;
  }
  return s.substr(0, i);
}

std::string_view TrimSheetName(std::string_view s) {
  const size_t b = s.find_first_not_of(" '");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" '") - b + 1);
}

// Sheet name of the index-th table: its English title (else Chinese), without the characters
// Excel forbids, at most 31 UTF-16 units, unique (case-insensitively) among `used`.
std::string SheetName(const Table& t, size_t index, std::vector<std::string>& used) {
  std::string base = internal::SanitizeUtf8(!t.title_en.empty() ? t.title_en : t.title_zh);
  for (char& ch : base) {
    if (std::string_view("[]:*?/\\").find(ch) != std::string_view::npos) {
      ch = '_';
    } else if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) {
      ch = ' ';
    }
  }
  base = std::string(TrimSheetName(base));
  if (base.empty()) base = fmt::format("Sheet{}", index + 1);
  std::string name(TrimSheetName(TruncateUtf16(base, kMaxSheetNameUnits)));
  for (int k = 2; std::find(used.begin(), used.end(), FoldAscii(name)) != used.end(); ++k) {
    const std::string suffix = fmt::format(" ({})", k);
    name = std::string(TrimSheetName(TruncateUtf16(base, kMaxSheetNameUnits - suffix.size())));
    name += suffix;
  }
  used.push_back(FoldAscii(name));
  return name;
}

std::string BilingualTitle(const Table& t) {
  if (t.title_zh.empty() || t.title_en.empty() || t.title_zh == t.title_en) {
    return t.title_zh.empty() ? t.title_en : t.title_zh;
  }
  return t.title_zh + " / " + t.title_en;
}

Status CheckLimits(const Table& t, size_t index) {
  if (t.columns.size() > kMaxColumns) {
    return InvalidArgumentError(fmt::format("xlsx: table {} has {} columns, Excel allows {}",
                                            index + 1, t.columns.size(), kMaxColumns));
  }
  size_t note_lines = 0;
  for (const auto& note : t.notes) note_lines += Lines(note).size();
  const size_t rows = 1 + t.rows.size() + (note_lines > 0 ? 1 + note_lines : 0);
  if (rows > kMaxRows) {
    return InvalidArgumentError(
        fmt::format("xlsx: table {} needs {} rows (header, data, notes), Excel allows {}",
                    index + 1, rows, kMaxRows));
  }
  return Status::OK();
}

class SheetWriter {
 public:
  SheetWriter(lxw_workbook* wb, lxw_format* header_format) : wb_(wb), header_(header_format) {}

  Status Write(const Table& t, const std::string& name) {
    lxw_worksheet* ws = workbook_add_worksheet(wb_, name.c_str());
    if (ws == nullptr) {
      return InternalError(fmt::format("xlsx: cannot add a sheet named '{}'", name));
    }
    const size_t n = t.columns.size();
    std::vector<lxw_format*> formats(n, nullptr);
    std::vector<int32_t> decimals(n, -1);  // -1: General format
    std::vector<double> widths(n, kMinColumnWidth);
    for (size_t c = 0; c < n; ++c) {
      const Column& col = t.columns[c];
      if (col.type != ColumnType::kText) {
        ZP_ASSIGN_OR_RETURN(formats[c], NumberFormatFor(col));
        decimals[c] =
            col.type == ColumnType::kInteger ? 0 : std::clamp(col.decimals, 0, kMaxDecimals);
      }
      const std::string header = internal::SanitizeUtf8(HeaderText(col, HeaderStyle::kBilingual));
      ZP_RETURN_IF_ERROR(LxwStatus(
          worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), header.c_str(), header_),
          fmt::format("sheet '{}' header of column '{}'", name, col.key)));
      // Bold text is about a tenth wider.
      widths[c] = std::max(widths[c], DisplayWidth(header) * 1.1 + 2);
    }

    for (size_t r = 0; r < t.rows.size(); ++r) {
      const auto row = static_cast<lxw_row_t>(r + 1);
      for (size_t c = 0; c < n; ++c) {
        const Cell& cell = CellAt(t.rows[r], c);
        const auto col = static_cast<lxw_col_t>(c);
        lxw_error err = LXW_NO_ERROR;
        double width = 0;
        if (const auto* s = std::get_if<std::string>(&cell)) {
          if (s->empty()) continue;
          const std::string text = internal::SanitizeUtf8(*s);
          // A string cell, never a formula: "=1+1" is shown as typed.
          err = worksheet_write_string(ws, row, col, text.c_str(), nullptr);
          width = DisplayWidth(text);
        } else if (const auto* v = std::get_if<double>(&cell); v != nullptr && std::isfinite(*v)) {
          err = worksheet_write_number(ws, row, col, *v == 0 ? 0.0 : *v, formats[c]);
          width = NumberWidth(*v, decimals[c]);
        } else {
          continue;
        }
        if (err != LXW_NO_ERROR) {
          return LxwStatus(
              err, fmt::format("sheet '{}' row {} column '{}'", name, r + 1, t.columns[c].key));
        }
        widths[c] = std::max(widths[c], width + 2);
      }
    }

    if (n > 0) {
      worksheet_freeze_panes(ws, 1, 0);
      ZP_RETURN_IF_ERROR(
          LxwStatus(worksheet_autofilter(ws, 0, 0, static_cast<lxw_row_t>(t.rows.size()),
                                         static_cast<lxw_col_t>(n - 1)),
                    fmt::format("sheet '{}' autofilter", name)));
    }
    for (size_t c = 0; c < n; ++c) {
      const auto col = static_cast<lxw_col_t>(c);
      ZP_RETURN_IF_ERROR(LxwStatus(
          worksheet_set_column(ws, col, col, std::min(widths[c], kMaxColumnWidth), nullptr),
          fmt::format("sheet '{}' width of column '{}'", name, t.columns[c].key)));
    }

    auto note_row = static_cast<lxw_row_t>(t.rows.size() + 2);
    for (const auto& note : t.notes) {
      for (std::string_view line : Lines(note)) {
        if (!line.empty()) {
          const std::string text = internal::SanitizeUtf8(line);
          ZP_RETURN_IF_ERROR(
              LxwStatus(worksheet_write_string(ws, note_row, 0, text.c_str(), nullptr),
                        fmt::format("sheet '{}' note", name)));
        }
        ++note_row;
      }
    }
    return Status::OK();
  }

 private:
  Result<lxw_format*> NumberFormatFor(const Column& c) {
    std::string code = NumberFormat(c);
    auto it = number_formats_.find(code);
    if (it != number_formats_.end()) return it->second;
    lxw_format* f = workbook_add_format(wb_);
    if (f == nullptr) return InternalError("xlsx: cannot add a number format");
    format_set_num_format(f, code.c_str());
    number_formats_.emplace(std::move(code), f);
    return f;
  }

  lxw_workbook* wb_;
  lxw_format* header_;
  std::map<std::string, lxw_format*> number_formats_;
};

}  // namespace

Result<std::string> ToXlsx(const Table& t) { return ToXlsx(std::vector<Table>{t}); }

Result<std::string> ToXlsx(const std::vector<Table>& sheets) {
  if (sheets.empty()) return InvalidArgumentError("xlsx: no table to write");
  for (size_t i = 0; i < sheets.size(); ++i) ZP_RETURN_IF_ERROR(CheckLimits(sheets[i], i));

  ZP_ASSIGN_OR_RETURN(TempFile file, TempFile::Create());
  lxw_workbook_options options = {};
  options.tmpdir = file.dir().data();
  WorkbookPtr wb(workbook_new_opt(file.path().c_str(), &options));
  if (wb == nullptr) return InternalError("xlsx: cannot create a workbook");

  lxw_format* header = workbook_add_format(wb.get());
  if (header == nullptr) return InternalError("xlsx: cannot add the header format");
  format_set_bold(header);
  format_set_bottom(header, LXW_BORDER_THIN);
  format_set_bg_color(header, 0xDDEBF7);

  SheetWriter writer(wb.get(), header);
  std::vector<std::string> used = {"history"};  // reserved by Excel
  for (size_t i = 0; i < sheets.size(); ++i) {
    ZP_RETURN_IF_ERROR(writer.Write(sheets[i], SheetName(sheets[i], i, used)));
  }

  std::string title = internal::SanitizeUtf8(BilingualTitle(sheets.front()));
  if (!title.empty()) {
    lxw_doc_properties properties = {};
    properties.title = title.data();
    ZP_RETURN_IF_ERROR(LxwStatus(workbook_set_properties(wb.get(), &properties), "title"));
  }

  // workbook_close frees the workbook whatever it returns.
  ZP_RETURN_IF_ERROR(LxwStatus(workbook_close(wb.release()), "writing the workbook"));
  return file.ReadAll();
}

}  // namespace zp::report
