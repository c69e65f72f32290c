#include "zp/ingest/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "zp/units/units.h"

namespace zp::ingest {
namespace {

// Earliest reading accepted: 1990-01-01T00:00:00Z (no park meter predates it).
constexpr int64_t kMinTimestampS = 631152000;

// Caches the conversion factor of the last (unit text, meter unit) pair: batches almost always
// repeat one unit.
class UnitCache {
 public:
  // Factor from `unit` to the meter's unit, or an error naming both.
  Result<double> Factor(const engine::MeterRef& meter, std::string_view unit) {
    if (unit.empty()) return 1.0;
    if (unit == last_unit_ && meter.unit == last_meter_unit_) return last_factor_;
    ZP_ASSIGN_OR_RETURN(const units::Unit* from, units::FindUnit(unit));
    ZP_ASSIGN_OR_RETURN(const units::Unit* to, units::FindUnit(meter.unit));
    Result<double> f = units::ConversionFactor(*from, *to);
    if (!f.ok()) {
      const units::CarrierInfo& ci = units::GetCarrierInfo(meter.carrier);
      return InvalidArgumentError("unit " + std::string(unit) + " does not fit meter " +
                                  meter.code + " (" + std::string(ci.code) + ", " + meter.unit +
                                  ")");
    }
    last_unit_.assign(unit);
    last_meter_unit_ = meter.unit;
    last_factor_ = *f;
    return last_factor_;
  }

 private:
  std::string last_unit_;
  std::string last_meter_unit_;
  double last_factor_ = 1.0;
};

}  // namespace

Result<IngestReport> Ingest(engine::Engine& engine, const std::vector<ParsedReading>& parsed,
                            std::vector<RowError> parse_errors, const IngestOptions& options,
                            std::string_view source) {
  IngestReport report;
  report.errors = std::move(parse_errors);
  report.received = static_cast<int64_t>(parsed.size() + report.errors.size());
  const int64_t now_s = options.now_s != 0
                            ? options.now_s
                            : std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  std::shared_ptr<const engine::MeterIndex> index = engine.meter_index();
  std::vector<engine::ReadingIn> good;
  good.reserve(parsed.size());
  UnitCache units_cache;
  const engine::MeterRef* last = nullptr;
  const engine::MeterRef* last_refused = nullptr;
  for (const ParsedReading& r : parsed) {
    const engine::MeterRef* m = (last && last->code == r.meter) ? last : index->Find(r.meter);
    if (!m) {
      report.errors.push_back({r.line, "unknown meter '" + r.meter + "'"});
      continue;
    }
    if (options.allow_meter && m != last) {
      if (m == last_refused || !options.allow_meter(m->code)) {
        last_refused = m;
        report.errors.push_back(
            {r.line, "meter " + r.meter + " is not writable by this account / 无权写入该表计"});
        continue;
      }
    }
    last = m;
    if (m->kind == model::MeterKind::kVirtual) {
      report.errors.push_back({r.line, "meter " + r.meter +
                                           " is virtual (computed from other meters); send its "
                                           "component meters' readings instead"});
      continue;
    }
    if (!std::isfinite(r.value)) {
      report.errors.push_back({r.line, "value is not a finite number"});
      continue;
    }
    if (r.ts_s < kMinTimestampS || r.ts_s > now_s + options.max_future_s) {
      report.errors.push_back(
          {r.line, "timestamp " + std::to_string(r.ts_s) +
                       " is out of range (1990-01-01 to one day ahead of now; wrong precision?)"});
      continue;
    }
    Result<double> factor = units_cache.Factor(*m, r.unit);
    if (!factor.ok()) {
      report.errors.push_back({r.line, factor.error().message()});
      continue;
    }
    good.push_back(engine::ReadingIn{m->id, r.ts_s, r.value * *factor});
  }
  std::stable_sort(report.errors.begin(), report.errors.end(),
                   [](const RowError& a, const RowError& b) { return a.line < b.line; });
  if (options.mode == BatchMode::kAllOrNothing && !report.errors.empty()) return report;
  if (good.empty()) return report;
  if (options.dry_run) {
    report.accepted = static_cast<int64_t>(good.size());
    return report;
  }
  if (options.unlogged) {
    ZP_RETURN_IF_ERROR(engine.WriteUnlogged(good, source));
  } else {
    ZP_ASSIGN_OR_RETURN(engine::WriteStats stats, engine.Write(good, source));
    report.log_seq = stats.log_seq;
  }
  report.accepted = static_cast<int64_t>(good.size());
  return report;
}

}  // namespace zp::ingest
