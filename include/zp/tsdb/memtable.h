#pragma once

// In-memory table of readings not yet flushed to chunks. Keeps the last value written per
// (series, timestamp) and remembers values it overwrote so that corrections can be recorded.
// Not thread-safe: the engine guards it with its own mutex.

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "zp/tsdb/chunk.h"

namespace zp::tsdb {

struct MemPoint {
  int64_t ts_s = 0;
  double value = 0;
  uint32_t source_id = 0;  // provenance of the value (engine's source table)
};

struct Overwrite {
  int64_t series_id = 0;
  int64_t ts_s = 0;
  double old_value = 0;
  double new_value = 0;
  uint32_t source_id = 0;
};

class Memtable {
 public:
  // Adds a reading; an existing (series, ts) with a different value is replaced and the
  // replacement recorded in overwrites(); the same value again is a no-op (idempotent).
  void Add(int64_t series_id, int64_t ts_s, double value, uint32_t source_id);

  // Points held. Out-of-order duplicates are merged lazily, so until the next read of their
  // series they are still counted.
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Series ids present, any order.
  std::vector<int64_t> SeriesIds() const;
  // Points of the series with from_s <= ts < to_s, sorted by ts, unique ts.
  std::vector<MemPoint> Range(int64_t series_id, int64_t from_s, int64_t to_s) const;
  // All points of the series sorted by ts, unique ts.
  std::vector<MemPoint> All(int64_t series_id) const;
  // Every replacement since the last Clear, in the order the replacing values were added per
  // (series, ts).
  const std::vector<Overwrite>& overwrites() const;
  // Drops every point and every recorded overwrite.
  void Clear();

 private:
  struct SeriesBuffer {
    std::vector<MemPoint> points;  // append order; sorted/deduplicated lazily
    bool sorted = true;            // points strictly increasing by ts
  };
  void Normalize(int64_t series_id, SeriesBuffer* b) const;
  void NormalizeAll() const;

  mutable std::unordered_map<int64_t, SeriesBuffer> series_;
  mutable std::vector<int64_t> unsorted_;  // series whose buffer turned unsorted
  mutable std::vector<Overwrite> overwrites_;
  mutable size_t size_ = 0;
};

}  // namespace zp::tsdb
