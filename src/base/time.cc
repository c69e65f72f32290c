#include "zp/base/time.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

namespace zp {

// Howard Hinnant's days_from_civil / civil_from_days.
int32_t DaysFromCivil(int32_t y, int32_t m, int32_t d) {
  y -= m <= 2;
  const int32_t era = (y >= 0 ? y : y - 399) / 400;
  const uint32_t yoe = static_cast<uint32_t>(y - era * 400);
  const uint32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int32_t>(doe) - 719468;
}

CivilDate CivilFromDays(int32_t z) {
  z += 719468;
  const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  const uint32_t doe = static_cast<uint32_t>(z - era * 146097);
  const uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int32_t y = static_cast<int32_t>(yoe) + era * 400;
  const uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint32_t mp = (5 * doy + 2) / 153;
  const uint32_t d = doy - (153 * mp + 2) / 5 + 1;
  const uint32_t m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{y + (m <= 2), static_cast<int32_t>(m), static_cast<int32_t>(d)};
}

int32_t DaysInMonth(int32_t y, int32_t m) {
  static constexpr int32_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

bool IsValidDate(int32_t y, int32_t m, int32_t d) {
  return m >= 1 && m <= 12 && d >= 1 && d <= DaysInMonth(y, m);
}

int32_t IsoWeekday(int32_t days) {
  // 1970-01-01 was a Thursday (4).
  int32_t w = static_cast<int32_t>((static_cast<int64_t>(days) % 7 + 7) % 7);
  return (w + 3) % 7 + 1;
}

int64_t CivilToSeconds(const CivilTime& t) {
  return static_cast<int64_t>(DaysFromCivil(t.year, t.month, t.day)) * kSecondsPerDay +
         t.hour * 3600 + t.minute * 60 + t.second;
}

CivilTime SecondsToCivil(int64_t s) {
  const int64_t days = FloorDiv(s, kSecondsPerDay);
  const int64_t rem = s - days * kSecondsPerDay;
  CivilDate d = CivilFromDays(static_cast<int32_t>(days));
  return CivilTime{d.year,
                   d.month,
                   d.day,
                   static_cast<int32_t>(rem / 3600),
                   static_cast<int32_t>(rem % 3600 / 60),
                   static_cast<int32_t>(rem % 60)};
}

TimeZone::TimeZone() = default;

TimeZone TimeZone::Fixed(int32_t offset_s) {
  TimeZone z;
  z.initial_offset_ = offset_s;
  char buf[32];
  const int32_t a = offset_s < 0 ? -offset_s : offset_s;
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_s < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
  z.name_ = offset_s == 0 ? "UTC" : buf;
  return z;
}

namespace {

int64_t ReadBigEndian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  if (n == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

// Parses "+08:00", "-05", "UTC+8", "+0800". Returns false when not an offset.
bool ParseFixedOffset(std::string_view s, int32_t* out) {
  if (s.starts_with("UTC") || s.starts_with("GMT")) s.remove_prefix(3);
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return false;
  const int sign = s[0] == '-' ? -1 : 1;
  s.remove_prefix(1);
  int h = 0, m = 0, digits = 0;
  size_t i = 0;
  for (; i < s.size() && digits < 2 && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
    h = h * 10 + (s[i] - '0');
  }
  if (digits == 0) return false;
  if (i < s.size() && s[i] == ':') ++i;
  int md = 0;
  for (; i < s.size() && md < 2 && s[i] >= '0' && s[i] <= '9'; ++i, ++md) m = m * 10 + (s[i] - '0');
  if (i != s.size() || h > 14 || m > 59 || md == 1) return false;
  *out = sign * (h * 3600 + m * 60);
  return true;
}

// The POSIX TZ string in the footer of a version 2+ zoneinfo file (RFC 8536 section 3.3), e.g.
// "GMT0BST,M3.5.0/1,M10.5.0". It gives the rule for instants after the last transition, which
// "slim" zoneinfo files rely on from the last rule change onwards (Europe/London after 1996).
struct PosixDate {
  char kind = 'M';  // 'J': Jn, day 1..365 never counting Feb 29; 'D': n, day 0..365; 'M': Mm.w.d
  int32_t day = 0;  // J/D: the day; M: weekday 0 (Sunday) .. 6
  int32_t week = 0;
  int32_t month = 0;
  int32_t time_s = 7200;  // local time of the change; may be negative or past 24h (RFC 8536)
};

struct PosixTz {
  int32_t std_offset = 0;  // east of UTC
  bool has_dst = false;
  int32_t dst_offset = 0;
  PosixDate start, end;
};

class PosixReader {
 public:
  explicit PosixReader(std::string_view s) : s_(s) {}
  bool Done() const { return i_ == s_.size(); }
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++i_;
    return true;
  }
  bool Name() {
    if (Eat('<')) {
      const size_t close = s_.find('>', i_);
      if (close == std::string_view::npos || close == i_) return false;
      i_ = close + 1;
      return true;
    }
    const size_t begin = i_;
    while (i_ < s_.size() &&
           ((s_[i_] >= 'A' && s_[i_] <= 'Z') || (s_[i_] >= 'a' && s_[i_] <= 'z'))) {
      ++i_;
    }
    return i_ - begin >= 3;
  }
  bool Number(int32_t max, int32_t* out) {
    const size_t begin = i_;
    int64_t v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9' && i_ - begin < 4) {
      v = v * 10 + (s_[i_++] - '0');
    }
    if (i_ == begin || v > max) return false;
    *out = static_cast<int32_t>(v);
    return true;
  }
  // [+|-]hh[:mm[:ss]] in seconds.
  bool Duration(int32_t max_hours, int32_t* out) {
    int32_t sign = 1;
    if (Eat('-')) {
      sign = -1;
    } else {
      Eat('+');
    }
    int32_t h = 0, m = 0, sec = 0;
    if (!Number(max_hours, &h)) return false;
    if (Eat(':')) {
      if (!Number(59, &m)) return false;
      if (Eat(':') && !Number(59, &sec)) return false;
    }
    *out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }
  bool Date(PosixDate* d) {
    if (Eat('J')) {
      d->kind = 'J';
      if (!Number(365, &d->day) || d->day < 1) return false;
    } else if (Eat('M')) {
      d->kind = 'M';
      if (!Number(12, &d->month) || d->month < 1 || !Eat('.') || !Number(5, &d->week) ||
          d->week < 1 || !Eat('.') || !Number(6, &d->day)) {
        return false;
      }
    } else {
      d->kind = 'D';
      if (!Number(365, &d->day)) return false;
    }
    if (Eat('/')) return Duration(167, &d->time_s);
    return true;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

bool ParsePosixTz(std::string_view s, PosixTz* tz) {
  PosixReader r(s);
  int32_t west = 0;
  if (!r.Name() || !r.Duration(24, &west)) return false;
  tz->std_offset = -west;
  if (r.Done()) return true;
  if (!r.Name()) return false;
  tz->has_dst = true;
  tz->dst_offset = tz->std_offset + 3600;
  if (r.Peek() != ',') {
    if (!r.Duration(24, &west)) return false;
    tz->dst_offset = -west;
  }
  return r.Eat(',') && r.Date(&tz->start) && r.Eat(',') && r.Date(&tz->end) && r.Done();
}

// Local day (days since 1970-01-01) on which the rule's change happens in `year`.
int32_t PosixDay(const PosixDate& d, int32_t year) {
  const int32_t jan1 = DaysFromCivil(year, 1, 1);
  if (d.kind == 'J') {
    const bool leap = DaysInMonth(year, 2) == 29;
    return jan1 + d.day - 1 + (leap && d.day >= 60 ? 1 : 0);
  }
  if (d.kind == 'D') return jan1 + d.day;
  const int32_t first = DaysFromCivil(year, d.month, 1);
  const int32_t first_weekday = IsoWeekday(first) % 7;  // 0 = Sunday
  int32_t day = first + (d.day - first_weekday + 7) % 7 + 7 * (d.week - 1);
  while (day >= first + DaysInMonth(year, d.month)) day -= 7;
  return day;
}

// Rules are expanded into explicit transitions up to the end of this year.
constexpr int32_t kLastRuleYear = 2200;

}  // namespace

Result<TimeZone> TimeZone::Load(std::string_view name) {
  if (name == "UTC" || name == "Etc/UTC" || name == "Z") return TimeZone();
  int32_t fixed = 0;
  if (ParseFixedOffset(name, &fixed)) return Fixed(fixed);
  const bool printable = std::all_of(name.begin(), name.end(), [](char ch) {
    return static_cast<unsigned char>(ch) > 0x20 && static_cast<unsigned char>(ch) < 0x7f;
  });
  if (name.empty() || !printable || name.find("..") != std::string_view::npos || name[0] == '/') {
    return InvalidArgumentError("invalid time zone name '" + std::string(name.substr(0, 64)) + "'");
  }
  const char* dir = std::getenv("ZONEINFO");
  std::string path = std::string(dir ? dir : "/usr/share/zoneinfo") + "/" + std::string(name);
  // Read with stdio: libstdc++ streams throw when the path is a directory ("Asia").
  std::error_code ec;
  std::FILE* f =
      std::filesystem::is_regular_file(path, ec) ? std::fopen(path.c_str(), "rb") : nullptr;
  if (f == nullptr) {
    return NotFoundError("unknown time zone '" + std::string(name) + "' (no zoneinfo file " + path +
                         "; is the tzdata package installed?)");
  }
  std::string data;
  char buf[8192];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0 && data.size() < (8u << 20);) {
    data.append(buf, n);
  }
  const bool read_error = std::ferror(f) != 0;
  std::fclose(f);
  if (read_error) return DataLossError("cannot read zoneinfo file " + path);
  if (data.compare(0, 4, "TZif") != 0) {
    return NotFoundError("unknown time zone '" + std::string(name) + "' (" + path +
                         " is not a zoneinfo file)");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  auto bad = [&] { return DataLossError("malformed zoneinfo file " + path); };
  // Header counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt.
  int64_t c[6];
  auto read_counts = [&](size_t off) {
    if (data.size() < off + 44) return false;
    for (int i = 0; i < 6; ++i) {
      c[i] = ReadBigEndian(p + off + 20 + 4 * i, 4);
      if (c[i] < 0 || c[i] > (1 << 20)) return false;
    }
    return true;
  };
  if (!read_counts(0)) return bad();
  size_t off = 44;
  int tsize = 4;
  const bool v2 = data[4] >= '2';
  if (v2) {
    // Skip the v1 block; use the 64-bit v2 block.
    off += c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (!read_counts(off)) return bad();
    off += 44;
    tsize = 8;
  }
  const int64_t timecnt = c[3], typecnt = c[4];
  const size_t types_off = off + timecnt * (tsize + 1);
  const size_t block_end = types_off + typecnt * 6 + c[5] + c[2] * (tsize + 4) + c[1] + c[0];
  if (typecnt <= 0 || data.size() < block_end) return bad();
  TimeZone z;
  z.name_ = std::string(name);
  std::vector<int32_t> type_offsets(typecnt);
  for (int64_t i = 0; i < typecnt; ++i) {
    type_offsets[i] = static_cast<int32_t>(ReadBigEndian(p + types_off + 6 * i, 4));
  }
  z.initial_offset_ = type_offsets[0];
  z.transitions_.reserve(timecnt);
  z.offsets_.reserve(timecnt);
  for (int64_t i = 0; i < timecnt; ++i) {
    const int64_t t = ReadBigEndian(p + off + i * tsize, tsize);
    const unsigned idx = p[off + timecnt * tsize + i];
    if (idx >= type_offsets.size() || (i > 0 && t <= z.transitions_.back())) return bad();
    z.transitions_.push_back(t);
    z.offsets_.push_back(type_offsets[idx]);
  }
  // The footer "\n<POSIX TZ>\n" rules instants after the last transition. A footer we cannot read
  // leaves the last offset in force, as a version 1 file would.
  PosixTz tz;
  const size_t footer_end =
      v2 && data.size() > block_end + 1 ? data.find('\n', block_end + 1) : std::string::npos;
  if (footer_end != std::string::npos && data[block_end] == '\n' &&
      ParsePosixTz(std::string_view(data).substr(block_end + 1, footer_end - block_end - 1), &tz)) {
    if (!tz.has_dst && z.transitions_.empty()) z.initial_offset_ = tz.std_offset;
    if (tz.has_dst) {
      const int64_t last = z.transitions_.empty() ? INT64_MIN : z.transitions_.back();
      constexpr int64_t kFirstRuleS = -2208988800;  // 1900-01-01T00:00:00Z
      const int32_t first_year = last < kFirstRuleS  ? 1900
                                 : last > 7258118400 ? kLastRuleYear + 1  // 2200-01-01
                                                     : SecondsToCivil(last).year;
      for (int32_t year = first_year; year <= kLastRuleYear; ++year) {
        const int64_t start =
            int64_t{PosixDay(tz.start, year)} * kSecondsPerDay + tz.start.time_s - tz.std_offset;
        const int64_t end =
            int64_t{PosixDay(tz.end, year)} * kSecondsPerDay + tz.end.time_s - tz.dst_offset;
        std::pair<int64_t, int32_t> changes[2] = {{start, tz.dst_offset}, {end, tz.std_offset}};
        if (end < start) std::swap(changes[0], changes[1]);
        for (const auto& [t, offset] : changes) {
          if (t <= last) continue;
          const int32_t before = z.offsets_.empty() ? z.initial_offset_ : z.offsets_.back();
          if (offset == before) continue;
          z.transitions_.push_back(t);
          z.offsets_.push_back(offset);
        }
      }
    }
  }
  return z;
}

int32_t TimeZone::OffsetAt(int64_t utc_s) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_s);
  if (it == transitions_.begin()) return initial_offset_;
  return offsets_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

int64_t TimeZone::FromLocal(int64_t local_s) const {
  if (transitions_.empty()) return local_s - initial_offset_;
  // Try the offsets in force around the candidate instants; prefer the earliest valid one.
  int64_t best = 0;
  bool found = false;
  const int64_t guess = local_s - OffsetAt(local_s);
  for (int64_t probe : {guess - 86400, guess, guess + 86400}) {
    const int32_t off = OffsetAt(probe);
    const int64_t utc = local_s - off;
    if (OffsetAt(utc) == off && (!found || utc < best)) {
      best = utc;
      found = true;
    }
  }
  if (found) return best;
  // Skipped wall time: move forward by the gap (use the offset before the transition).
  const int32_t before = OffsetAt(guess - 86400);
  return local_s - before;
}

int32_t TimeZone::LocalMonth(int64_t utc_s) const {
  CivilDate d = CivilFromDays(LocalDay(utc_s));
  return MonthIndex(d.year, d.month);
}

int64_t TimeZone::MonthStart(int32_t month_index) const {
  return DayStart(DaysFromCivil(MonthIndexYear(month_index), MonthIndexMonth(month_index), 1));
}

namespace {

bool ParseDigits(std::string_view s, size_t pos, size_t n, int32_t* out) {
  if (pos + n > s.size()) return false;
  int32_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

Result<int64_t> ParseTimestamp(std::string_view text, const TimeZone& zone) {
  auto bad = [&](const char* why) {
    return InvalidArgumentError("bad timestamp '" + std::string(text.substr(0, 64)) + "': " + why);
  };
  if (text.empty()) return bad("empty");
  if (text.find_first_not_of("0123456789-") == std::string_view::npos &&
      (text.size() != 10 || text[4] != '-')) {
    // Unix seconds.
    if (text.size() > 12) return bad("expected YYYY-MM-DD or Unix seconds");
    int64_t v = 0;
    const bool neg = text[0] == '-';
    if (text.size() == (neg ? 1u : 0u)) return bad("not a number");
    for (size_t i = neg ? 1 : 0; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return bad("expected YYYY-MM-DD or Unix seconds");
      v = v * 10 + (text[i] - '0');
    }
    return neg ? -v : v;
  }
  CivilTime t;
  if (!ParseDigits(text, 0, 4, &t.year) || text.size() < 10 || text[4] != '-' ||
      !ParseDigits(text, 5, 2, &t.month) || text[7] != '-' || !ParseDigits(text, 8, 2, &t.day)) {
    return bad("expected YYYY-MM-DD");
  }
  if (!IsValidDate(t.year, t.month, t.day)) return bad("no such date");
  size_t pos = 10;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != ' ') return bad("expected 'T' after the date");
    ++pos;
    if (!ParseDigits(text, pos, 2, &t.hour) || pos + 5 > text.size() || text[pos + 2] != ':' ||
        !ParseDigits(text, pos + 3, 2, &t.minute)) {
      return bad("expected hh:mm");
    }
    pos += 5;
    if (pos < text.size() && text[pos] == ':') {
      if (!ParseDigits(text, pos + 1, 2, &t.second)) return bad("expected seconds");
      pos += 3;
      if (pos < text.size() && text[pos] == '.') {  // fractional seconds are dropped
        ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      }
    }
    if (t.hour > 23 || t.minute > 59 || t.second > 60) return bad("time of day out of range");
  }
  const int64_t wall = CivilToSeconds(t);
  if (pos == text.size()) return zone.FromLocal(wall);
  std::string_view rest = text.substr(pos);
  if (rest == "Z" || rest == "z") return wall;
  int32_t off = 0;
  if (!ParseFixedOffset(rest, &off)) return bad("bad UTC offset");
  return wall - off;
}

std::string FormatTimestamp(int64_t utc_s, const TimeZone& zone) {
  const int32_t off = zone.OffsetAt(utc_s);
  CivilTime t = SecondsToCivil(utc_s + off);
  char buf[48];
  if (off == 0 && zone.name() == "UTC") {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.year, t.month, t.day, t.hour,
                  t.minute, t.second);
  } else {
    const int32_t a = off < 0 ? -off : off;
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", t.year, t.month,
                  t.day, t.hour, t.minute, t.second, off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
  }
  return buf;
}

std::string FormatLocalDay(int32_t local_day) {
  CivilDate d = CivilFromDays(local_day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

}  // namespace zp
