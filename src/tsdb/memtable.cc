#include "zp/tsdb/memtable.h"

#include <algorithm>

namespace zp::tsdb {

namespace {

bool TsLess(const MemPoint& a, const MemPoint& b) { return a.ts_s < b.ts_s; }

}  // namespace

void Memtable::Add(int64_t series_id, int64_t ts_s, double value, uint32_t source_id) {
  SeriesBuffer& b = series_[series_id];
  if (b.sorted && !b.points.empty()) {
    MemPoint& last = b.points.back();
    if (ts_s == last.ts_s) {  // sorted and unique: `last` is the only point at ts_s
      if (value != last.value) {
        overwrites_.push_back({series_id, ts_s, last.value, value, source_id});
        last.value = value;
        last.source_id = source_id;
      }
      return;
    }
    if (ts_s < last.ts_s) {
      b.sorted = false;
      unsorted_.push_back(series_id);
    }
  }
  b.points.push_back({ts_s, value, source_id});
  ++size_;
}

void Memtable::Normalize(int64_t series_id, SeriesBuffer* b) const {
  if (b->sorted) return;
  std::vector<MemPoint>& pts = b->points;
  // The buffer is a sorted, deduplicated prefix followed by a tail in append order. Sorting the
  // tail stably and merging keeps, for equal ts, every point in the order it was added.
  auto mid = std::adjacent_find(pts.begin(), pts.end(), [](const MemPoint& a, const MemPoint& c) {
    return a.ts_s >= c.ts_s;
  });
  if (mid != pts.end()) ++mid;
  std::stable_sort(mid, pts.end(), TsLess);
  std::inplace_merge(pts.begin(), mid, pts.end(), TsLess);

  size_t w = 0;
  for (size_t r = 0; r < pts.size(); ++r) {
    if (w > 0 && pts[w - 1].ts_s == pts[r].ts_s) {
      MemPoint& kept = pts[w - 1];
      if (pts[r].value != kept.value) {
        overwrites_.push_back({series_id, kept.ts_s, kept.value, pts[r].value, pts[r].source_id});
        kept.value = pts[r].value;
        kept.source_id = pts[r].source_id;
      }
    } else {
      pts[w++] = pts[r];
    }
  }
  size_ -= pts.size() - w;
  pts.resize(w);
  b->sorted = true;
}

void Memtable::NormalizeAll() const {
  for (int64_t id : unsorted_) {
    auto it = series_.find(id);
    if (it != series_.end()) Normalize(id, &it->second);
  }
  unsorted_.clear();
}

std::vector<int64_t> Memtable::SeriesIds() const {
  std::vector<int64_t> ids;
  ids.reserve(series_.size());
  for (const auto& [id, b] : series_) ids.push_back(id);
  return ids;
}

std::vector<MemPoint> Memtable::Range(int64_t series_id, int64_t from_s, int64_t to_s) const {
  auto it = series_.find(series_id);
  if (it == series_.end() || from_s >= to_s) return {};
  Normalize(series_id, &it->second);
  const std::vector<MemPoint>& pts = it->second.points;
  auto lo = std::lower_bound(pts.begin(), pts.end(), from_s,
                             [](const MemPoint& p, int64_t t) { return p.ts_s < t; });
  auto hi = std::lower_bound(lo, pts.end(), to_s,
                             [](const MemPoint& p, int64_t t) { return p.ts_s < t; });
  return std::vector<MemPoint>(lo, hi);
}

std::vector<MemPoint> Memtable::All(int64_t series_id) const {
  auto it = series_.find(series_id);
  if (it == series_.end()) return {};
  Normalize(series_id, &it->second);
  return it->second.points;
}

const std::vector<Overwrite>& Memtable::overwrites() const {
  NormalizeAll();
  return overwrites_;
}

void Memtable::Clear() {
  series_.clear();
  unsorted_.clear();
  overwrites_.clear();
  size_ = 0;
}

}  // namespace zp::tsdb
