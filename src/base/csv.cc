#include "zp/base/csv.h"

#include <algorithm>
#include <charconv>
#include <system_error>
#include <utility>

#include "zp/base/strings.h"

namespace zp {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool FormulaLike(char c) { return c == '=' || c == '+' || c == '-' || c == '@'; }

bool NeedsGuard(std::string_view v) {
  return !v.empty() && (FormulaLike(v[0]) ||
                        (v.size() >= 2 && v[0] == '\'' && (FormulaLike(v[1]) || v[1] == '\'')));
}

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  uint32_t min = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  uint32_t cp = c & (0xff >> (n + 1));
  for (size_t k = 1; k < n; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

std::string_view NameOf(std::span<const CsvColumn> columns, int32_t id) {
  for (const CsvColumn& c : columns) {
    if (c.id == id) return c.name;
  }
  return "";
}

}  // namespace

// ---- Reading ----------------------------------------------------------------------------------

bool CsvRow::IsBlank() const {
  if (!error.empty()) return false;
  for (const std::string& c : cells) {
    if (!c.empty()) return false;
  }
  return true;
}

Status CsvRow::CheckCells(size_t expected) const {
  if (!error.empty()) return InvalidArgumentError(error);
  if (cells.size() == expected) return Status::OK();
  return InvalidArgumentError("expected " + std::to_string(expected) + " cells, got " +
                              std::to_string(cells.size()));
}

CsvReader::CsvReader(std::string_view text, CsvOptions options) : text_(text), options_(options) {
  if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);
}

void CsvReader::SkipBlanks() {
  while (pos_ < text_.size() && IsBlank(text_[pos_])) ++pos_;
}

void CsvReader::EndLine() {
  if (pos_ >= text_.size()) return;
  if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
  ++pos_;
  ++line_;
}

bool CsvReader::Next(CsvRow* row) {
  const size_t size = text_.size();
  while (options_.hash_comments && pos_ < size) {
    size_t p = pos_;
    while (p < size && IsBlank(text_[p])) ++p;
    if (p >= size || text_[p] != '#') break;
    pos_ = p;
    while (pos_ < size && !AtLineEnd()) ++pos_;
    EndLine();
  }
  if (pos_ >= size) return false;
  row->line = line_;
  row->error.clear();
  size_t n = 0;  // cells of this record so far; row->cells keeps its strings for reuse
  while (true) {
    if (n == row->cells.size()) row->cells.emplace_back();
    std::string& cell = row->cells[n++];
    cell.clear();
    const size_t begin = pos_;
    SkipBlanks();
    if (pos_ < size && text_[pos_] == '"') {
      const int32_t open_line = line_;
      ++pos_;
      if (!ReadQuoted(&cell)) {
        row->cells.resize(n - 1);
        row->error = "unterminated quoted cell " + std::to_string(n) + ": opened on line " +
                     std::to_string(open_line) + " and never closed";
        pos_ = size;
        return true;
      }
      SkipBlanks();
      if (pos_ < size && text_[pos_] != ',' && !AtLineEnd()) {
        row->cells.resize(n - 1);
        row->error = "unexpected character after the closing quote of cell " + std::to_string(n);
        if (line_ != row->line) row->error += " (on line " + std::to_string(line_) + ")";
        while (pos_ < size && !AtLineEnd()) ++pos_;
        EndLine();
        return true;
      }
    } else {
      while (pos_ < size && text_[pos_] != ',' && !AtLineEnd()) ++pos_;
      cell.assign(TrimBlanks(text_.substr(begin, pos_ - begin)));
    }
    if (pos_ < size && text_[pos_] == ',') {
      ++pos_;
      continue;
    }
    row->cells.resize(n);
    EndLine();
    return true;
  }
}

