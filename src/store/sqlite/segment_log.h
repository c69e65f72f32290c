#pragma once

// SegmentLog: the SQLite backend's durable ingest log, kept outside the database in append-only
// segment files next to it, as in LevelDB (docs/storage.md, "Ingest log"):
//
//   <db path>-log/LOCK                          flock()ed by the one process that has the log open
//   <db path>-log/<seq of first record, 20 digits>.log
//
// A segment is a sequence of records, integers little-endian:
//
//   [u32 payload length][u32 CRC-32 of (seq, payload)][u64 seq][payload]
//
// CRC-32 is the IEEE/zlib polynomial; the seq it covers is the 8 header bytes. Sequence numbers
// strictly increase across records, segments and restarts. Records with seq <= flushed_upto are
// already in chunks (the database's meta key 'log_flushed_upto', written in the flush's
// transaction) and are skipped on read; segments holding only such records are deleted.
//
// Thread-safe: one mutex serialises appends, reads and truncation. Without a directory (an
// in-memory SQLite database) the records are kept in memory with the same semantics.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"

namespace zp::store {

// A segment is closed once it holds more than this many bytes; the next append starts a new one.
inline constexpr int64_t kLogSegmentBytes = int64_t{64} << 20;
// The largest payload AppendLog accepts (InvalidArgument beyond).
inline constexpr size_t kMaxLogPayloadBytes = size_t{64} << 20;
inline constexpr size_t kLogRecordHeaderBytes = 16;

// CRC-32 (IEEE 802.3, as zlib's crc32()) of `data`, continuing from `crc` (0 to start).
uint32_t LogCrc32(std::string_view data, uint32_t crc = 0);

// The directory that holds the segments of the database at `db_path`.
std::string LogDirOf(const std::string& db_path);
// "<first_seq, 20 digits>.log".
std::string LogSegmentName(int64_t first_seq);

class SegmentLog {
 public:
  // An in-memory log (for ":memory:" databases).
  static std::unique_ptr<SegmentLog> InMemory();
  // Creates `dir` when absent (and syncs its parent) and takes the exclusive lock on dir/LOCK;
  // Unavailable when another SegmentLog, in this or another process, holds it. Nothing is read
  // until Recover().
  static Result<std::unique_ptr<SegmentLog>> Lock(std::string dir);
  ~SegmentLog();

  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;

  // Finds the segments, cuts a torn tail off the newest one (a crash during an append; logged as
  // a warning), derives the next sequence number from its last good record, its name and
  // `flushed_upto`, and deletes segments that hold only flushed records. Call once, before use.
  Status Recover(int64_t flushed_upto);

  // Appends every payload of every batch with one write and one fdatasync (plus a directory
  // sync when a new segment is started) and returns the seq of the last one. Payloads must be
  // at most kMaxLogPayloadBytes each (checked by the caller). After a failed sync the log refuses
  // further appends until it is reopened: the state of the file is unknown.
  Result<int64_t> Append(std::span<const std::span<const std::string>> batches);

  // The seq of the last record appended (0 when none ever was).
  int64_t LastSeq();

  // Calls fn(seq, payload) for every record with seq > flushed_upto, in order, verifying each
  // record; a damaged record is DataLoss naming the file and offset. Holds the log's mutex while
  // fn runs: fn must not call back into the log.
  Status Read(const std::function<Status(int64_t, std::string_view)>& fn);

  // Records with seq <= upto are flushed (the caller has committed that durably): deletes the
  // segments that hold nothing else. When the open segment is one of them, a new empty segment
  // is started first. Failures to delete are logged, not returned: the records are skipped on
  // read anyway and the files are deleted by a later call or at the next Recover().
  void MarkFlushed(int64_t upto);

  // Bytes of all segment files.
  int64_t Bytes();

  // Tests: closes the open segment after `bytes` instead of kLogSegmentBytes.
  void SetSegmentBytesForTesting(int64_t bytes);

  // Migration from schema 1: deletes any segment files in `dir` (left by an interrupted
  // migration), then writes the records produced by next() into one new segment and syncs it and
  // `dir`. next(&seq, &payload) returns false after the last record; seqs must increase.
  static Status WriteInitialSegment(
      const std::string& dir,
      const std::function<Result<bool>(int64_t* seq, std::string_view* payload)>& next);

 private:
  struct Segment {
    int64_t first_seq = 0;
    int64_t bytes = 0;
  };

  SegmentLog() = default;
  std::string PathOf(const Segment& s) const;
  // Creates segment `first_seq`, syncs the directory and makes it the open segment.
  Status StartSegment(int64_t first_seq);
  void DeleteFlushedLocked();

  std::mutex mu_;
  std::string dir_;  // empty: in memory
  int lock_fd_ = -1;
  int fd_ = -1;                    // the open (newest) segment, for writing
  std::vector<Segment> segments_;  // ascending; back() is the open one
  int64_t next_seq_ = 1;
  int64_t flushed_upto_ = 0;
  int64_t segment_bytes_ = kLogSegmentBytes;
  Status broken_;       // set when a failed write or sync left the open segment in doubt
  std::string buffer_;  // reused between appends
  std::deque<std::pair<int64_t, std::string>> memory_;  // in-memory mode only
};

}  // namespace zp::store
