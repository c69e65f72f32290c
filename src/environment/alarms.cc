#include "zp/environment/alarms.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace zp::environment {
namespace {

constexpr size_t kChangeRing = 1000;
constexpr size_t kMaxNoteChars = 2000;

using KeyView = std::tuple<std::string_view, std::string_view, std::string_view>;

// Unicode code points of UTF-8 text.
size_t CodePoints(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string_view TrimAscii(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// Takes the condition's value as the alarm's when it is the worst seen.
void TakeWorst(const Condition& c, store::AlarmRow* row) {
  if (c.value >= row->value) {
    row->value = c.value;
    row->limit = c.limit;
    row->unit = c.unit;
    row->detail = c.detail;
  }
}

// One more occurrence of the condition of an active alarm.
void Occur(const Condition& c, store::AlarmRow* row) {
  ++row->occurrences;
  row->last_s = std::max(row->last_s, c.time_s);
  row->cleared_s = 0;
  TakeWorst(c, row);
}

}  // namespace

AlarmBook::AlarmBook(store::Store& store) : store_(store) {}

Result<std::unique_ptr<AlarmBook>> AlarmBook::Open(store::Store& store) {
  std::unique_ptr<AlarmBook> book(new AlarmBook(store));
  store::AlarmFilter filter;
  filter.state = "active";
  std::vector<store::AlarmRow> rows;
  ZP_RETURN_IF_ERROR(
      store.ListAlarms(filter, [&](const store::AlarmRow& row) { rows.push_back(row); }));
  // Newest first: when (against the rules) two active alarms share a key, the newest is kept.
  for (store::AlarmRow& row : rows) {
    Key key(row.kind, row.source, row.pollutant);
    if (book->active_.count(key) != 0) continue;
    book->active_ids_.emplace(row.id, key);
    book->active_.emplace(std::move(key), std::move(row));
  }
  return book;
}

void AlarmBook::NoteChange(const store::AlarmRow& row) {
  ++version_;
  changes_.emplace_back(version_, row);
  if (changes_.size() > kChangeRing) changes_.pop_front();
  changed_.notify_all();
}

Result<int64_t> AlarmBook::Raise(const Condition& c, const Routing& routing, bool* created) {
  if (created != nullptr) *created = false;
  const KeyView key(c.kind, c.source, c.pollutant);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(key);
    if (it != active_.end()) {
      Occur(c, &it->second);
      dirty_.insert(it->second.id);
      NoteChange(it->second);
      return it->second.id;
    }
  }
  // A new alarm: inserted at once so that it has an id. The key is looked up again under
  // write_mu_, since another thread may have raised the same condition meanwhile.
  std::lock_guard<std::mutex> write(write_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(key);
    if (it != active_.end()) {
      Occur(c, &it->second);
      dirty_.insert(it->second.id);
      NoteChange(it->second);
      return it->second.id;
    }
  }
  store::AlarmRow row;
  row.kind = c.kind;
  row.state = std::string(kAlarmOpen);
  row.enterprise_code = routing.enterprise_code;
  row.zone_code = routing.zone_code;
  row.officer = routing.officer;
  row.source = c.source;
  row.pollutant = c.pollutant;
  row.opened_s = c.time_s;
  row.last_s = c.time_s;
  row.occurrences = 1;
  row.value = c.value;
  row.limit = c.limit;
  row.unit = c.unit;
  row.detail = c.detail;
  ZP_ASSIGN_OR_RETURN(row.id, store_.InsertAlarm(row));
  std::lock_guard<std::mutex> lock(mu_);
  Key stored_key(row.kind, row.source, row.pollutant);
  active_ids_.emplace(row.id, stored_key);
  auto [it, inserted] = active_.emplace(std::move(stored_key), std::move(row));
  NoteChange(it->second);
  if (created != nullptr) *created = true;
  return it->second.id;
}

bool AlarmBook::Update(const Condition& c) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(KeyView(c.kind, c.source, c.pollutant));
  if (it == active_.end()) return false;
  store::AlarmRow& row = it->second;
  row.last_s = std::max(row.last_s, c.time_s);
  TakeWorst(c, &row);
  dirty_.insert(row.id);
  NoteChange(row);
  return true;
}

Status AlarmBook::Clear(std::string_view kind, std::string_view source, std::string_view pollutant,
                        int64_t time_s) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(KeyView(kind, source, pollutant));
  if (it == active_.end()) return Status::OK();
  store::AlarmRow& row = it->second;
  if (row.cleared_s != 0 || time_s < row.last_s) return Status::OK();
  row.cleared_s = time_s;
  dirty_.insert(row.id);
  NoteChange(row);
  return Status::OK();
}

Status AlarmBook::Persist() {
  std::lock_guard<std::mutex> write(write_mu_);
  std::vector<store::AlarmRow> rows;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dirty_.empty()) return Status::OK();
    rows.reserve(dirty_.size());
    for (int64_t id : dirty_) {
      auto key = active_ids_.find(id);
      if (key == active_ids_.end()) continue;  // closed meanwhile (written then)
      rows.push_back(active_.find(key->second)->second);
    }
    dirty_.clear();
  }
  Status first;
  for (const store::AlarmRow& row : rows) {
    Status s = store_.UpdateAlarm(row);
    if (!s.ok()) {
      // Written again at the next Persist.
      std::lock_guard<std::mutex> lock(mu_);
      if (active_ids_.count(row.id) != 0) dirty_.insert(row.id);
      if (first.ok()) first = s.WithContext(fmt::format("persisting alarm {}", row.id));
    }
  }
  return first;
}

