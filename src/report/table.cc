#include "zp/report/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <nlohmann/json.hpp>

#include "utf8.h"
#include "zp/base/strings.h"

namespace zp::report {
namespace {

constexpr int32_t kMaxDecimals = 15;
// Integral doubles below this magnitude are exact as int64 (2^53).
constexpr double kMaxExactInteger = 9007199254740992.0;

const Cell& CellAt(const std::vector<Cell>& row, size_t i) {
  static const Cell kEmpty;
  return i < row.size() ? row[i] : kEmpty;
}

int32_t DisplayDecimals(const Column& c) {
  return c.type == ColumnType::kInteger ? 0 : std::clamp(c.decimals, 0, kMaxDecimals);
}

// Shortest round-trip text of a finite number; -0 is written as 0.
void AppendNumber(std::string& out, double v) {
  if (v == 0) v = 0;
  fmt::format_to(std::back_inserter(out), "{}", v);
}

// Fixed-point text with `decimals` digits; "-0.00" becomes "0.00".
std::string FixedNumber(double v, int32_t decimals) {
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s[0] == '-' && s.find_first_not_of("0.", 1) == std::string::npos) s.erase(0, 1);
  return s;
}

// A text field that spreadsheet programs would evaluate as a formula.
bool NeedsInjectionGuard(std::string_view s) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

void AppendCsvText(std::string& out, std::string_view s) {
  if (NeedsInjectionGuard(s)) {
    std::string guarded;
    guarded.reserve(s.size() + 1);
    guarded += '\'';
    guarded += s;
    out += CsvField(guarded);
  } else {
    out += CsvField(s);
  }
}

std::string TitleText(const Table& t, HeaderStyle style) {
  const std::string& zh = t.title_zh.empty() ? t.title_en : t.title_zh;
  const std::string& en = t.title_en.empty() ? t.title_zh : t.title_en;
  switch (style) {
    case HeaderStyle::kBilingual:
      return zh == en ? zh : zh + " / " + en;
    case HeaderStyle::kZh:
      return zh;
    case HeaderStyle::kKeys:
    case HeaderStyle::kEn:
      break;
  }
  return en;
}

// Control characters (line breaks, tabs, ...) would break the alignment of a terminal table.
std::string ForTerminal(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x20 || b == 0x7F) ch = ' ';
  }
  return out;
}

int32_t CodePointWidth(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c < 0xA0)) return 0;
  if ((c >= 0x300 && c <= 0x36F) || (c >= 0x200B && c <= 0x200F) || (c >= 0xFE00 && c <= 0xFE0F)) {
    return 0;
  }
  if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
      (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
      (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
      (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

void AppendPadded(std::string& out, std::string_view text, int32_t text_width, int32_t width,
                  bool right) {
  const auto pad = static_cast<size_t>(std::max(0, width - text_width));
  if (right) out.append(pad, ' ');
  out += text;
  if (!right) out.append(pad, ' ');
}

void TrimTrailingSpaces(std::string& s) {
  const size_t end = s.find_last_not_of(' ');
  s.resize(end == std::string::npos ? 0 : end + 1);
}

const char* TypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kNumber:
      return "number";
    case ColumnType::kInteger:
      return "integer";
    case ColumnType::kText:
      break;
  }
  return "text";
}

}  // namespace

std::string HeaderText(const Column& c, HeaderStyle style) {
  if (style == HeaderStyle::kKeys) return c.key;
  const std::string& zh = c.name_zh.empty() ? c.name_en : c.name_zh;
  const std::string& en = c.name_en.empty() ? c.name_zh : c.name_en;
  std::string out;
  switch (style) {
    case HeaderStyle::kBilingual:
      out = zh == en ? zh : zh + " / " + en;
      break;
    case HeaderStyle::kZh:
      out = zh;
      break;
    case HeaderStyle::kEn:
    case HeaderStyle::kKeys:
      out = en;
      break;
  }
  if (out.empty()) out = c.key;
  if (!c.unit.empty()) {
    if (!out.empty()) out += ' ';
    out += '(';
    out += c.unit;
    out += ')';
  }
  return out;
}

int32_t DisplayWidth(std::string_view utf8) {
  int32_t width = 0;
  size_t i = 0;
  while (i < utf8.size()) {
    char32_t cp = 0;
    const size_t n = internal::DecodeUtf8(utf8, i, &cp);
    if (n == 0) {
      ++width;
      ++i;
      continue;
    }
    width += CodePointWidth(cp);
    i += n;
  }
  return width;
}

