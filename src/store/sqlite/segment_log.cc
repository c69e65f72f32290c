#include "sqlite/segment_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>
#include <utility>

#include "zp/base/logging.h"

namespace zp::store {
namespace {

// ---- CRC-32 (reflected polynomial 0xEDB88320), slice-by-8.

using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

constexpr CrcTables MakeCrcTables() {
  CrcTables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}

constexpr CrcTables kCrcTables = MakeCrcTables();

// ---- little-endian fields.

void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void AppendRecord(std::string* out, int64_t seq, std::string_view payload) {
  char header[kLogRecordHeaderBytes];
  PutU32(header, static_cast<uint32_t>(payload.size()));
  PutU64(header + 8, static_cast<uint64_t>(seq));
  PutU32(header + 4, LogCrc32(payload, LogCrc32(std::string_view(header + 8, 8))));
  out->append(header, sizeof(header));
  out->append(payload);
}

// The record at data[offset]: its size in bytes, or 0 with *why set when the bytes there are not
// a whole, intact record whose seq lies in (prev_seq, limit_seq).
size_t ParseRecord(std::string_view data, size_t offset, int64_t prev_seq, int64_t limit_seq,
                   int64_t* seq, std::string_view* payload, std::string* why) {
  const size_t left = data.size() - offset;
  if (left < kLogRecordHeaderBytes) {
    *why = fmt::format("truncated record header ({} of {} bytes)", left, kLogRecordHeaderBytes);
    return 0;
  }
  const char* p = data.data() + offset;
  const size_t length = GetU32(p);
  if (length > left - kLogRecordHeaderBytes) {
    *why = fmt::format("record of {} bytes runs past the end ({} bytes left)", length,
                       left - kLogRecordHeaderBytes);
    return 0;
  }
  std::string_view body(p + kLogRecordHeaderBytes, length);
  if (LogCrc32(body, LogCrc32(std::string_view(p + 8, 8))) != GetU32(p + 4)) {
    *why = "checksum mismatch";
    return 0;
  }
  const auto s = static_cast<int64_t>(GetU64(p + 8));
  if (s <= prev_seq || s >= limit_seq) {
    *why =
        fmt::format("sequence number {} out of order (after {}, below {})", s, prev_seq, limit_seq);
    return 0;
  }
  *seq = s;
  *payload = body;
  return kLogRecordHeaderBytes + length;
}

// ---- files.

Status IoError(std::string_view what, const std::string& path, int err) {
  std::string message = fmt::format("ingest log: {} '{}': {}", what, path,
                                    std::error_code(err, std::generic_category()).message());
  if (err == ENOSPC || err == EDQUOT) return ResourceExhaustedError(std::move(message));
  return UnavailableError(std::move(message));
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open directory", dir, errno);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return IoError("cannot sync directory", dir, err);
  return Status::OK();
}

// Creates `dir` when it does not exist and makes its entry durable.
Status EnsureDir(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::OK();
    return FailedPreconditionError(
        fmt::format("ingest log: '{}' exists and is not a directory", dir));
  }
  if (errno != ENOENT) return IoError("cannot stat", dir, errno);
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return IoError("cannot create directory", dir, errno);
  }
  return SyncDir(ParentDir(dir));
}

Status WriteAll(int fd, std::string_view data, int64_t offset, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return Status::OK();
}

// Reads the first `limit` bytes of the file (all of it when limit < 0).
Status ReadFile(const std::string& path, int64_t limit, std::string* out) {
  out->clear();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return DataLossError(fmt::format("ingest log: '{}' is missing", path));
    return IoError("cannot open", path, errno);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return IoError("cannot stat", path, err);
  }
  int64_t want = limit < 0 ? st.st_size : std::min<int64_t>(limit, st.st_size);
  out->resize(static_cast<size_t>(want));
  int64_t done = 0;
  while (done < want) {
    ssize_t n = pread(fd, out->data() + done, static_cast<size_t>(want - done), done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      close(fd);
      return IoError("cannot read", path, err);
    }
    done += n;
  }
  close(fd);
  return Status::OK();
}

bool ParseSegmentName(std::string_view name, int64_t* first_seq) {
  constexpr size_t kDigits = 20;
  if (name.size() != kDigits + 4 || name.substr(kDigits) != ".log") return false;
  uint64_t v = 0;
  for (size_t i = 0; i < kDigits; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return false;
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v == 0 || v > static_cast<uint64_t>(INT64_MAX)) return false;
  *first_seq = static_cast<int64_t>(v);
  return true;
}