// pos_ is just after the opening quote; leaves it after the closing one.
bool CsvReader::ReadQuoted(std::string* cell) {
  while (true) {
    const size_t q = text_.find('"', pos_);
    if (q == std::string_view::npos) return false;
    for (size_t i = pos_; i < q; ++i) {
      if (text_[i] == '\n' ||
          (text_[i] == '\r' && (i + 1 >= text_.size() || text_[i + 1] != '\n'))) {
        ++line_;
      }
    }
    cell->append(text_.substr(pos_, q - pos_));
    pos_ = q + 1;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      cell->push_back('"');
      ++pos_;
      continue;
    }
    return true;
  }
}

// ---- Header -----------------------------------------------------------------------------------

Result<std::vector<int32_t>> MapCsvHeader(const CsvRow& header,
                                          std::span<const CsvColumn> columns) {
  std::vector<int32_t> ids;
  ids.reserve(header.cells.size());
  for (size_t i = 0; i < header.cells.size(); ++i) {
    const std::string_view name = TrimBlanks(UnguardCsvCell(header.cells[i]));
    const CsvColumn* spec = nullptr;
    for (const CsvColumn& c : columns) {
      if (EqualsIgnoreAsciiCase(c.name, name)) {
        spec = &c;
        break;
      }
    }
    if (spec == nullptr) {
      if (name.empty()) {
        return InvalidArgumentError("column " + std::to_string(i + 1) + " has no name");
      }
      std::string known;
      for (const CsvColumn& c : columns) {
        if (NameOf(columns, c.id) != c.name) continue;  // an alias
        if (!known.empty()) known += ", ";
        known += c.name;
      }
      return InvalidArgumentError("unknown column " + QuoteForMessage(name) + " (known: " + known +
                                  ")");
    }
    if (std::find(ids.begin(), ids.end(), spec->id) != ids.end()) {
      return InvalidArgumentError("column " + std::string(NameOf(columns, spec->id)) +
                                  " appears twice");
    }
    ids.push_back(spec->id);
  }
  for (const CsvColumn& c : columns) {
    if (c.required && std::find(ids.begin(), ids.end(), c.id) == ids.end()) {
      return InvalidArgumentError("missing column " + std::string(NameOf(columns, c.id)));
    }
  }
  return ids;
}

Result<std::vector<int32_t>> ReadCsvHeader(CsvReader* reader, std::span<const CsvColumn> columns,
                                           std::string_view what) {
  CsvRow row;
  do {
    if (!reader->Next(&row)) return InvalidArgumentError(std::string(what) + ": no header row");
  } while (row.IsBlank());
  Result<std::vector<int32_t>> ids =
      row.error.empty() ? MapCsvHeader(row, columns)
                        : Result<std::vector<int32_t>>(InvalidArgumentError(row.error));
  if (ids.ok()) return ids;
  return InvalidArgumentError(std::string(what) + ", header on line " + std::to_string(row.line) +
                              ": " + ids.error().message());
}

// ---- Writing ----------------------------------------------------------------------------------

std::string_view UnguardCsvCell(std::string_view cell) {
  if (cell.size() >= 2 && cell[0] == '\'' && (FormulaLike(cell[1]) || cell[1] == '\'')) {
    cell.remove_prefix(1);
  }
  return cell;
}

void AppendCsvCell(std::string* out, std::string_view text) {
  const bool guard = NeedsGuard(text);
  const bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!text.empty() && (IsBlank(text.front()) || IsBlank(text.back())));
  if (!quote) {
    if (guard) out->push_back('\'');
    out->append(text);
    return;
  }
  out->push_back('"');
  if (guard) out->push_back('\'');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendCsvNumber(std::string* out, double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec == std::errc()) out->append(buf, end);
}

std::string QuoteForMessage(std::string_view text) {
  constexpr size_t kMax = 48;
  std::string out = "'";
  size_t i = 0;
  while (i < text.size() && i < kMax) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
    } else if (size_t n = c >= 0x80 ? Utf8Length(text, i) : 0; n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      ++i;
    }
  }
  if (i < text.size()) out += "...";
  out += "'";
  return out;
}

}  // namespace zp