std::string ToCsv(const Table& t, HeaderStyle style, bool with_notes, bool bom) {
  const size_t n = t.columns.size();
  std::string out;
  out.reserve(64 + n * 24 * (t.rows.size() + 1));
  if (bom) out += "\xEF\xBB\xBF";
  for (size_t c = 0; c < n; ++c) {
    if (c > 0) out += ',';
    AppendCsvText(out, HeaderText(t.columns[c], style));
  }
  out += '\n';
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < n; ++c) {
      if (c > 0) out += ',';
      const Cell& cell = CellAt(row, c);
      if (const auto* s = std::get_if<std::string>(&cell)) {
        AppendCsvText(out, *s);
      } else if (const auto* v = std::get_if<double>(&cell); v != nullptr && std::isfinite(*v)) {
        AppendNumber(out, *v);
      }
    }
    out += '\n';
  }
  if (with_notes) {
    for (const auto& note : t.notes) {
      std::string_view rest = note;
      while (true) {
        const size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out += "# ";
        out += line;
        out += '\n';
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
      }
    }
  }
  return out;
}

std::string ToJson(const Table& t) {
  using Json = nlohmann::ordered_json;
  const size_t n = t.columns.size();
  Json j = Json::object();
  j["title"] = Json{{"zh", t.title_zh}, {"en", t.title_en}};
  Json columns = Json::array();
  for (const auto& c : t.columns) {
    columns.push_back(Json{{"key", c.key},
                           {"name_zh", c.name_zh},
                           {"name_en", c.name_en},
                           {"unit", c.unit},
                           {"type", TypeName(c.type)},
                           {"decimals", c.decimals}});
  }
  j["columns"] = std::move(columns);
  Json rows = Json::array();
  rows.get_ref<Json::array_t&>().reserve(t.rows.size());
  for (const auto& row : t.rows) {
    Json r = Json::array();
    r.get_ref<Json::array_t&>().reserve(n);
    for (size_t c = 0; c < n; ++c) {
      const Cell& cell = CellAt(row, c);
      if (const auto* s = std::get_if<std::string>(&cell)) {
        r.push_back(*s);
      } else if (const auto* v = std::get_if<double>(&cell); v != nullptr && std::isfinite(*v)) {
        const double x = *v == 0 ? 0.0 : *v;
        if (t.columns[c].type == ColumnType::kInteger && std::trunc(x) == x &&
            std::fabs(x) < kMaxExactInteger) {
          r.push_back(static_cast<int64_t>(x));
        } else {
          r.push_back(x);
        }
      } else {
        r.push_back(nullptr);
      }
    }
    rows.push_back(std::move(r));
  }
  j["rows"] = std::move(rows);
  j["notes"] = t.notes;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string ToText(const Table& t, HeaderStyle style) {
  const size_t n = t.columns.size();
  struct Rendered {
    std::string text;
    int32_t width = 0;
    bool right = false;
  };
  std::vector<Rendered> header(n);
  std::vector<int32_t> widths(n, 0);
  for (size_t c = 0; c < n; ++c) {
    Rendered& h = header[c];
    h.text = ForTerminal(HeaderText(t.columns[c], style));
    h.width = DisplayWidth(h.text);
    h.right = t.columns[c].type != ColumnType::kText;
    widths[c] = h.width;
  }
  std::vector<Rendered> cells(t.rows.size() * n);
  for (size_t r = 0; r < t.rows.size(); ++r) {
    for (size_t c = 0; c < n; ++c) {
      const Cell& cell = CellAt(t.rows[r], c);
      Rendered& out = cells[r * n + c];
      if (const auto* s = std::get_if<std::string>(&cell)) {
        out.text = ForTerminal(*s);
        out.width = DisplayWidth(out.text);
      } else if (const auto* v = std::get_if<double>(&cell); v != nullptr && std::isfinite(*v)) {
        if (t.columns[c].type == ColumnType::kText) {
          AppendNumber(out.text, *v);
        } else {
          out.text = FixedNumber(*v, DisplayDecimals(t.columns[c]));
        }
        out.width = static_cast<int32_t>(out.text.size());
        out.right = true;
      }
      widths[c] = std::max(widths[c], out.width);
    }
  }

  std::string out;
  const std::string title = ForTerminal(TitleText(t, style));
  if (!title.empty()) {
    out += title;
    out += '\n';
  }
  std::string line;
  auto emit_row = [&](const Rendered* row) {
    line.clear();
    for (size_t c = 0; c < n; ++c) {
      if (c > 0) line += "  ";
      AppendPadded(line, row[c].text, row[c].width, widths[c], row[c].right);
    }
    TrimTrailingSpaces(line);
    out += line;
    out += '\n';
  };
  emit_row(header.data());
  line.clear();
  for (size_t c = 0; c < n; ++c) {
    if (c > 0) line += "  ";
    line.append(static_cast<size_t>(widths[c]), '-');
  }
  out += line;
  out += '\n';
  for (size_t r = 0; r < t.rows.size(); ++r) emit_row(cells.data() + r * n);
  if (!t.notes.empty()) {
    out += '\n';
    for (const auto& note : t.notes) {
      out += note;
      out += '\n';
    }
  }
  return out;
}

}  // namespace zp::report
