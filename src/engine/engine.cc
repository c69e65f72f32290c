#include "zp/engine/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "log_codec.h"
#include "zp/base/logging.h"
#include "zp/tsdb/memtable.h"
#include "zp/tsdb/rollup.h"
#include "zp/units/units.h"

namespace zp::engine {

std::string_view PeriodName(Period p) {
  switch (p) {
    case Period::kHour:
      return "hour";
    case Period::kDay:
      return "day";
    case Period::kMonth:
      return "month";
    case Period::kYear:
      return "year";
  }
  return "day";
}

Result<Period> ParsePeriod(std::string_view s) {
  for (Period p : {Period::kHour, Period::kDay, Period::kMonth, Period::kYear}) {
    if (PeriodName(p) == s) return p;
  }
  return InvalidArgumentError("unknown period '" + std::string(s) + "' (hour, day, month, year)");
}

std::string_view GroupByName(GroupBy g) {
  switch (g) {
    case GroupBy::kMeter:
      return "meter";
    case GroupBy::kEnterprise:
      return "enterprise";
    case GroupBy::kZone:
      return "zone";
    case GroupBy::kCarrier:
      return "carrier";
    case GroupBy::kPark:
      return "park";
  }
  return "park";
}

Result<GroupBy> ParseGroupBy(std::string_view s) {
  for (GroupBy g :
       {GroupBy::kMeter, GroupBy::kEnterprise, GroupBy::kZone, GroupBy::kCarrier, GroupBy::kPark}) {
    if (GroupByName(g) == s) return g;
  }
  return InvalidArgumentError("unknown grouping '" + std::string(s) +
                              "' (meter, enterprise, zone, carrier, park)");
}

namespace {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

class MeterIndexImpl : public MeterIndex {
 public:
  const MeterRef* Find(std::string_view code) const override {
    auto it = by_code_.find(code);
    return it == by_code_.end() ? nullptr : &it->second;
  }
  const MeterRef* FindById(int64_t id) const override {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
  }
  void Add(MeterRef ref) {
    std::string code = ref.code;
    auto [it, inserted] = by_code_.emplace(std::move(code), std::move(ref));
    by_id_[it->second.id] = &it->second;
  }