// The first seqs of the segment files in `dir`, ascending.
Result<std::vector<int64_t>> ListSegments(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return IoError("cannot list", dir, errno);
  std::vector<int64_t> out;
  errno = 0;
  while (dirent* e = readdir(d)) {
    int64_t first = 0;
    if (ParseSegmentName(e->d_name, &first)) out.push_back(first);
  }
  int err = errno;
  closedir(d);
  if (err != 0) return IoError("cannot list", dir, err);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

uint32_t LogCrc32(std::string_view data, uint32_t crc) {
  const auto& t = kCrcTables;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  crc = ~crc;
  while (n >= 8) {
    uint32_t lo = (static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                   static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24) ^
                  crc;
    uint32_t hi = static_cast<uint32_t>(p[4]) | static_cast<uint32_t>(p[5]) << 8 |
                  static_cast<uint32_t>(p[6]) << 16 | static_cast<uint32_t>(p[7]) << 24;
    crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
          t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

std::string LogDirOf(const std::string& db_path) { return db_path + "-log"; }

std::string LogSegmentName(int64_t first_seq) { return fmt::format("{:020d}.log", first_seq); }

// ---- SegmentLog.

std::unique_ptr<SegmentLog> SegmentLog::InMemory() {
  return std::unique_ptr<SegmentLog>(new SegmentLog());
}

Result<std::unique_ptr<SegmentLog>> SegmentLog::Lock(std::string dir) {
  ZP_RETURN_IF_ERROR(EnsureDir(dir));
  std::unique_ptr<SegmentLog> log(new SegmentLog());
  log->dir_ = std::move(dir);
  const std::string lock_path = log->dir_ + "/LOCK";
  log->lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (log->lock_fd_ < 0) return IoError("cannot open", lock_path, errno);
  if (flock(log->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return UnavailableError(
          fmt::format("ingest log '{}' is in use: the database is open in another process "
                      "(or by another store in this one)",
                      log->dir_));
    }
    return IoError("cannot lock", lock_path, errno);
  }
  return log;
}

SegmentLog::~SegmentLog() {
  if (fd_ >= 0) close(fd_);
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

std::string SegmentLog::PathOf(const Segment& s) const {
  return dir_ + "/" + LogSegmentName(s.first_seq);
}

Status SegmentLog::Recover(int64_t flushed_upto) {
  std::lock_guard lock(mu_);
  flushed_upto_ = std::max<int64_t>(flushed_upto, 0);
  next_seq_ = flushed_upto_ + 1;
  if (dir_.empty()) return Status::OK();

  ZP_ASSIGN_OR_RETURN(std::vector<int64_t> firsts, ListSegments(dir_));
  for (int64_t first : firsts) {
    Segment s{first, 0};
    struct stat st;
    if (stat(PathOf(s).c_str(), &st) != 0) return IoError("cannot stat", PathOf(s), errno);
    s.bytes = st.st_size;
    segments_.push_back(s);
  }
  if (segments_.empty()) return StartSegment(next_seq_);

  // Only the newest segment can end in a torn record: older ones were complete before the
  // newer one was started.
  Segment& newest = segments_.back();
  const std::string path = PathOf(newest);
  std::string data;
  ZP_RETURN_IF_ERROR(ReadFile(path, -1, &data));
  size_t offset = 0;
  int64_t last_seq = 0;
  std::string why;
  while (offset < data.size()) {
    int64_t seq = 0;
    std::string_view payload;
    size_t n = ParseRecord(data, offset, std::max(last_seq, newest.first_seq - 1), INT64_MAX, &seq,
                           &payload, &why);
    if (n == 0) break;
    last_seq = seq;
    offset += n;
  }
  fd_ = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) return IoError("cannot open", path, errno);
  if (offset < data.size()) {
    // A crash during an append leaves part of an unacknowledged group behind.
    LogWarning(
        "ingest log: {} at offset {} of '{}': dropping the last {} bytes (an append cut "
        "short by a crash)",
        why, offset, path, data.size() - offset);
    if (ftruncate(fd_, static_cast<off_t>(offset)) != 0) {
      return IoError("cannot truncate", path, errno);
    }
    if (fdatasync(fd_) != 0) return IoError("cannot sync", path, errno);
  }
  newest.bytes = static_cast<int64_t>(offset);
  next_seq_ = std::max({next_seq_, newest.first_seq, last_seq + 1});
  DeleteFlushedLocked();
  return Status::OK();
}

Status SegmentLog::StartSegment(int64_t first_seq) {
  Segment s{first_seq, 0};
  const std::string path = PathOf(s);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot create", path, errno);
  Status synced = SyncDir(dir_);
  if (!synced.ok()) {
    close(fd);
    unlink(path.c_str());
    return synced;
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  segments_.push_back(s);
  return Status::OK();
}

Result<int64_t> SegmentLog::Append(std::span<const std::span<const std::string>> batches) {
  std::lock_guard lock(mu_);
  if (!broken_.ok()) return broken_;
  size_t records = 0;
  size_t bytes = 0;
  for (const auto& batch : batches) {
    records += batch.size();
    for (const std::string& p : batch) bytes += kLogRecordHeaderBytes + p.size();
  }
  if (records == 0) return next_seq_ - 1;
  if (dir_.empty()) {
    for (const auto& batch : batches) {
      for (const std::string& p : batch) memory_.emplace_back(next_seq_++, p);
    }
    return next_seq_ - 1;
  }
  if (segments_.back().bytes > segment_bytes_) ZP_RETURN_IF_ERROR(StartSegment(next_seq_));

  buffer_.clear();
  buffer_.reserve(bytes);
  int64_t seq = next_seq_;
  for (const auto& batch : batches) {
    for (const std::string& p : batch) AppendRecord(&buffer_, seq++, p);
  }
  Segment& cur = segments_.back();
  const std::string path = PathOf(cur);
  Status written = WriteAll(fd_, buffer_, cur.bytes, path);
  if (!written.ok()) {
    // Cut the partial group off so the next append does not follow garbage.
    if (ftruncate(fd_, static_cast<off_t>(cur.bytes)) != 0) {
      broken_ = IoError("cannot cut a failed append off", path, errno)
                    .WithContext("appends refused until the store is reopened");
    }
    return written;
  }
  if (fdatasync(fd_) != 0) {
    // After a failed fsync the kernel may have dropped the dirty pages: what is on disk is
    // unknown, and a retry could report success for lost data. Recover() sorts it out.
    broken_ = IoError("cannot sync", path, errno)
                  .WithContext("appends refused until the store is reopened");
    return broken_;
  }
  cur.bytes += static_cast<int64_t>(buffer_.size());
  next_seq_ = seq;
  if (buffer_.capacity() > (size_t{16} << 20)) buffer_ = std::string();
  return seq - 1;
}

int64_t SegmentLog::LastSeq() {
  std::lock_guard lock(mu_);
  return next_seq_ - 1;
}

Status SegmentLog::Read(const std::function<Status(int64_t, std::string_view)>& fn) {
  std::lock_guard lock(mu_);
  if (dir_.empty()) {
    for (const auto& [seq, payload] : memory_) {
      if (seq > flushed_upto_) ZP_RETURN_IF_ERROR(fn(seq, payload));
    }
    return Status::OK();
  }
  std::string data;
  int64_t prev_seq = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    const bool is_open = i + 1 == segments_.size();
    const int64_t limit_seq = is_open ? INT64_MAX : segments_[i + 1].first_seq;
    if (limit_seq - 1 <= flushed_upto_) continue;  // flushed, awaiting deletion
    const std::string path = PathOf(segments_[i]);
    ZP_RETURN_IF_ERROR(ReadFile(path, is_open ? segments_[i].bytes : -1, &data));
    if (is_open && static_cast<int64_t>(data.size()) < segments_[i].bytes) {
      return DataLossError(fmt::format("ingest log: '{}' holds {} bytes, {} were written", path,
                                       data.size(), segments_[i].bytes));
    }
    prev_seq = std::max(prev_seq, segments_[i].first_seq - 1);
    size_t offset = 0;
    std::string why;
    while (offset < data.size()) {
      int64_t seq = 0;
      std::string_view payload;
      size_t n = ParseRecord(data, offset, prev_seq, limit_seq, &seq, &payload, &why);
      if (n == 0) {
        return DataLossError(fmt::format("ingest log: {} in '{}' at offset {}", why, path, offset));
      }
      if (seq > flushed_upto_) ZP_RETURN_IF_ERROR(fn(seq, payload));
      prev_seq = seq;
      offset += n;
    }
  }
  return Status::OK();
}

void SegmentLog::MarkFlushed(int64_t upto) {
  std::lock_guard lock(mu_);
  flushed_upto_ = std::max(flushed_upto_, upto);
  if (dir_.empty()) {
    while (!memory_.empty() && memory_.front().first <= flushed_upto_) memory_.pop_front();
    return;
  }
  DeleteFlushedLocked();
}

void SegmentLog::DeleteFlushedLocked() {
  // Segment i holds seqs below segments_[i + 1].first_seq.
  size_t flushed = 0;
  while (flushed + 1 < segments_.size() && segments_[flushed + 1].first_seq - 1 <= flushed_upto_) {
    ++flushed;
  }
  if (broken_.ok() && segments_.back().bytes > 0 && next_seq_ - 1 <= flushed_upto_) {
    Status started = StartSegment(next_seq_);
    if (started.ok()) {
      flushed = segments_.size() - 1;
    } else {
      LogWarning("ingest log: cannot start a new segment after a flush: {}", started.ToString());
    }
  }
  std::vector<Segment> kept;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (i < flushed) {
      const std::string path = PathOf(segments_[i]);
      if (unlink(path.c_str()) == 0 || errno == ENOENT) continue;
      LogWarning("ingest log: cannot delete flushed segment '{}': {}", path,
                 std::error_code(errno, std::generic_category()).message());
    }
    kept.push_back(segments_[i]);
  }
  segments_ = std::move(kept);
}

int64_t SegmentLog::Bytes() {
  std::lock_guard lock(mu_);
  int64_t total = 0;
  for (const Segment& s : segments_) total += s.bytes;
  return total;
}

void SegmentLog::SetSegmentBytesForTesting(int64_t bytes) {
  std::lock_guard lock(mu_);
  segment_bytes_ = bytes;
}

Status SegmentLog::WriteInitialSegment(
    const std::string& dir,
    const std::function<Result<bool>(int64_t* seq, std::string_view* payload)>& next) {
  struct stat st;
  if (stat(dir.c_str(), &st) == 0) {
    ZP_ASSIGN_OR_RETURN(std::vector<int64_t> stale, ListSegments(dir));
    for (int64_t first : stale) {
      const std::string path = dir + "/" + LogSegmentName(first);
      LogWarning("ingest log: removing '{}', left by an interrupted schema migration", path);
      if (unlink(path.c_str()) != 0 && errno != ENOENT)
        return IoError("cannot delete", path, errno);
    }
  }
  int64_t seq = 0;
  std::string_view payload;
  ZP_ASSIGN_OR_RETURN(bool more, next(&seq, &payload));
  if (!more) return Status::OK();
  ZP_RETURN_IF_ERROR(EnsureDir(dir));
  const std::string path = dir + "/" + LogSegmentName(seq);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot create", path, errno);
  auto write_all = [&]() -> Status {
    std::string buffer;
    int64_t offset = 0;
    int64_t prev = 0;
    while (more) {
      if (seq <= prev) return InternalError(fmt::format("ingest log: seq {} after {}", seq, prev));
      if (payload.size() > UINT32_MAX - kLogRecordHeaderBytes) {
        return InvalidArgumentError(fmt::format("ingest log entry {} is too large", seq));
      }
      prev = seq;
      AppendRecord(&buffer, seq, payload);
      if (buffer.size() >= (size_t{4} << 20)) {
        ZP_RETURN_IF_ERROR(WriteAll(fd, buffer, offset, path));
        offset += static_cast<int64_t>(buffer.size());
        buffer.clear();
      }
      ZP_ASSIGN_OR_RETURN(more, next(&seq, &payload));
    }
    ZP_RETURN_IF_ERROR(WriteAll(fd, buffer, offset, path));
    if (fdatasync(fd) != 0) return IoError("cannot sync", path, errno);
    return Status::OK();
  };
  Status s = write_all();
  close(fd);
  if (!s.ok()) {
    unlink(path.c_str());
    return s;
  }
  return SyncDir(dir);
}

}  // namespace zp::store