Result<store::AlarmRow> AlarmBook::ActiveCopy(int64_t id, std::string_view why_en,
                                              std::string_view why_zh) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = active_ids_.find(id);
    if (key != active_ids_.end()) return active_.find(key->second)->second;
  }
  ZP_ASSIGN_OR_RETURN(std::optional<store::AlarmRow> stored, store_.GetAlarm(id));
  if (!stored) return NotFoundError(fmt::format("no alarm {} / 报警 {} 不存在", id, id));
  return FailedPreconditionError(fmt::format("alarm {} is {} / 报警 {} {}", id,
                                             fmt::format(fmt::runtime(why_en), stored->state), id,
                                             why_zh));
}

Result<store::AlarmRow> AlarmBook::Acknowledge(int64_t id, std::string_view user, int64_t now_s) {
  std::lock_guard<std::mutex> write(write_mu_);
  ZP_ASSIGN_OR_RETURN(store::AlarmRow row, ActiveCopy(id, "{}, not open", "不是待处理状态"));
  if (row.state != kAlarmOpen) {
    return FailedPreconditionError(
        fmt::format("alarm {} is {}, not open / 报警 {} 已确认", id, row.state, id));
  }
  row.state = std::string(kAlarmAcknowledged);
  row.acknowledged_by = std::string(user);
  row.acknowledged_s = now_s;
  ZP_RETURN_IF_ERROR(store_.UpdateAlarm(row));
  std::lock_guard<std::mutex> lock(mu_);
  auto key = active_ids_.find(id);
  if (key != active_ids_.end()) {
    store::AlarmRow& live = active_.find(key->second)->second;
    live.state = row.state;
    live.acknowledged_by = row.acknowledged_by;
    live.acknowledged_s = row.acknowledged_s;
    NoteChange(live);
  }
  return row;
}

Result<store::AlarmRow> AlarmBook::Close(int64_t id, std::string_view user, std::string_view note,
                                         int64_t now_s) {
  note = TrimAscii(note);
  if (note.empty() || CodePoints(note) > kMaxNoteChars) {
    return InvalidArgumentError(
        fmt::format("closing alarm {} needs a note of 1 to {} characters / 关闭报警须填写说明 "
                    "(1-{} 字)",
                    id, kMaxNoteChars, kMaxNoteChars));
  }
  std::lock_guard<std::mutex> write(write_mu_);
  ZP_ASSIGN_OR_RETURN(store::AlarmRow row, ActiveCopy(id, "already {}", "已关闭"));
  row.state = std::string(kAlarmClosed);
  row.closed_by = std::string(user);
  row.closed_s = now_s;
  row.note = std::string(note);
  ZP_RETURN_IF_ERROR(store_.UpdateAlarm(row));
  std::lock_guard<std::mutex> lock(mu_);
  auto key = active_ids_.find(id);
  if (key != active_ids_.end()) {
    active_.erase(key->second);
    active_ids_.erase(key);
    dirty_.erase(id);
  }
  NoteChange(row);
  return row;
}

Result<std::vector<store::AlarmRow>> AlarmBook::List(const store::AlarmFilter& filter) {
  std::vector<store::AlarmRow> rows;
  ZP_RETURN_IF_ERROR(
      store_.ListAlarms(filter, [&](const store::AlarmRow& row) { rows.push_back(row); }));
  // Active alarms may have changed in memory since the last Persist: show their latest state.
  std::lock_guard<std::mutex> lock(mu_);
  for (store::AlarmRow& row : rows) {
    auto key = active_ids_.find(row.id);
    if (key != active_ids_.end()) row = active_.find(key->second)->second;
  }
  return rows;
}

Result<std::optional<store::AlarmRow>> AlarmBook::Get(int64_t id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = active_ids_.find(id);
    if (key != active_ids_.end()) {
      return std::optional<store::AlarmRow>(active_.find(key->second)->second);
    }
  }
  return store_.GetAlarm(id);
}

std::vector<store::AlarmRow> AlarmBook::Active() const {
  std::vector<store::AlarmRow> rows;
  std::lock_guard<std::mutex> lock(mu_);
  rows.reserve(active_ids_.size());
  for (auto it = active_ids_.rbegin(); it != active_ids_.rend(); ++it) {
    rows.push_back(active_.find(it->second)->second);
  }
  return rows;
}

std::optional<store::AlarmRow> AlarmBook::FindActive(std::string_view kind, std::string_view source,
                                                     std::string_view pollutant) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(KeyView(kind, source, pollutant));
  if (it == active_.end()) return std::nullopt;
  return it->second;
}

uint64_t AlarmBook::version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

uint64_t AlarmBook::WaitForChanges(uint64_t after, std::chrono::milliseconds timeout,
                                   std::vector<store::AlarmRow>* changed, bool* gap) {
  *gap = false;
  std::unique_lock<std::mutex> lock(mu_);
  // A version from the future (a client of an earlier process) cannot be served: reload.
  if (after > version_) {
    *gap = true;
    return version_;
  }
  changed_.wait_for(lock, timeout, [&] { return version_ > after; });
  if (version_ <= after) return version_;
  if (changes_.empty() || changes_.front().first > after + 1) {
    *gap = true;
    return version_;
  }
  // Each alarm once, in the order of its latest change.
  auto first = std::lower_bound(
      changes_.begin(), changes_.end(), after + 1,
      [](const std::pair<uint64_t, store::AlarmRow>& c, uint64_t v) { return c.first < v; });
  std::vector<const store::AlarmRow*> picked;
  std::set<int64_t> seen;
  for (auto it = changes_.end(); it != first;) {
    --it;
    if (seen.insert(it->second.id).second) picked.push_back(&it->second);
  }
  for (auto it = picked.rbegin(); it != picked.rend(); ++it) changed->push_back(**it);
  return version_;
}

}  // namespace zp::environment