 private:
  std::unordered_map<std::string, MeterRef, StringHash, std::equal_to<>> by_code_;
  std::unordered_map<int64_t, const MeterRef*> by_id_;
};

// Everything the flush and query paths need to know of a physical series.
struct SeriesInfo {
  tsdb::SeriesSpec spec;
  units::Carrier carrier = units::Carrier::kElectricity;
  // Runs of exact zeros at least this long are suspected gaps (model::SuspectZeroRunSeconds).
  int64_t suspect_zero_run_s = 0;
};

// A registry snapshot: immutable once built, swapped as a whole on change.
struct Registry {
  model::Park park;
  TimeZone zone;
  std::map<std::string, model::Zone, std::less<>> zones;
  std::map<std::string, model::Enterprise, std::less<>> enterprises;
  std::map<std::string, model::Meter, std::less<>> meters;
  std::unordered_map<int64_t, const model::Meter*> meters_by_id;
  std::unordered_map<int64_t, SeriesInfo> series;
  std::shared_ptr<const MeterIndexImpl> index;
};

// Register replacements are kept as settings "register_replacement/<meter code>", one
// "ts_s,old_final,new_initial" line per replacement (the same on every backend).
constexpr std::string_view kReplacementPrefix = "register_replacement/";

std::string FormatReplacements(const std::vector<tsdb::RegisterReplacement>& list) {
  std::string out;
  for (const auto& r : list) {
    out += fmt::format("{},{},{}\n", r.ts_s, r.old_final, r.new_initial);
  }
  return out;
}

Result<std::vector<tsdb::RegisterReplacement>> ParseReplacements(std::string_view text) {
  std::vector<tsdb::RegisterReplacement> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string line(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    tsdb::RegisterReplacement r;
    char tail = 0;
    long long ts = 0;
    if (std::sscanf(line.c_str(), "%lld,%lf,%lf%c", &ts, &r.old_final, &r.new_initial, &tail) !=
        3) {
      return DataLossError("corrupt register replacement record '" + line + "'");
    }
    r.ts_s = ts;
    out.push_back(r);
  }
  return out;
}

Result<SeriesInfo> MakeSeriesInfo(const model::Meter& m) {
  ZP_ASSIGN_OR_RETURN(const units::Unit* unit, units::FindUnit(m.unit));
  const units::CarrierInfo& ci = units::GetCarrierInfo(m.carrier);
  ZP_ASSIGN_OR_RETURN(const units::Unit* canonical, units::FindUnit(ci.canonical_unit));
  ZP_ASSIGN_OR_RETURN(double factor, units::ConversionFactor(*unit, *canonical));
  SeriesInfo info;
  info.spec.cumulative = m.kind == model::MeterKind::kCumulative;
  info.spec.interval_s = m.interval_s;
  info.spec.register_digits = m.register_digits;
  info.spec.scale = m.multiplier * factor;
  info.carrier = m.carrier;
  info.suspect_zero_run_s = model::SuspectZeroRunSeconds(m);
  return info;
}

// Current enterprise data, ordered by key (enterprise, indicator, item, period); the key alone
// compares, so a set holds one version per key.
struct EnterpriseDatumKeyLess {
  bool operator()(const model::EnterpriseDatum& a, const model::EnterpriseDatum& b) const {
    if (int c = a.enterprise_code.compare(b.enterprise_code); c != 0) return c < 0;
    if (int c = a.indicator.compare(b.indicator); c != 0) return c < 0;
    if (int c = a.item.compare(b.item); c != 0) return c < 0;
    return a.period < b.period;
  }
};
using EnterpriseDataSet = std::set<model::EnterpriseDatum, EnterpriseDatumKeyLess>;

// Applies one version (ascending seq) to the current values.
void ApplyEnterpriseDatum(EnterpriseDataSet* current, const model::EnterpriseDatum& d) {
  auto it = current->find(d);
  if (it != current->end()) it = current->erase(it);
  if (!d.deleted) current->insert(it, d);
}

// The code of an indicator given by code or Chinese name; "" stays "" (all).
Result<std::string> IndicatorFilter(std::string_view indicator) {
  if (indicator.empty()) return std::string();
  for (const model::IndicatorInfo& i : model::AllIndicators()) {
    if (i.code == indicator || i.name_zh == indicator) return std::string(i.code);
  }
  return model::FindIndicator(indicator).error();
}

// An enterprise code as the registry keeps it (trimmed, upper case).
std::string EnterpriseCodeFilter(std::string_view code) {
  while (!code.empty() && (code.front() == ' ' || code.front() == '\t')) code.remove_prefix(1);
  while (!code.empty() && (code.back() == ' ' || code.back() == '\t')) code.remove_suffix(1);
  std::string out(code);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

class EngineImpl final : public Engine {
 public:
  EngineImpl(std::unique_ptr<store::Store> store, EngineOptions options)
      : store_(std::move(store)), options_(options) {}

  ~EngineImpl() override {
    {
      std::lock_guard<std::mutex> l(bg_mu_);
      stop_ = true;
    }
    bg_cv_.notify_all();
    if (bg_.joinable()) bg_.join();
    // Memtable contents are in the log (or were unlogged bulk loads); flush for a clean close.
    if (options_.flush_on_close) {
      Status s = Flush();
      if (!s.ok()) LogWarning("flush at close failed: {}", s.ToString());
    }
  }

  Status Init() {
    ZP_RETURN_IF_ERROR(LoadRegistry());
    // Replay the ingest log.
    int64_t replayed = 0;
    internal::LogEntry entry;
    Status s = store_->ReadLog([&](int64_t seq, std::string_view payload) -> Status {
      ZP_RETURN_IF_ERROR(internal::DecodeLogEntry(payload, &entry)
                             .WithContext("ingest log entry " + std::to_string(seq)));
      const uint32_t source_id = InternSource(entry.source, entry.recorded_s);
      for (const ReadingIn& r : entry.readings) {
        active_.Add(r.meter_id, r.ts_s, r.value, source_id);
      }
      active_max_seq_ = std::max(active_max_seq_, seq);
      replayed += static_cast<int64_t>(entry.readings.size());
      return Status::OK();
    });
    ZP_RETURN_IF_ERROR(s);
    if (replayed > 0) LogInfo("recovered {} readings from the ingest log", replayed);
    if (options_.background) bg_ = std::thread([this] { BackgroundLoop(); });
    return Status::OK();
  }

  // ---------------------------------------------------------------- registry

  model::Park GetPark() const override { return Snapshot()->park; }
  TimeZone zone() const override { return Snapshot()->zone; }

  Status PutPark(const model::Park& park) override {
    ZP_RETURN_IF_ERROR(model::ValidatePark(park));
    std::lock_guard<std::mutex> w(registry_write_mu_);
    auto reg = Snapshot();
    if (park.time_zone != reg->park.time_zone && AnyMeterHasData(*reg)) {
      return FailedPreconditionError(
          "the park's time zone cannot change once readings are stored (day boundaries of "
          "stored rollups depend on it)");
    }
    ZP_RETURN_IF_ERROR(store_->PutPark(park));
    return LoadRegistry();
  }

  Result<model::Zone> PutZone(const model::Zone& z, bool create) override {
    ZP_RETURN_IF_ERROR(model::ValidateZone(z));
    std::lock_guard<std::mutex> w(registry_write_mu_);
    if (create) {
      ZP_RETURN_IF_ERROR(store_->InsertZone(z).status());
    } else {
      ZP_RETURN_IF_ERROR(store_->UpdateZone(z));
    }
    ZP_RETURN_IF_ERROR(LoadRegistry());
    return GetZone(z.code);
  }

  Status DeleteZone(std::string_view code) override {
    std::lock_guard<std::mutex> w(registry_write_mu_);
    auto reg = Snapshot();
    for (const auto& [c, e] : reg->enterprises) {
      if (e.zone_code == code) {
        return FailedPreconditionError("zone " + std::string(code) + " still has enterprise " + c +
                                       "; move or delete its enterprises first");
      }
    }
    ZP_RETURN_IF_ERROR(store_->DeleteZone(code));
    return LoadRegistry();
  }

  std::vector<model::Zone> ListZones() const override {
    auto reg = Snapshot();
    std::vector<model::Zone> out;
    for (const auto& [c, z] : reg->zones) out.push_back(z);
    return out;
  }

  Result<model::Zone> GetZone(std::string_view code) const override {
    auto reg = Snapshot();
    auto it = reg->zones.find(code);
    if (it == reg->zones.end()) return NotFoundError("no zone '" + std::string(code) + "'");
    return it->second;
  }

  Result<model::Enterprise> PutEnterprise(const model::Enterprise& in, bool create) override {
    model::Enterprise e = in;
    ZP_RETURN_IF_ERROR(model::NormalizeEnterprise(&e));
    ZP_RETURN_IF_ERROR(model::ValidateEnterprise(e));
    std::lock_guard<std::mutex> w(registry_write_mu_);
    auto reg = Snapshot();
    ZP_RETURN_IF_ERROR(CheckEnterpriseRefs(*reg, e, {}));
    if (create) {
      ZP_RETURN_IF_ERROR(store_->InsertEnterprise(e).status());
    } else {
      ZP_RETURN_IF_ERROR(store_->UpdateEnterprise(e));
    }
    ZP_RETURN_IF_ERROR(LoadRegistry());
    return GetEnterprise(e.code);
  }

  Status DeleteEnterprise(std::string_view code) override {
    std::lock_guard<std::mutex> w(registry_write_mu_);
    auto reg = Snapshot();
    for (const auto& [c, m] : reg->meters) {
      if (m.enterprise_code == code) {
        return FailedPreconditionError("enterprise " + std::string(code) + " still has meter " + c +
                                       "; delete or reassign its meters first");
      }
    }
    ZP_RETURN_IF_ERROR(store_->DeleteEnterprise(code));
    return LoadRegistry();
  }

  std::vector<model::Enterprise> ListEnterprises() const override {
    auto reg = Snapshot();
    std::vector<model::Enterprise> out;
    for (const auto& [c, e] : reg->enterprises) out.push_back(e);
    return out;
  }

  Result<model::Enterprise> GetEnterprise(std::string_view code) const override {
    auto reg = Snapshot();
    auto it = reg->enterprises.find(code);
    if (it == reg->enterprises.end()) {
      return NotFoundError("no enterprise '" + std::string(code) + "'");
    }
    return it->second;
  }

  Result<model::Meter> PutMeter(const model::Meter& m, bool create) override {
    ZP_RETURN_IF_ERROR(model::ValidateMeter(m));
    std::lock_guard<std::mutex> w(registry_write_mu_);
    auto reg = Snapshot();
    ZP_RETURN_IF_ERROR(CheckMeterRefs(*reg, m, {}));
    if (create) {
      ZP_RETURN_IF_ERROR(store_->InsertMeter(m).status());
    } else {
      auto it = reg->meters.find(m.code);
      if (it == reg->meters.end()) return NotFoundError("no meter '" + m.code + "'");
      const model::Meter& old = it->second;
      const bool semantics_changed = old.kind != m.kind || old.unit != m.unit ||
                                     old.carrier != m.carrier || old.multiplier != m.multiplier ||
                                     old.register_digits != m.register_digits ||
                                     old.interval_s != m.interval_s;
      if (semantics_changed && SeriesHasData(old.id)) {
        return FailedPreconditionError(
            "meter " + m.code +
            " has readings; its kind, carrier, unit, multiplier, interval and register width "
            "cannot change (register a replacement meter instead)");
      }
      ZP_RETURN_IF_ERROR(store_->UpdateMeter(m));
    }
    ZP_RETURN_IF_ERROR(LoadRegistry());
    return GetMeter(m.code);
  }

  Status DeleteMeter(std::string_view code) override {
    std::lock_guard<std::mutex> w(registry_write_mu_);
    auto reg = Snapshot();
    auto it = reg->meters.find(code);
    if (it == reg->meters.end()) return NotFoundError("no meter '" + std::string(code) + "'");
    for (const auto& [c, m] : reg->meters) {
      if (m.parent_code == code) {
        return FailedPreconditionError("meter " + std::string(code) + " is the parent of " + c);
      }
      if (m.kind == model::MeterKind::kVirtual) {
        auto terms = model::ParseFormula(m.formula);
        if (terms.ok()) {
          for (const auto& t : *terms) {
            if (t.meter_code == code) {
              return FailedPreconditionError("meter " + std::string(code) +
                                             " is used by virtual meter " + c);
            }
          }
        }
      }
    }
    if (SeriesHasData(it->second.id)) {
      return FailedPreconditionError("meter " + std::string(code) +
                                     " has readings and cannot be deleted");
    }
    ZP_RETURN_IF_ERROR(store_->DeleteMeter(code));
    return LoadRegistry();
  }

  std::vector<model::Meter> ListMeters() const override {
    auto reg = Snapshot();
    std::vector<model::Meter> out;
    for (const auto& [c, m] : reg->meters) out.push_back(m);
    return out;
  }

  Result<model::Meter> GetMeter(std::string_view code) const override {
    auto reg = Snapshot();
    auto it = reg->meters.find(code);
    if (it == reg->meters.end()) return NotFoundError("no meter '" + std::string(code) + "'");
    return it->second;
  }

  Status ImportRegistry(const std::vector<model::Zone>& zones_in,
                        const std::vector<model::Enterprise>& enterprises_in,
                        const std::vector<model::Meter>& meters_in) override {
    std::lock_guard<std::mutex> w(registry_write_mu_);
    auto reg = Snapshot();
    std::set<std::string, std::less<>> new_zones, new_enterprises;
    std::map<std::string, const model::Meter*, std::less<>> new_meters;
    for (const model::Zone& z : zones_in) {
      ZP_RETURN_IF_ERROR(model::ValidateZone(z).WithContext("zone " + z.code));
      if (reg->zones.count(z.code) || !new_zones.insert(z.code).second) {
        return AlreadyExistsError("zone " + z.code + " already exists");
      }
    }
    std::vector<model::Enterprise> enterprises = enterprises_in;
    for (model::Enterprise& e : enterprises) {
      ZP_RETURN_IF_ERROR(model::NormalizeEnterprise(&e).WithContext("enterprise " + e.code));
      ZP_RETURN_IF_ERROR(model::ValidateEnterprise(e).WithContext("enterprise " + e.code));
      if (reg->enterprises.count(e.code) || !new_enterprises.insert(e.code).second) {
        return AlreadyExistsError("enterprise " + e.code + " already exists");
      }
      if (!e.zone_code.empty() && !reg->zones.count(e.zone_code) && !new_zones.count(e.zone_code)) {
        return InvalidArgumentError("enterprise " + e.code + ": unknown zone '" + e.zone_code +
                                    "'");
      }
    }
    for (const model::Meter& m : meters_in) {
      ZP_RETURN_IF_ERROR(model::ValidateMeter(m).WithContext("meter " + m.code));
      if (reg->meters.count(m.code) || !new_meters.emplace(m.code, &m).second) {
        return AlreadyExistsError("meter " + m.code + " already exists");
      }
    }
    for (const model::Meter& m : meters_in) {
      ZP_RETURN_IF_ERROR(CheckMeterRefs(*reg, m, new_meters, &new_enterprises));
    }
    // Parents before children so a backend with foreign keys could accept them in order.
    std::vector<model::Meter> ordered;
    std::set<std::string, std::less<>> placed;
    std::function<void(const model::Meter&)> place = [&](const model::Meter& m) {
      if (placed.count(m.code)) return;
      placed.insert(m.code);
      if (!m.parent_code.empty()) {
        auto it = new_meters.find(m.parent_code);
        if (it != new_meters.end()) place(*it->second);
      }
      ordered.push_back(m);
    };
    for (const model::Meter& m : meters_in) place(m);
    ZP_RETURN_IF_ERROR(store_->InsertRegistryBatch(zones_in, enterprises, ordered));
    return LoadRegistry();
  }

  std::shared_ptr<const MeterIndex> meter_index() const override { return Snapshot()->index; }

  Status AddRegisterReplacement(std::string_view meter_code,
                                const tsdb::RegisterReplacement& r) override {
    std::vector<tsdb::Point> to_reroll;
    int64_t id = 0;
    {
      std::lock_guard<std::mutex> w(registry_write_mu_);
      auto reg = Snapshot();
      auto it = reg->meters.find(meter_code);
      if (it == reg->meters.end()) {
        return NotFoundError("no meter '" + std::string(meter_code) + "'");
      }
      if (it->second.kind != model::MeterKind::kCumulative) {
        return InvalidArgumentError("meter " + std::string(meter_code) +
                                    " is not cumulative; only a register can be replaced");
      }
      if (!std::isfinite(r.old_final) || !std::isfinite(r.new_initial) || r.old_final < 0 ||
          r.new_initial < 0) {
        return InvalidArgumentError("register readings must be finite and not negative");
      }
      id = it->second.id;
      std::vector<tsdb::RegisterReplacement> list = reg->series.at(id).spec.replacements;
      for (const auto& old : list) {
        if (old.ts_s == r.ts_s) {
          return AlreadyExistsError("meter " + std::string(meter_code) +
                                    " already has a register replacement at " +
                                    FormatTimestamp(r.ts_s, reg->zone));
        }
      }
      list.push_back(r);
      std::sort(list.begin(), list.end(),
                [](const auto& a, const auto& b) { return a.ts_s < b.ts_s; });
      ZP_RETURN_IF_ERROR(store_->PutSetting(
          std::string(kReplacementPrefix) + std::string(meter_code), FormatReplacements(list)));
      ZP_RETURN_IF_ERROR(LoadRegistry());
      // The stored readings around the change, written again, make the next flush re-roll the
      // days whose sums change (same values: no corrections are recorded).
      auto now = Snapshot();
      const int32_t day = now->zone.LocalDay(r.ts_s);
      ZP_RETURN_IF_ERROR(MergedPointsByDay(*now, id, day - 1, day + 2, &to_reroll));
    }
    if (!to_reroll.empty()) {
      const uint32_t source_id = InternSource("register replacement", NowSeconds());
      std::lock_guard<std::mutex> m(mem_mu_);
      for (const tsdb::Point& p : to_reroll) active_.Add(id, p.ts_s, p.value, source_id);
    }
    return Flush();
  }

  Result<std::vector<tsdb::RegisterReplacement>> RegisterReplacements(
      std::string_view meter_code) const override {
    auto reg = Snapshot();
    auto it = reg->meters.find(meter_code);
    if (it == reg->meters.end()) return NotFoundError("no meter '" + std::string(meter_code) + "'");
    auto s = reg->series.find(it->second.id);
    if (s == reg->series.end()) return std::vector<tsdb::RegisterReplacement>{};
    return s->second.spec.replacements;
  }

  // ---------------------------------------------------------------- write path

  Result<WriteStats> Write(std::span<const ReadingIn> readings, std::string_view source) override {
    ZP_RETURN_IF_ERROR(CheckReadings(readings));
    WriteStats stats;
    if (readings.empty()) return stats;
    Pending p;
    p.readings = readings;
    p.recorded_s = NowSeconds();
    p.source = source;
    p.payload = internal::EncodeLogEntry(source, p.recorded_s, readings);
    std::unique_lock<std::mutex> l(commit_mu_);
    queue_.push_back(&p);
    while (!p.done) {
      if (!committing_) {
        committing_ = true;
        std::vector<Pending*> group(queue_.begin(), queue_.end());
        queue_.clear();
        l.unlock();
        CommitGroup(group);
        l.lock();
        committing_ = false;
        commit_cv_.notify_all();
      } else {
        commit_cv_.wait(l);
      }
    }
    l.unlock();
    ZP_RETURN_IF_ERROR(p.status);
    stats.accepted = static_cast<int64_t>(readings.size());
    stats.log_seq = p.seq;
    MaybeWakeFlusher();
    return stats;
  }

  Status WriteUnlogged(std::span<const ReadingIn> readings, std::string_view source) override {
    ZP_RETURN_IF_ERROR(CheckReadings(readings));
    const uint32_t source_id = InternSource(source, NowSeconds());
    {
      std::lock_guard<std::mutex> m(mem_mu_);
      for (const ReadingIn& r : readings) active_.Add(r.meter_id, r.ts_s, r.value, source_id);
    }
    readings_written_ += static_cast<int64_t>(readings.size());
    MaybeWakeFlusher();
    return Status::OK();
  }

  Status Flush() override {
    std::lock_guard<std::mutex> f(flush_mu_);
    int64_t upto = 0;
    {
      std::lock_guard<std::mutex> m(mem_mu_);
      if (active_.empty()) return Status::OK();
      immutable_ = std::make_shared<tsdb::Memtable>(std::move(active_));
      active_ = tsdb::Memtable();
      upto = active_max_seq_;
      oldest_unflushed_s_ = 0;
    }
    Status s = FlushImmutable(*immutable_, upto);
    std::lock_guard<std::mutex> m(mem_mu_);
    if (!s.ok()) {
      // Keep the readings: put them back in front of newer ones.
      tsdb::Memtable merged = std::move(*immutable_);
      for (int64_t id : active_.SeriesIds()) {
        for (const tsdb::MemPoint& p : active_.All(id))
          merged.Add(id, p.ts_s, p.value, p.source_id);
      }
      active_ = std::move(merged);
      immutable_.reset();
      return s;
    }
    immutable_.reset();
    ++flushes_;
    return Status::OK();
  }

  Status ApplyRetention(int64_t now_s) override {
    auto reg = Snapshot();
    if (reg->park.raw_retention_days <= 0) return Status::OK();
    std::lock_guard<std::mutex> f(flush_mu_);
    const int32_t cutoff = reg->zone.LocalDay(now_s) - reg->park.raw_retention_days;
    std::vector<std::pair<int64_t, int32_t>> todo;
    ZP_RETURN_IF_ERROR(store_->ListRawChunksBefore(
        cutoff, [&](int64_t id, int32_t day) { todo.emplace_back(id, day); }));
    store::FlushBatch batch;
    for (const auto& [id, day] : todo) {
      auto it = reg->series.find(id);
      if (it == reg->series.end()) continue;
      ZP_ASSIGN_OR_RETURN(auto hours, HourlyFromStore(*reg, id, it->second, day, day + 1));
      std::vector<store::Chunk> cur;
      ZP_RETURN_IF_ERROR(store_->ReadChunks(id, day, day + 1, &cur));
      if (cur.empty()) continue;
      store::Chunk c = cur[0];
      std::vector<tsdb::Point> pts;
      for (const tsdb::HourSum& h : hours) pts.push_back({h.hour_start_s, h.sum});
      c.resolution_s = 3600;
      c.data = tsdb::EncodeChunk(pts);
      c.count = static_cast<int32_t>(pts.size());
      batch.chunks.push_back(std::move(c));
      if (batch.chunks.size() >= 10000) {
        ZP_RETURN_IF_ERROR(store_->Commit(batch));
        batch.chunks.clear();
      }
    }
    if (!batch.chunks.empty()) ZP_RETURN_IF_ERROR(store_->Commit(batch));
    if (!todo.empty()) LogInfo("retention: rolled {} raw series-days up to hourly", todo.size());
    return Status::OK();
  }

  // ---------------------------------------------------------------- queries

  Result<std::vector<tsdb::Point>> ReadRaw(std::string_view meter_code, int64_t from_s,
                                           int64_t to_s) override {
    auto reg = Snapshot();
    auto it = reg->meters.find(meter_code);
    if (it == reg->meters.end()) {
      return NotFoundError("no meter '" + std::string(meter_code) + "'");
    }
    if (it->second.kind == model::MeterKind::kVirtual) {
      return InvalidArgumentError("meter " + std::string(meter_code) +
                                  " is virtual and has no raw readings; query its sums");
    }
    if (to_s <= from_s) return std::vector<tsdb::Point>{};
    std::vector<tsdb::Point> out;
    ZP_RETURN_IF_ERROR(MergedPoints(*reg, it->second.id, from_s, to_s, &out));
    return out;
  }

  Result<std::vector<SumRow>> Sums(const SumQuery& q) override {
    auto reg = Snapshot();
    const TimeZone& tz = reg->zone;
    if (q.to_s <= q.from_s) return InvalidArgumentError("'to' must be after 'from'");
    // Align the range outward to whole periods.
    const int32_t from_day = tz.LocalDay(q.from_s);
    const int32_t to_day_excl = tz.LocalDay(q.to_s - 1) + 1;
    int64_t from_s = q.from_s, to_s = q.to_s;
    switch (q.period) {
      case Period::kHour:
        from_s = tz.FromLocal(FloorDiv(tz.ToLocal(q.from_s), 3600) * 3600);
        to_s = tz.FromLocal((FloorDiv(tz.ToLocal(q.to_s - 1), 3600) + 1) * 3600);
        break;
      case Period::kDay:
        from_s = tz.DayStart(from_day);
        to_s = tz.DayStart(to_day_excl);
        break;
      case Period::kMonth:
        from_s = tz.MonthStart(tz.LocalMonth(q.from_s));
        to_s = tz.MonthStart(tz.LocalMonth(q.to_s - 1) + 1);
        break;
      case Period::kYear: {
        const int32_t y0 = MonthIndexYear(tz.LocalMonth(q.from_s));
        const int32_t y1 = MonthIndexYear(tz.LocalMonth(q.to_s - 1));
        from_s = tz.MonthStart(MonthIndex(y0, 1));
        to_s = tz.MonthStart(MonthIndex(y1 + 1, 1));
        break;
      }
    }
    if (q.period == Period::kHour && to_s - from_s > 400LL * 86400) {
      return InvalidArgumentError("hourly sums are limited to 400 days per query");
    }
    // Select the members: (group key, sign, physical series) per selected meter.
    struct Member {
      std::string group;
      const model::Meter* meter;
      double sign;
    };
    std::vector<Member> members;
    ZP_RETURN_IF_ERROR(
        SelectMembers(*reg, q, [&](std::string group, const model::Meter* m, double sign) {
          members.push_back({std::move(group), m, sign});
        }));
    // Physical series needed (virtual meters expand to their terms).
    std::set<int64_t> needed;
    for (const Member& mb : members) {
      if (mb.meter->kind == model::MeterKind::kVirtual) {
        for (const auto& [sign, id] : ExpandVirtual(*reg, *mb.meter)) needed.insert(id);
      } else {
        needed.insert(mb.meter->id);
      }
    }
    // Per series: period start -> (sum, readings).
    using Buckets = std::map<int64_t, std::pair<double, int64_t>>;
    std::unordered_map<int64_t, Buckets> per_series;
    ZP_RETURN_IF_ERROR(SeriesBuckets(*reg, needed, q.period, from_s, to_s, &per_series));
    // Combine into groups.
    std::map<std::pair<std::string, units::Carrier>, Buckets> groups;
    for (const Member& mb : members) {
      Buckets& g = groups[{mb.group, mb.meter->carrier}];
      // Readings are counted for members, not for meters taken out of a feeding enterprise.
      auto add = [&](int64_t id, double sign) {
        auto it = per_series.find(id);
        if (it == per_series.end()) return;
        for (const auto& [t, v] : it->second) {
          auto& cell = g[t];
          cell.first += sign * mb.sign * v.first;
          if (mb.sign > 0) cell.second += v.second;
        }
      };
      if (mb.meter->kind == model::MeterKind::kVirtual) {
        for (const auto& [sign, id] : ExpandVirtual(*reg, *mb.meter)) add(id, sign);
      } else {
        add(mb.meter->id, 1.0);
      }
    }
    std::vector<SumRow> rows;
    for (const auto& [key, buckets] : groups) {
      for (const auto& [t, v] : buckets) {
        rows.push_back(SumRow{key.first, key.second, t, v.first, v.second});
      }
    }
    std::sort(rows.begin(), rows.end(), [](const SumRow& a, const SumRow& b) {
      if (a.group != b.group) return a.group < b.group;
      if (a.carrier != b.carrier) return a.carrier < b.carrier;
      return a.period_start_s < b.period_start_s;
    });
    return rows;
  }

  Result<std::vector<CompletenessRow>> Completeness(std::span<const std::string> meters,
                                                    int32_t from_day, int32_t to_day) override {
    auto reg = Snapshot();
    if (to_day <= from_day) return InvalidArgumentError("'to' must be after 'from'");
    if (to_day - from_day > 3660) return InvalidArgumentError("at most 10 years per query");
    std::vector<const model::Meter*> list;
    if (meters.empty()) {
      for (const auto& [c, m] : reg->meters) {
        if (m.kind != model::MeterKind::kVirtual) list.push_back(&m);
      }
    } else {
      for (const std::string& code : meters) {
        auto it = reg->meters.find(code);
        if (it == reg->meters.end()) return NotFoundError("no meter '" + code + "'");
        if (it->second.kind == model::MeterKind::kVirtual) {
          return InvalidArgumentError("meter " + code +
                                      " is virtual; completeness is per "
                                      "physical meter");
        }
        list.push_back(&it->second);
      }
    }
    std::vector<int64_t> ids;
    for (const model::Meter* m : list) ids.push_back(m->id);
    std::unordered_map<int64_t, std::map<int32_t, store::Chunk>> stored;
    ZP_RETURN_IF_ERROR(store_->ReadDailyRollups(
        ids, from_day, to_day, [&](const store::Chunk& c) { stored[c.series_id][c.day] = c; }));
    // Overlay unflushed days.
    auto dirty = DirtyDays(*reg);
    for (const model::Meter* m : list) {
      auto d = dirty.find(m->id);
      if (d == dirty.end()) continue;
      const SeriesInfo& info = reg->series.at(m->id);
      for (int32_t day : d->second) {
        if (day < from_day || day >= to_day) continue;
        ZP_ASSIGN_OR_RETURN(store::Chunk c, RecomputeDay(*reg, m->id, info, day));
        stored[m->id][day] = c;
      }
    }
    std::vector<CompletenessRow> rows;
    for (const model::Meter* m : list) {
      const auto& days = stored[m->id];
      for (int32_t day = from_day; day < to_day; ++day) {
        CompletenessRow r;
        r.meter = m->code;
        r.day = day;
        r.expected = static_cast<int32_t>(reg->zone.DayLength(day) / std::max(1, m->interval_s));
        if (r.expected == 0) r.expected = 1;
        auto it = days.find(day);
        if (it != days.end() && it->second.resolution_s == 0) {
          r.received = it->second.count;
          r.suspect_zero = it->second.suspect_zero;
          r.flagged = it->second.flagged;
        } else if (it != days.end()) {
          r.received = r.expected;  // rolled up by retention; counted when it was raw
        }
        rows.push_back(std::move(r));
      }
    }
    return rows;
  }

  Result<std::vector<store::Correction>> Corrections(std::string_view meter_code, int64_t from_s,
                                                     int64_t to_s) override {
    ZP_ASSIGN_OR_RETURN(model::Meter m, GetMeter(meter_code));
    std::vector<store::Correction> out;
    ZP_RETURN_IF_ERROR(store_->ReadCorrections(m.id, from_s, to_s, &out));
    return out;
  }

  // ---------------------------------------------------------------- enterprise data

  Result<std::vector<model::EnterpriseDatum>> PutEnterpriseData(
      std::vector<model::EnterpriseDatum> rows) override {
    if (rows.empty()) return rows;
    const int64_t now = NowSeconds();
    // Held so that no enterprise disappears between the check and the append.
    std::lock_guard<std::mutex> w(registry_write_mu_);
    auto reg = Snapshot();
    constexpr size_t kMaxListed = 100;
    std::vector<std::string> errors;
    size_t error_count = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      model::EnterpriseDatum& d = rows[i];
      std::string problem;
      if (d.deleted) {
        problem = "deleted is set (a deletion is made with DeleteEnterpriseDatum)";
      } else if (Status s = model::NormalizeEnterpriseDatum(&d); !s.ok()) {
        problem = s.message();
      } else if (reg->enterprises.find(d.enterprise_code) == reg->enterprises.end()) {
        problem = "no enterprise '" + d.enterprise_code + "'";
      }
      if (!problem.empty()) {
        if (++error_count <= kMaxListed) {
          errors.push_back(fmt::format("row {} ({}): {}", i + 1, d.source, problem));
        }
        continue;
      }
      d.seq = 0;
      if (d.recorded_s == 0) d.recorded_s = now;
    }
    if (error_count == 1) return InvalidArgumentError(errors[0]);
    if (error_count > 1) {
      std::string message = fmt::format("{} bad rows, nothing stored", error_count);
      for (const std::string& e : errors) message += "\n" + e;
      if (error_count > errors.size()) {
        message += fmt::format("\n... and {} more", error_count - errors.size());
      }
      return InvalidArgumentError(std::move(message));
    }
    std::unique_lock<std::shared_mutex> l(enterprise_data_mu_);
    ZP_RETURN_IF_ERROR(LoadEnterpriseDataLocked());
    ZP_ASSIGN_OR_RETURN(const int64_t last, store_->AppendEnterpriseData(rows));
    // The store numbers one append's rows consecutively.
    int64_t seq = last - static_cast<int64_t>(rows.size());
    for (model::EnterpriseDatum& d : rows) {
      d.seq = ++seq;
      ApplyEnterpriseDatum(&enterprise_data_, d);
    }
    return rows;
  }

  Status DeleteEnterpriseDatum(std::string_view enterprise_code, std::string_view indicator,
                               std::string_view item, const model::DataPeriod& period,
                               std::string_view source) override {
    // The key as Put would have stored it.
    model::EnterpriseDatum probe;
    probe.enterprise_code = std::string(enterprise_code);
    probe.item = std::string(item);
    probe.period = period;
    ZP_ASSIGN_OR_RETURN(probe.indicator, IndicatorFilter(indicator));
    ZP_ASSIGN_OR_RETURN(const model::IndicatorInfo* info, model::FindIndicator(probe.indicator));
    probe.unit = info->unit.empty() ? "-" : std::string(info->unit);  // any accepted unit
    ZP_RETURN_IF_ERROR(model::NormalizeEnterpriseDatum(&probe));

    std::unique_lock<std::shared_mutex> l(enterprise_data_mu_);
    ZP_RETURN_IF_ERROR(LoadEnterpriseDataLocked());
    auto it = enterprise_data_.find(probe);
    if (it == enterprise_data_.end()) {
      return NotFoundError(fmt::format("no current value of {}{}{} for enterprise '{}' in {}",
                                       probe.indicator, probe.item.empty() ? "" : " ", probe.item,
                                       probe.enterprise_code, model::FormatDataPeriod(period)));
    }
    model::EnterpriseDatum tombstone = *it;
    tombstone.value = 0;
    tombstone.note.clear();
    tombstone.source = std::string(source);
    tombstone.recorded_s = NowSeconds();
    tombstone.deleted = true;
    ZP_ASSIGN_OR_RETURN(tombstone.seq, store_->AppendEnterpriseData(
                                           std::span<const model::EnterpriseDatum>(&tombstone, 1)));
    enterprise_data_.erase(it);
    return Status::OK();
  }

  Result<std::vector<model::EnterpriseDatum>> EnterpriseData(std::string_view enterprise_code,
                                                             std::string_view indicator,
                                                             bool history) override {
    const std::string code = EnterpriseCodeFilter(enterprise_code);
    ZP_ASSIGN_OR_RETURN(const std::string ind, IndicatorFilter(indicator));
    std::vector<model::EnterpriseDatum> out;
    if (history) {
      ZP_RETURN_IF_ERROR(store_->ReadEnterpriseData(
          code, ind, [&](const model::EnterpriseDatum& d) { out.push_back(d); }));
      return out;
    }
    {
      std::shared_lock<std::shared_mutex> l(enterprise_data_mu_);
      if (enterprise_data_loaded_) {
        CopyEnterpriseData(code, ind, &out);
        return out;
      }
    }
    std::unique_lock<std::shared_mutex> l(enterprise_data_mu_);
    ZP_RETURN_IF_ERROR(LoadEnterpriseDataLocked());
    CopyEnterpriseData(code, ind, &out);
    return out;
  }

  Result<std::optional<std::string>> GetSetting(std::string_view key) override {
    return store_->GetSetting(key);
  }
  Status PutSetting(std::string_view key, std::string_view value) override {
    return store_->PutSetting(key, value);
  }
  Result<std::vector<std::pair<std::string, std::string>>> ListSettings(
      std::string_view prefix) override {
    return store_->ListSettings(prefix);
  }

  EngineStats stats() const override {
    EngineStats s;
    s.readings_written = readings_written_;
    {
      std::lock_guard<std::mutex> m(mem_mu_);
      s.memtable_points = static_cast<int64_t>(active_.size()) +
                          (immutable_ ? static_cast<int64_t>(immutable_->size()) : 0);
    }
    s.flushes = flushes_;
    s.chunks_written = chunks_written_;
    s.corrections = corrections_;
    s.log_commits = log_commits_;
    return s;
  }

  store::Store& store() override { return *store_; }

 private:
  struct Pending {
    std::span<const ReadingIn> readings;
    std::string_view source;
    int64_t recorded_s = 0;
    std::string payload;
    Status status;
    int64_t seq = 0;
    bool done = false;
  };

  // Reads every version once into the current values. enterprise_data_mu_ held exclusively.
  Status LoadEnterpriseDataLocked() {
    if (enterprise_data_loaded_) return Status::OK();
    EnterpriseDataSet current;
    ZP_RETURN_IF_ERROR(store_->ReadEnterpriseData(
        "", "", [&](const model::EnterpriseDatum& d) { ApplyEnterpriseDatum(&current, d); }));
    enterprise_data_ = std::move(current);
    enterprise_data_loaded_ = true;
    return Status::OK();
  }

  // Current values matching the filters ("" = all), in key order. enterprise_data_mu_ held.
  void CopyEnterpriseData(const std::string& code, const std::string& indicator,
                          std::vector<model::EnterpriseDatum>* out) const {
    auto it = enterprise_data_.begin();
    if (code.empty() && indicator.empty()) out->reserve(enterprise_data_.size());
    if (!code.empty()) {
      model::EnterpriseDatum from;
      from.enterprise_code = code;
      from.indicator = indicator;
      from.period = {std::numeric_limits<int32_t>::min(), 0};
      it = enterprise_data_.lower_bound(from);
    }
    for (; it != enterprise_data_.end(); ++it) {
      if (!code.empty() && it->enterprise_code != code) break;
      if (!indicator.empty() && it->indicator != indicator) {
        if (!code.empty() && it->indicator > indicator) break;
        continue;
      }
      out->push_back(*it);
    }
  }

  std::shared_ptr<const Registry> Snapshot() const {
    std::shared_lock<std::shared_mutex> l(registry_mu_);
    return registry_;
  }

  Status LoadRegistry() {
    auto reg = std::make_shared<Registry>();
    ZP_ASSIGN_OR_RETURN(std::optional<model::Park> park, store_->GetPark());
    if (!park) {
      model::Park p;
      p.name = "未命名园区 / Unnamed park";
      ZP_RETURN_IF_ERROR(store_->PutPark(p));
      park = p;
    }
    reg->park = *park;
    ZP_ASSIGN_OR_RETURN(reg->zone, TimeZone::Load(park->time_zone));
    ZP_ASSIGN_OR_RETURN(auto zones, store_->ListZones());
    for (auto& z : zones) reg->zones.emplace(z.code, std::move(z));
    ZP_ASSIGN_OR_RETURN(auto enterprises, store_->ListEnterprises());
    for (auto& e : enterprises) reg->enterprises.emplace(e.code, std::move(e));
    ZP_ASSIGN_OR_RETURN(auto meters, store_->ListMeters());
    ZP_ASSIGN_OR_RETURN(auto replacement_rows, store_->ListSettings(kReplacementPrefix));
    std::map<std::string, std::vector<tsdb::RegisterReplacement>, std::less<>> replacements;
    for (const auto& [key, value] : replacement_rows) {
      ZP_ASSIGN_OR_RETURN(replacements[key.substr(kReplacementPrefix.size())],
                          ParseReplacements(value));
    }
    auto index = std::make_shared<MeterIndexImpl>();
    for (auto& m : meters) {
      const std::string code = m.code;
      auto [it, ok] = reg->meters.emplace(code, std::move(m));
      const model::Meter& mm = it->second;
      reg->meters_by_id[mm.id] = &mm;
      index->Add(MeterRef{mm.id, mm.code, mm.kind, mm.unit, mm.carrier});
      if (mm.kind != model::MeterKind::kVirtual) {
        ZP_ASSIGN_OR_RETURN(SeriesInfo info, MakeSeriesInfo(mm));
        auto rep = replacements.find(mm.code);
        if (rep != replacements.end() && info.spec.cumulative) info.spec.replacements = rep->second;
        reg->series.emplace(mm.id, std::move(info));
      }
    }
    reg->index = std::move(index);
    std::unique_lock<std::shared_mutex> l(registry_mu_);
    registry_ = std::move(reg);
    return Status::OK();
  }

  Status CheckEnterpriseRefs(const Registry& reg, const model::Enterprise& e,
                             const std::set<std::string, std::less<>>& extra_zones) {
    if (!e.zone_code.empty() && !reg.zones.count(e.zone_code) && !extra_zones.count(e.zone_code)) {
      return InvalidArgumentError("enterprise " + e.code + ": unknown zone '" + e.zone_code + "'");
    }
    return Status::OK();
  }

  // Cross-references of a meter: enterprise, parent (same carrier, no cycle), formula terms.
  Status CheckMeterRefs(const Registry& reg, const model::Meter& m,
                        const std::map<std::string, const model::Meter*, std::less<>>& extra,
                        const std::set<std::string, std::less<>>* extra_enterprises = nullptr) {
    auto find = [&](std::string_view code) -> const model::Meter* {
      auto e = extra.find(code);
      if (e != extra.end()) return e->second;
      auto it = reg.meters.find(code);
      return it == reg.meters.end() ? nullptr : &it->second;
    };
    const std::string who = "meter " + m.code;
    if (!m.enterprise_code.empty() && !reg.enterprises.count(m.enterprise_code) &&
        !(extra_enterprises && extra_enterprises->count(m.enterprise_code))) {
      return InvalidArgumentError(who + ": unknown enterprise '" + m.enterprise_code + "'");
    }
    if (!m.parent_code.empty()) {
      const model::Meter* p = find(m.parent_code);
      if (!p) return InvalidArgumentError(who + ": unknown parent meter '" + m.parent_code + "'");
      if (p->carrier != m.carrier) {
        return InvalidArgumentError(who + ": parent meter " + p->code +
                                    " measures another carrier");
      }
      // Walk up to detect a cycle.
      std::set<std::string> seen{m.code};
      for (const model::Meter* cur = p; cur;
           cur = cur->parent_code.empty() ? nullptr : find(cur->parent_code)) {
        if (!seen.insert(cur->code).second) {
          return InvalidArgumentError(who + ": parent chain forms a cycle through " + cur->code);
        }
      }
    }
    if (m.kind == model::MeterKind::kVirtual) {
      ZP_ASSIGN_OR_RETURN(auto terms, model::ParseFormula(m.formula));
      for (const auto& t : terms) {
        const model::Meter* c = find(t.meter_code);
        if (!c)
          return InvalidArgumentError(who + ": formula uses unknown meter '" + t.meter_code + "'");
        if (c->kind == model::MeterKind::kVirtual) {
          return InvalidArgumentError(who + ": formula term " + t.meter_code +
                                      " is itself virtual (only physical meters are allowed)");
        }
        if (c->carrier != m.carrier) {
          return InvalidArgumentError(who + ": formula term " + t.meter_code +
                                      " measures another carrier");
        }
      }
    }
    return Status::OK();
  }

  bool SeriesHasData(int64_t id) {
    auto latest = store_->LatestChunkBefore(id, std::numeric_limits<int32_t>::max());
    if (latest.ok() && latest->has_value()) return true;
    std::lock_guard<std::mutex> m(mem_mu_);
    if (!active_.All(id).empty()) return true;
    return immutable_ && !immutable_->All(id).empty();
  }

  bool AnyMeterHasData(const Registry& reg) {
    for (const auto& [id, info] : reg.series) {
      if (SeriesHasData(id)) return true;
    }
    return false;
  }

  Status CheckReadings(std::span<const ReadingIn> readings) {
    auto reg = Snapshot();
    const int64_t retention_floor =
        reg->park.raw_retention_days > 0
            ? reg->zone.DayStart(reg->zone.LocalDay(NowSeconds()) - reg->park.raw_retention_days)
            : std::numeric_limits<int64_t>::min();
    for (const ReadingIn& r : readings) {
      if (!std::isfinite(r.value)) return InvalidArgumentError("reading value is not finite");
      auto it = reg->series.find(r.meter_id);
      if (it == reg->series.end()) {
        return InvalidArgumentError("no physical meter with id " + std::to_string(r.meter_id));
      }
      if (r.ts_s < retention_floor) {
        return InvalidArgumentError("reading at " + FormatTimestamp(r.ts_s, reg->zone) +
                                    " is older than the park's raw-data retention");
      }
    }
    return Status::OK();
  }

  uint32_t InternSource(std::string_view source, int64_t recorded_s) {
    std::lock_guard<std::mutex> l(source_mu_);
    const int64_t minute = FloorDiv(recorded_s, 60) * 60;
    std::string key = std::string(source) + '\x1f' + std::to_string(minute);
    auto it = source_ids_.find(key);
    if (it != source_ids_.end()) return it->second;
    const auto id = static_cast<uint32_t>(sources_.size());
    sources_.push_back({std::string(source), recorded_s});
    source_ids_.emplace(std::move(key), id);
    return id;
  }

  std::pair<std::string, int64_t> SourceOf(uint32_t id) {
    std::lock_guard<std::mutex> l(source_mu_);
    if (id < sources_.size()) return sources_[id];
    return {"unknown", 0};
  }

  void CommitGroup(const std::vector<Pending*>& group) {
    std::vector<std::string> payloads;
    payloads.reserve(group.size());
    for (Pending* p : group) payloads.push_back(std::move(p->payload));
    Result<int64_t> last = store_->AppendLog(payloads);
    if (!last.ok()) {
      for (Pending* p : group) {
        p->status = last.error().WithContext("ingest log");
        p->done = true;
      }
      return;
    }
    ++log_commits_;
    int64_t seq = *last - static_cast<int64_t>(group.size()) + 1;
    std::lock_guard<std::mutex> m(mem_mu_);
    if (oldest_unflushed_s_ == 0) oldest_unflushed_s_ = NowSeconds();
    for (Pending* p : group) {
      const uint32_t source_id = InternSource(p->source, p->recorded_s);
      for (const ReadingIn& r : p->readings) active_.Add(r.meter_id, r.ts_s, r.value, source_id);
      readings_written_ += static_cast<int64_t>(p->readings.size());
      p->seq = seq++;
      p->done = true;
    }
    active_max_seq_ = std::max(active_max_seq_, *last);
  }

  void MaybeWakeFlusher() {
    if (!options_.background) return;
    bool wake = false;
    {
      std::lock_guard<std::mutex> m(mem_mu_);
      wake = active_.size() >= options_.flush_points;
    }
    if (wake) bg_cv_.notify_all();
  }

  void BackgroundLoop() {
    int64_t last_retention = 0;
    std::unique_lock<std::mutex> l(bg_mu_);
    while (!stop_) {
      bg_cv_.wait_for(l, std::chrono::seconds(1));
      if (stop_) break;
      l.unlock();
      bool due = false;
      {
        std::lock_guard<std::mutex> m(mem_mu_);
        due = active_.size() >= options_.flush_points ||
              (options_.flush_interval_s > 0 && oldest_unflushed_s_ != 0 &&
               NowSeconds() - oldest_unflushed_s_ >= options_.flush_interval_s);
      }
      if (due) {
        Status s = Flush();
        if (!s.ok()) LogError("background flush failed: {}", s.ToString());
      }
      const int64_t now = NowSeconds();
      if (now - last_retention >= 3600) {
        last_retention = now;
        Status s = ApplyRetention(now);
        if (!s.ok()) LogError("retention failed: {}", s.ToString());
      }
      l.lock();
    }
  }

  // Days with unflushed points per series (active and immutable memtables).
  std::unordered_map<int64_t, std::set<int32_t>> DirtyDays(const Registry& reg) {
    std::unordered_map<int64_t, std::set<int32_t>> out;
    const TimeZone& tz = reg.zone;
    std::lock_guard<std::mutex> m(mem_mu_);
    auto scan = [&](const tsdb::Memtable& mt) {
      for (int64_t id : mt.SeriesIds()) {
        auto& days = out[id];
        const bool cumulative = reg.series.count(id) && reg.series.at(id).spec.cumulative;
        for (const tsdb::MemPoint& p : mt.All(id)) {
          const int32_t d = tz.LocalDay(p.ts_s);
          days.insert(d);
          // A cumulative reading also closes the interval that ends at it: the previous day's
          // rollup changes when it sits at midnight, and the next day's first delta starts here.
          if (cumulative) {
            days.insert(d + 1);
            if (tz.DayStart(d) == p.ts_s) days.insert(d - 1);
          }
        }
      }
    };
    scan(active_);
    if (immutable_) scan(*immutable_);
    return out;
  }

  // Stored points of days [from_day, to_day) (raw chunks only) merged with both memtables.
  Status MergedPointsByDay(const Registry& reg, int64_t id, int32_t from_day, int32_t to_day,
                           std::vector<tsdb::Point>* out) {
    std::vector<store::Chunk> chunks;
    ZP_RETURN_IF_ERROR(store_->ReadChunks(id, from_day, to_day, &chunks));
    std::vector<tsdb::Point> stored;
    for (const store::Chunk& c : chunks) {
      if (c.resolution_s != 0 || c.data.empty()) continue;
      ZP_RETURN_IF_ERROR(tsdb::DecodeChunk(c.data, &stored));
    }
    const int64_t from_s = reg.zone.DayStart(from_day);
    const int64_t to_s = reg.zone.DayStart(to_day);
    std::vector<tsdb::MemPoint> mem;
    {
      std::lock_guard<std::mutex> m(mem_mu_);
      if (immutable_) mem = immutable_->Range(id, from_s, to_s);
      std::vector<tsdb::MemPoint> act = active_.Range(id, from_s, to_s);
      if (!act.empty()) mem = OverlayMem(std::move(mem), act);
    }
    MergeInto(stored, mem, out, nullptr, 0);
    return Status::OK();
  }

  static std::vector<tsdb::MemPoint> OverlayMem(std::vector<tsdb::MemPoint> base,
                                                const std::vector<tsdb::MemPoint>& top) {
    if (base.empty()) return top;
    std::vector<tsdb::MemPoint> out;
    out.reserve(base.size() + top.size());
    size_t i = 0, j = 0;
    while (i < base.size() || j < top.size()) {
      if (j == top.size() || (i < base.size() && base[i].ts_s < top[j].ts_s)) {
        out.push_back(base[i++]);
      } else if (i == base.size() || top[j].ts_s < base[i].ts_s) {
        out.push_back(top[j++]);
      } else {
        out.push_back(top[j++]);
        ++i;
      }
    }
    return out;
  }

  // Merges sorted stored points with sorted memtable points (memtable wins). When `corrections`
  // is given, a memtable value that replaces a different stored value is recorded.
  void MergeInto(const std::vector<tsdb::Point>& stored, const std::vector<tsdb::MemPoint>& mem,
                 std::vector<tsdb::Point>* out, std::vector<store::Correction>* corrections,
                 int64_t series_id) {
    out->reserve(out->size() + stored.size() + mem.size());
    size_t i = 0, j = 0;
    while (i < stored.size() || j < mem.size()) {
      if (j == mem.size() || (i < stored.size() && stored[i].ts_s < mem[j].ts_s)) {
        out->push_back(stored[i++]);
      } else if (i == stored.size() || mem[j].ts_s < stored[i].ts_s) {
        out->push_back({mem[j].ts_s, mem[j].value});
        ++j;
      } else {
        if (corrections && stored[i].value != mem[j].value) {
          auto [src, when] = SourceOf(mem[j].source_id);
          corrections->push_back(
              {series_id, mem[j].ts_s, stored[i].value, mem[j].value, src, when});
        }
        out->push_back({mem[j].ts_s, mem[j].value});
        ++i;
        ++j;
      }
    }
  }

  Status MergedPoints(const Registry& reg, int64_t id, int64_t from_s, int64_t to_s,
                      std::vector<tsdb::Point>* out) {
    std::vector<tsdb::Point> all;
    ZP_RETURN_IF_ERROR(MergedPointsByDay(reg, id, reg.zone.LocalDay(from_s),
                                         reg.zone.LocalDay(to_s - 1) + 1, &all));
    for (const tsdb::Point& p : all) {
      if (p.ts_s >= from_s && p.ts_s < to_s) out->push_back(p);
    }
    return Status::OK();
  }

  // Points needed to roll up days [from_day, to_day): those days plus neighbours (cumulative).
  Status RollupInput(const Registry& reg, int64_t id, const SeriesInfo& info, int32_t from_day,
                     int32_t to_day, std::vector<tsdb::Point>* pts) {
    if (!info.spec.cumulative) return MergedPointsByDay(reg, id, from_day, to_day, pts);
    ZP_RETURN_IF_ERROR(MergedPointsByDay(reg, id, from_day - 1, to_day + 1, pts));
    const int64_t from_s = reg.zone.DayStart(from_day);
    if (pts->empty() || pts->front().ts_s > from_s) {
      // The reading before the window may be further back (a gap of more than a day).
      ZP_ASSIGN_OR_RETURN(auto prev, store_->LatestChunkBefore(id, from_day - 1));
      if (prev.has_value() && prev->resolution_s == 0 && !prev->data.empty()) {
        std::vector<tsdb::Point> before;
        ZP_RETURN_IF_ERROR(tsdb::DecodeChunk(prev->data, &before));
        if (!before.empty()) pts->insert(pts->begin(), before.back());
      }
    }
    return Status::OK();
  }

  Result<std::vector<tsdb::HourSum>> HourlyFromStore(const Registry& reg, int64_t id,
                                                     const SeriesInfo& info, int32_t from_day,
                                                     int32_t to_day) {
    std::vector<tsdb::Point> pts;
    ZP_RETURN_IF_ERROR(RollupInput(reg, id, info, from_day, to_day, &pts));
    tsdb::RollupResult r = tsdb::ComputeHourly(
        pts, info.spec, reg.zone, reg.zone.DayStart(from_day), reg.zone.DayStart(to_day));
    return std::move(r.hours);
  }

  // The daily rollup of one day from stored + unflushed points (as a flush would write it).
  Result<store::Chunk> RecomputeDay(const Registry& reg, int64_t id, const SeriesInfo& info,
                                    int32_t day) {
    std::vector<tsdb::Point> pts;
    ZP_RETURN_IF_ERROR(RollupInput(reg, id, info, day, day + 1, &pts));
    return RollupDay(reg, id, info, day, pts);
  }

  // Builds the chunk record of `day` from points covering it (and neighbours for cumulative).
  store::Chunk RollupDay(const Registry& reg, int64_t id, const SeriesInfo& info, int32_t day,
                         const std::vector<tsdb::Point>& pts) {
    const int64_t from_s = reg.zone.DayStart(day);
    const int64_t to_s = reg.zone.DayStart(day + 1);
    store::Chunk c;
    c.series_id = id;
    c.day = day;
    auto lo = std::lower_bound(pts.begin(), pts.end(), from_s,
                               [](const tsdb::Point& p, int64_t t) { return p.ts_s < t; });
    auto hi = std::lower_bound(lo, pts.end(), to_s,
                               [](const tsdb::Point& p, int64_t t) { return p.ts_s < t; });
    std::span<const tsdb::Point> own(&*pts.begin() + (lo - pts.begin()), hi - lo);
    c.count = static_cast<int32_t>(own.size());
    if (!own.empty()) c.data = tsdb::EncodeChunk(own);
    tsdb::RollupResult r = tsdb::ComputeHourly(pts, info.spec, reg.zone, from_s, to_s);
    for (const tsdb::HourSum& h : r.hours) c.sum += h.sum;
    c.flagged = static_cast<int32_t>(r.flagged.size());
    c.suspect_zero = tsdb::CountSuspectZeros(own, info.spec.interval_s, info.suspect_zero_run_s);
    return c;
  }

  Status FlushImmutable(const tsdb::Memtable& mt, int64_t log_upto) {
    auto reg = Snapshot();
    const TimeZone& tz = reg->zone;
    store::FlushBatch batch;
    batch.log_truncate_upto = log_upto;
    // The memtable normalises lazily inside const methods, and queries read it under mem_mu_:
    // every access here takes the same lock. Overwrites inside the memtable are corrections too.
    std::vector<int64_t> ids;
    std::vector<tsdb::Overwrite> overwrites;
    {
      std::lock_guard<std::mutex> m(mem_mu_);
      ids = mt.SeriesIds();
      overwrites = mt.overwrites();  // normalises every series, recording replaced values
    }
    for (const tsdb::Overwrite& o : overwrites) {
      auto [src, when] = SourceOf(o.source_id);
      batch.corrections.push_back({o.series_id, o.ts_s, o.old_value, o.new_value, src, when});
    }
    std::sort(ids.begin(), ids.end());
    for (int64_t id : ids) {
      auto it = reg->series.find(id);
      if (it == reg->series.end()) continue;  // meter deleted meanwhile
      const SeriesInfo& info = it->second;
      std::vector<tsdb::MemPoint> mem;
      {
        std::lock_guard<std::mutex> m(mem_mu_);
        mem = mt.All(id);
      }
      if (mem.empty()) continue;
      std::set<int32_t> touched;
      for (const tsdb::MemPoint& p : mem) touched.insert(tz.LocalDay(p.ts_s));
      std::set<int32_t> rollup_days = touched;
      if (info.spec.cumulative) {
        for (int32_t d : touched) {
          rollup_days.insert(d + 1);
          rollup_days.insert(d - 1);
        }
      }
      const int32_t lo = *rollup_days.begin() - (info.spec.cumulative ? 1 : 0);
      const int32_t hi = *rollup_days.rbegin() + 1 + (info.spec.cumulative ? 1 : 0);
      // Stored chunks of the range (raw only are merged; hourly ones stay as they are).
      std::vector<store::Chunk> chunks;
      ZP_RETURN_IF_ERROR(store_->ReadChunks(id, lo, hi, &chunks));
      std::map<int32_t, const store::Chunk*> by_day;
      std::vector<tsdb::Point> stored;
      for (const store::Chunk& c : chunks) {
        by_day[c.day] = &c;
        if (c.resolution_s == 0 && !c.data.empty()) {
          ZP_RETURN_IF_ERROR(tsdb::DecodeChunk(c.data, &stored));
        }
      }
      std::vector<tsdb::Point> merged;
      MergeInto(stored, mem, &merged, &batch.corrections, id);
      if (info.spec.cumulative && (merged.empty() || merged.front().ts_s > tz.DayStart(lo + 1))) {
        ZP_ASSIGN_OR_RETURN(auto prev, store_->LatestChunkBefore(id, lo));
        if (prev.has_value() && prev->resolution_s == 0 && !prev->data.empty()) {
          std::vector<tsdb::Point> before;
          ZP_RETURN_IF_ERROR(tsdb::DecodeChunk(prev->data, &before));
          if (!before.empty()) merged.insert(merged.begin(), before.back());
        }
      }
      std::set<int32_t> months;  // months whose sums change
      for (int32_t day : rollup_days) {
        auto existing = by_day.find(day);
        const bool hourly = existing != by_day.end() && existing->second->resolution_s != 0;
        if (hourly) continue;  // rolled up by retention; late raw data was refused
        store::Chunk c = RollupDay(*reg, id, info, day, merged);
        if (!touched.count(day)) {
          // A neighbour of a cumulative series' touched day: written only when its rollup
          // changed (a day without a chunk, only when it gains a sum from the neighbour).
          const bool unchanged =
              existing == by_day.end() ? (c.sum == 0 && c.flagged == 0) : c == *existing->second;
          if (unchanged) continue;
        }
        const CivilDate cd = CivilFromDays(day);
        months.insert(MonthIndex(cd.year, cd.month));
        batch.chunks.push_back(std::move(c));
      }
      // Month sums: recompute each touched month from its daily rollups.
      if (!months.empty()) {
        const int32_t m0 = *months.begin();
        const int32_t m1 = *months.rbegin();
        const int32_t d0 = DaysFromCivil(MonthIndexYear(m0), MonthIndexMonth(m0), 1);
        const int32_t d1 = DaysFromCivil(MonthIndexYear(m1 + 1), MonthIndexMonth(m1 + 1), 1);
        std::map<int32_t, std::pair<double, int32_t>> days;
        const int64_t one[] = {id};
        ZP_RETURN_IF_ERROR(store_->ReadDailyRollups(one, d0, d1, [&](const store::Chunk& c) {
          days[c.day] = {c.sum, c.count};
        }));
        for (const store::Chunk& c : batch.chunks) {
          if (c.series_id == id && c.day >= d0 && c.day < d1) days[c.day] = {c.sum, c.count};
        }
        std::map<int32_t, store::MonthSum> sums;
        for (const auto& [day, v] : days) {
          CivilDate cd = CivilFromDays(day);
          const int32_t mi = MonthIndex(cd.year, cd.month);
          if (!months.count(mi)) continue;
          store::MonthSum& ms = sums[mi];
          ms.series_id = id;
          ms.month = mi;
          ms.sum += v.first;
          ms.count += v.second;
        }
        for (auto& [mi, ms] : sums) batch.months.push_back(ms);
      }
    }
    ZP_RETURN_IF_ERROR(store_->Commit(batch));
    chunks_written_ += static_cast<int64_t>(batch.chunks.size());
    corrections_ += static_cast<int64_t>(batch.corrections.size());
    return Status::OK();
  }

  // Sign and series id of each physical term of a virtual meter.
  std::vector<std::pair<double, int64_t>> ExpandVirtual(const Registry& reg,
                                                        const model::Meter& m) {
    std::vector<std::pair<double, int64_t>> out;
    auto terms = model::ParseFormula(m.formula);
    if (!terms.ok()) return out;
    for (const auto& t : *terms) {
      auto it = reg.meters.find(t.meter_code);
      if (it != reg.meters.end()) out.emplace_back(static_cast<double>(t.sign), it->second.id);
    }
    return out;
  }

  // Calls add(group, meter, sign) for every meter that contributes to a group: +1 for a member,
  // -1 for a meter of another enterprise fed from an enterprise's meter (a tenant behind its
  // incomer), which is taken out of the feeding enterprise so no energy is counted twice.
  Status SelectMembers(const Registry& reg, const SumQuery& q,
                       const std::function<void(std::string, const model::Meter*, double)>& add) {
    std::set<std::string, std::less<>> meter_filter(q.meters.begin(), q.meters.end());
    std::set<std::string, std::less<>> ent_filter(q.enterprises.begin(), q.enterprises.end());
    std::set<std::string, std::less<>> zone_filter(q.zones.begin(), q.zones.end());
    for (const auto& code : meter_filter) {
      if (!reg.meters.count(code)) return NotFoundError("no meter '" + code + "'");
    }
    for (const auto& code : ent_filter) {
      if (!reg.enterprises.count(code)) return NotFoundError("no enterprise '" + code + "'");
    }
    for (const auto& code : zone_filter) {
      if (!reg.zones.count(code)) return NotFoundError("no zone '" + code + "'");
    }
    auto enterprise_of = [&](const std::string& code) -> const model::Enterprise* {
      if (code.empty()) return nullptr;
      auto e = reg.enterprises.find(code);
      return e != reg.enterprises.end() ? &e->second : nullptr;
    };
    // Whether an enterprise (nullptr: a park meter) passes the enterprise, zone and industry
    // filters.
    auto passes = [&](const model::Enterprise* ent) {
      if (!ent_filter.empty() && (!ent || !ent_filter.count(ent->code))) return false;
      if (!zone_filter.empty() && (!ent || !zone_filter.count(ent->zone_code))) return false;
      if (!q.industry_prefix.empty() &&
          (!ent || !ent->industry_code.starts_with(q.industry_prefix))) {
        return false;
      }
      return true;
    };
    for (const auto& [code, m] : reg.meters) {
      if (!meter_filter.empty() && !meter_filter.count(code)) continue;
      if (q.carrier && m.carrier != *q.carrier) continue;
      const model::Enterprise* ent = enterprise_of(m.enterprise_code);
      const bool counted = m.kind != model::MeterKind::kVirtual &&
                           (m.flow == model::MeterFlow::kConsumption || q.include_generation);
      const bool main_consumption = counted && m.parent_code.empty();
      // An enterprise's own top meters: no parent, or a parent outside the enterprise (a heat
      // meter fed from the park's heat station is that enterprise's main heat meter).
      const model::Meter* parent = nullptr;
      if (!m.parent_code.empty()) {
        auto p = reg.meters.find(m.parent_code);
        if (p != reg.meters.end()) parent = &p->second;
      }
      const bool enterprise_main =
          counted && ent && (parent == nullptr || parent->enterprise_code != ent->code);
      // The enterprise that feeds this meter, when it is another one.
      const model::Enterprise* feeder =
          enterprise_main && parent != nullptr ? enterprise_of(parent->enterprise_code) : nullptr;
      switch (q.group_by) {
        case GroupBy::kMeter:
          if (passes(ent)) add(code, &m, 1.0);
          break;
        case GroupBy::kEnterprise:
          if (enterprise_main && passes(ent)) add(ent->code, &m, 1.0);
          if (feeder && passes(feeder)) add(feeder->code, &m, -1.0);
          break;
        case GroupBy::kZone:
          if (enterprise_main && passes(ent) && !ent->zone_code.empty()) {
            add(ent->zone_code, &m, 1.0);
          }
          if (feeder && passes(feeder) && !feeder->zone_code.empty()) {
            add(feeder->zone_code, &m, -1.0);
          }
          break;
        case GroupBy::kCarrier:
          if (main_consumption && passes(ent)) {
            add(std::string(units::GetCarrierInfo(m.carrier).code), &m, 1.0);
          }
          break;
        case GroupBy::kPark:
          if (main_consumption && passes(ent)) add("park", &m, 1.0);
          break;
      }
    }
    return Status::OK();
  }

  // Per physical series: period start -> (sum in canonical units, readings).
  Status SeriesBuckets(
      const Registry& reg, const std::set<int64_t>& ids, Period period, int64_t from_s,
      int64_t to_s,
      std::unordered_map<int64_t, std::map<int64_t, std::pair<double, int64_t>>>* out) {
    const TimeZone& tz = reg.zone;
    const int32_t from_day = tz.LocalDay(from_s);
    const int32_t to_day = tz.LocalDay(to_s - 1) + 1;
    if (period == Period::kHour) {
      for (int64_t id : ids) {
        const SeriesInfo& info = reg.series.at(id);
        ZP_ASSIGN_OR_RETURN(auto hours, HourlyFromStore(reg, id, info, from_day, to_day));
        auto& b = (*out)[id];
        for (const tsdb::HourSum& h : hours) {
          if (h.hour_start_s < from_s || h.hour_start_s >= to_s) continue;
          auto& cell = b[h.hour_start_s];
          cell.first += h.sum;
          cell.second += h.readings;
        }
        // Days rolled up by retention keep hourly sums in their chunk.
        std::vector<store::Chunk> chunks;
        ZP_RETURN_IF_ERROR(store_->ReadChunks(id, from_day, to_day, &chunks));
        for (const store::Chunk& c : chunks) {
          if (c.resolution_s != 3600) continue;
          std::vector<tsdb::Point> pts;
          ZP_RETURN_IF_ERROR(tsdb::DecodeChunk(c.data, &pts));
          for (const tsdb::Point& p : pts) {
            if (p.ts_s < from_s || p.ts_s >= to_s) continue;
            b[p.ts_s].first += p.value;
          }
        }
      }
      return Status::OK();
    }
    auto period_start = [&](int32_t day) -> int64_t {
      if (period == Period::kDay) return tz.DayStart(day);
      CivilDate cd = CivilFromDays(day);
      if (period == Period::kMonth) return tz.MonthStart(MonthIndex(cd.year, cd.month));
      return tz.MonthStart(MonthIndex(cd.year, 1));
    };
    auto dirty = DirtyDays(reg);
    std::vector<int64_t> id_list(ids.begin(), ids.end());
    // Series with unflushed days in range need daily resolution for those months.
    std::unordered_map<int64_t, std::set<int32_t>> dirty_in_range;
    for (int64_t id : id_list) {
      auto d = dirty.find(id);
      if (d == dirty.end()) continue;
      for (int32_t day : d->second) {
        if (day >= from_day && day < to_day) dirty_in_range[id].insert(day);
      }
    }
    if (period == Period::kDay) {
      ZP_RETURN_IF_ERROR(
          store_->ReadDailyRollups(id_list, from_day, to_day, [&](const store::Chunk& c) {
            auto d = dirty_in_range.find(c.series_id);
            if (d != dirty_in_range.end() && d->second.count(c.day)) return;
            auto& cell = (*out)[c.series_id][tz.DayStart(c.day)];
            cell.first += c.sum;
            cell.second += c.count;
          }));
    } else {
      // Month sums, except for the months in which a series has unflushed days: those months
      // come from the daily rollups (their month sums are stale), the unflushed days themselves
      // are recomputed below. A live park has every meter dirty in the current month only, so
      // a year or ten stay month sums.
      const int32_t m0 = tz.LocalMonth(from_s);
      const int32_t m1 = tz.LocalMonth(to_s - 1) + 1;
      auto month_of_day = [](int32_t day) {
        const CivilDate cd = CivilFromDays(day);
        return MonthIndex(cd.year, cd.month);
      };
      std::set<int32_t> dirty_months;  // over all series: few (usually the current month)
      for (const auto& [id, days] : dirty_in_range) {
        for (int32_t day : days) dirty_months.insert(month_of_day(day));
      }
      ZP_RETURN_IF_ERROR(store_->ReadMonthSums(id_list, m0, m1, [&](const store::MonthSum& ms) {
        if (dirty_months.count(ms.month) && dirty_in_range.count(ms.series_id)) return;
        const int32_t day = DaysFromCivil(MonthIndexYear(ms.month), MonthIndexMonth(ms.month), 1);
        auto& cell = (*out)[ms.series_id][period_start(day)];
        cell.first += ms.sum;
        cell.second += ms.count;
      }));
      std::vector<int64_t> unclean;
      for (const auto& [id, days] : dirty_in_range) unclean.push_back(id);
      std::sort(unclean.begin(), unclean.end());
      for (int32_t month : dirty_months) {
        if (unclean.empty()) break;
        const int32_t d0 =
            std::max(from_day, DaysFromCivil(MonthIndexYear(month), MonthIndexMonth(month), 1));
        const int32_t d1 = std::min(
            to_day, DaysFromCivil(MonthIndexYear(month + 1), MonthIndexMonth(month + 1), 1));
        if (d0 >= d1) continue;
        ZP_RETURN_IF_ERROR(store_->ReadDailyRollups(unclean, d0, d1, [&](const store::Chunk& c) {
          if (dirty_in_range[c.series_id].count(c.day)) return;
          auto& cell = (*out)[c.series_id][period_start(c.day)];
          cell.first += c.sum;
          cell.second += c.count;
        }));
      }
    }
    for (const auto& [id, days] : dirty_in_range) {
      const SeriesInfo& info = reg.series.at(id);
      for (int32_t day : days) {
        ZP_ASSIGN_OR_RETURN(store::Chunk c, RecomputeDay(reg, id, info, day));
        if (c.count == 0 && c.sum == 0) continue;
        auto& cell = (*out)[id][period_start(day)];
        cell.first += c.sum;
        cell.second += c.count;
      }
    }
    return Status::OK();
  }

  std::unique_ptr<store::Store> store_;
  EngineOptions options_;

  mutable std::shared_mutex registry_mu_;
  std::shared_ptr<const Registry> registry_;
  std::mutex registry_write_mu_;  // serialises registry changes

  // Current enterprise data, read from the store on first use and kept in step by Put/Delete.
  mutable std::shared_mutex enterprise_data_mu_;
  EnterpriseDataSet enterprise_data_;
  bool enterprise_data_loaded_ = false;

  mutable std::mutex mem_mu_;
  tsdb::Memtable active_;
  std::shared_ptr<tsdb::Memtable> immutable_;
  int64_t active_max_seq_ = 0;
  int64_t oldest_unflushed_s_ = 0;

  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::deque<Pending*> queue_;
  bool committing_ = false;

  std::mutex source_mu_;
  std::vector<std::pair<std::string, int64_t>> sources_;
  std::unordered_map<std::string, uint32_t> source_ids_;

  std::mutex flush_mu_;
  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stop_ = false;
  std::thread bg_;

  std::atomic<int64_t> readings_written_{0};
  std::atomic<int64_t> flushes_{0};
  std::atomic<int64_t> chunks_written_{0};
  std::atomic<int64_t> corrections_{0};
  std::atomic<int64_t> log_commits_{0};
};

}  // namespace

Result<std::unique_ptr<Engine>> Engine::Open(std::unique_ptr<store::Store> store,
                                             EngineOptions options) {
  if (!store) return InvalidArgumentError("no store");
  auto engine = std::make_unique<EngineImpl>(std::move(store), options);
  ZP_RETURN_IF_ERROR(engine->Init());
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace zp::engine
