// Evaluation of one source's frames (rules: zp/environment/evaluation.h). Per frame the work is a
// pass over its records with per-pollutant state in vectors indexed by the pollutant's position
// in the source; nothing is allocated per frame once the caller's output vectors and the open
// hours have grown (an hour slot is reused after it closes; limits are cached per local day).

#include "zp/environment/evaluation.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace zp::environment {
namespace {

using hj212::DataFlag;

enum Kind : int { kRealtime = 0, kMinute = 1, kLoggerHour = 2, kDaily = 3 };

constexpr int64_t kHour = 3600;
// Above this O2 content the correction factor (21 - ref) / (21 - O2) is meaningless (the stack
// carries air): the value is kept as sent and marked not corrected.
constexpr double kMaxO2Pct = 20.5;

bool IsValidFlag(DataFlag f) {
  return f == DataFlag::kAbsent || f == DataFlag::kNormal || f == DataFlag::kManual;
}

int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

std::string FlagText(DataFlag f) {
  if (f == DataFlag::kAbsent || f == DataFlag::kNormal) return "N";
  return std::string(1, static_cast<char>(f));
}

// The value of a record for the kind of frame: Rtd for 2011; Avg, else Rtd, for the others.
const hj212::Value* Pick(const hj212::PollutantRecord& r, bool use_avg) {
  if (use_avg && r.avg.present()) return &r.avg;
  if (r.rtd.present()) return &r.rtd;
  return nullptr;
}

// O2 (a19001) or flow (a00000 / w00000) of a frame: present, with a valid flag, in range.
bool AuxValue(const hj212::DataSegment& seg, std::string_view code, bool use_avg, double max,
              double* out) {
  const hj212::PollutantRecord* r = seg.Find(code);
  if (r == nullptr || !IsValidFlag(r->flag)) return false;
  const hj212::Value* v = Pick(*r, use_avg);
  if (v == nullptr || v->value < 0 || v->value >= max) return false;
  *out = v->value;
  return true;
}

}  // namespace

Evaluator::Evaluator(Source source, TimeZone zone, EvalOptions options)
    : source_(std::move(source)), zone_(std::move(zone)), options_(options) {
  BuildInfo();
}

void Evaluator::BuildInfo() {
  std::vector<PollutantInfo> old = std::move(info_);
  info_.clear();
  info_.reserve(source_.pollutants.size());
  for (const std::string& code : source_.pollutants) {
    PollutantInfo p;
    p.code = code;
    if (const hj212::PollutantCode* row = hj212::FindPollutant(code)) {
      p.unit = JsonUnit(row->unit);
      p.load_kg = row->amount_unit == "kg";
    }
    p.correctable = CorrectedConcentration(source_, code);
    for (const PollutantInfo& o : old) {
      if (o.code == code) p.in_fault = o.in_fault;
    }
    info_.push_back(std::move(p));
  }
  for (DayLimits& c : limit_cache_) {
    c.day = INT32_MIN;
    c.limits.clear();
  }
}

void Evaluator::SetSource(Source source) {
  std::vector<std::string> old_codes;
  old_codes.reserve(info_.size());
  for (const PollutantInfo& p : info_) old_codes.push_back(p.code);
  source_ = std::move(source);
  BuildInfo();
  // Open hours keep the values of the pollutants the source still has.
  const size_t n = info_.size();
  for (HourSlot& slot : open_) {
    std::vector<Acc> realtime(n), minute(n);
    std::vector<LoggerHour> logger(n);
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < old_codes.size(); ++k) {
        if (old_codes[k] != info_[i].code) continue;
        realtime[i] = slot.realtime[k];
        minute[i] = slot.minute[k];
        logger[i] = slot.logger[k];
      }
    }
    slot.realtime = std::move(realtime);
    slot.minute = std::move(minute);
    slot.logger = std::move(logger);
  }
}

const std::optional<Limit>& Evaluator::LimitFor(size_t pos, int32_t local_day) {
  for (int i = 0; i < 2; ++i) {
    if (limit_cache_[i].day == local_day) {
      next_cache_ = 1 - i;  // the other entry is the least recently used
      return limit_cache_[i].limits[pos];
    }
  }
  DayLimits& c = limit_cache_[next_cache_];
  next_cache_ = 1 - next_cache_;
  c.day = local_day;
  c.limits.clear();
  for (const PollutantInfo& p : info_) c.limits.push_back(LimitInForce(source_, p.code, local_day));
  return c.limits[pos];
}

void Evaluator::TakeLateHours(std::vector<int64_t>* out) {
  std::sort(late_hours_.begin(), late_hours_.end());
  out->insert(out->end(), late_hours_.begin(), late_hours_.end());
  late_hours_.clear();
}

Evaluator::HourSlot* Evaluator::SlotFor(int64_t hour_s) {
  auto it = std::lower_bound(open_.begin(), open_.end(), hour_s,
                             [](const HourSlot& s, int64_t h) { return s.hour_s < h; });
  if (it != open_.end() && it->hour_s == hour_s) return &*it;
  if (hour_s <= closed_through_) {  // late data of a closed hour
    if (std::find(late_hours_.begin(), late_hours_.end(), hour_s) == late_hours_.end()) {
      late_hours_.push_back(hour_s);
    }
    return nullptr;
  }
  HourSlot slot;
  if (!spare_.empty()) {
    slot = std::move(spare_.back());
    spare_.pop_back();
  }
  const size_t n = info_.size();
  slot.hour_s = hour_s;
  slot.kinds = 0;
  slot.realtime.assign(n, Acc{});
  slot.minute.assign(n, Acc{});
  slot.logger.assign(n, LoggerHour{});
  return &*open_.insert(it, std::move(slot));
}

void Evaluator::Add(const hj212::DataSegment& segment, int64_t data_time_s,
                    std::vector<Sample>* samples, std::vector<store::EnvHourRow>* hours,
                    std::vector<Event>* events) {
  int kind;
  int32_t interval_s;
  switch (segment.cn_code) {
    case hj212::cn::kRealtimeData:
      kind = kRealtime;
      interval_s = source_.realtime_interval_s;
      break;
    case hj212::cn::kMinuteData:
      kind = kMinute;
      interval_s = source_.minute_interval_s;
      break;
    case hj212::cn::kHourlyData:
      kind = kLoggerHour;
      interval_s = static_cast<int32_t>(kHour);
      break;
    case hj212::cn::kDailyData:
      kind = kDaily;
      interval_s = 0;
      break;
    default:
      return;
  }
  const bool use_avg = kind != kRealtime;
  const bool flue_gas = source_.kind == SourceKind::kStack;
  double o2 = 0;
  const bool have_o2 = flue_gas && AuxValue(segment, "a19001", use_avg, kMaxO2Pct, &o2);
  double flow = 0;
  const bool have_flow =
      AuxValue(segment, flue_gas ? "a00000" : "w00000", use_avg, HUGE_VAL, &flow);
  const double o2_factor = have_o2 ? (21.0 - source_.reference_o2_pct) / (21.0 - o2) : 1.0;

  const int64_t local = zone_.ToLocal(data_time_s);
  const int64_t hour_s = data_time_s - FloorMod(local, kHour);
  const int32_t day = static_cast<int32_t>(FloorDiv(local, kSecondsPerDay));
  HourSlot* slot = kind == kDaily ? nullptr : SlotFor(hour_s);

  for (const hj212::PollutantRecord& rec : segment.records) {
    size_t pos = 0;
    while (pos < info_.size() && info_[pos].code != rec.code) ++pos;
    if (pos == info_.size()) continue;  // not monitored at this source (or a facility code)
    PollutantInfo& info = info_[pos];
    const hj212::Value* v = Pick(rec, use_avg);
    if (v == nullptr) continue;
    const double value = v->value;
    double zs = value;
    bool corrected = false;
    if (info.correctable) {
      const hj212::Value& sent = v == &rec.avg ? rec.zs_avg : rec.zs_rtd;
      if (sent.present()) {
        zs = sent.value;
        corrected = true;
      } else if (have_o2) {
        zs = value * o2_factor;
        corrected = true;
      }
    }
    const DataFlag flag = rec.flag;
    const bool valid = IsValidFlag(flag);
    const std::optional<Limit>& limit = LimitFor(pos, day);
    const bool over_range = flag == DataFlag::kOverRange;
    const bool exceeded = limit.has_value() && ((valid && zs > limit->value) || over_range);

    Sample& s = samples->emplace_back();
    s.pollutant.assign(info.code);
    s.time_s = data_time_s;
    s.cn = segment.cn_code;
    s.value = value;
    s.zs = zs;
    s.corrected = corrected;
    s.flag = flag;
    s.valid = valid;
    s.limit = limit ? limit->value : 0;
    s.exceeded = exceeded;

    auto event = [&](EventKind k) {
      Event& e = events->emplace_back();
      e.kind = k;
      e.pollutant.assign(info.code);
      e.time_s = data_time_s;
      e.value = zs;
      e.limit = limit ? limit->value : 0;
      e.unit = limit ? limit->unit : info.unit;
      e.flag = flag;
      if (limit) e.basis = limit->basis;
      e.cn = segment.cn_code;
    };
    if (exceeded) event(EventKind::kExceedance);
    if (flag == DataFlag::kFault || flag == DataFlag::kCommFault) {
      event(EventKind::kDeviceFault);
      info.in_fault = true;
    } else if (valid && info.in_fault) {
      event(EventKind::kRecovered);
      info.in_fault = false;
    }

    if (slot == nullptr) continue;
    double load_kg = 0;
    if (info.load_kg) {
      if (rec.cou.present()) {
        load_kg = rec.cou.value;
      } else if (have_flow) {
        // G = C x Q x t: mg/m3 x m3/s x s (or mg/L x L/s x s) = mg; x 1e-6 -> kg.
        load_kg = value * flow * interval_s * 1e-6;
      }
    }
    if (kind == kLoggerHour) {
      LoggerHour& h = slot->logger[pos];
      h.present = true;
      h.valid = valid;
      h.avg = value;
      h.zs = zs;
      h.min = rec.min.present() ? rec.min.value : value;
      h.max = rec.max.present() ? rec.max.value : value;
      h.load_kg = load_kg;
      h.flag = flag;
      continue;
    }
    Acc& a = kind == kMinute ? slot->minute[pos] : slot->realtime[pos];
    if (a.samples == 0) {
      a.all_min = a.all_max = value;
    } else {
      a.all_min = std::min(a.all_min, value);
      a.all_max = std::max(a.all_max, value);
    }
    ++a.samples;
    a.all_sum += value;
    a.all_sum_zs += zs;
    if (valid) {
      if (a.valid == 0) {
        a.min = a.max = value;
      } else {
        a.min = std::min(a.min, value);
        a.max = std::max(a.max, value);
      }
      ++a.valid;
      a.sum += value;
      a.sum_zs += zs;
    } else if (a.abnormal == DataFlag::kAbsent) {
      a.abnormal = flag;
    }
    a.load_kg += load_kg;
  }

  if (kind == kDaily) return;
  if (slot != nullptr && kind != kLoggerHour) slot->kinds |= static_cast<uint8_t>(1 << kind);
  if (kind != kLoggerHour) latest_hour_[kind] = std::max(latest_hour_[kind], hour_s);
  latest_any_hour_ = std::max(latest_any_hour_, hour_s);
  CloseFinished(hours);
}

// An hour closes once every kind of data it holds (real-time, minute) has data of a later hour:
// a real-time value of 09:00:00 may arrive before the minute value of 08:59, so one stream moving
// on does not close the hour while the other has not. An hour holding only a logger's 2061
// closes when any data of a later hour arrives.
void Evaluator::CloseFinished(std::vector<store::EnvHourRow>* hours) {
  for (size_t i = 0; i < open_.size();) {
    const HourSlot& s = open_[i];
    bool done;
    if (s.kinds == 0) {
      done = latest_any_hour_ > s.hour_s;
    } else {
      done = true;
      for (int k = 0; k < 2; ++k) {
        if ((s.kinds & (1 << k)) != 0 && latest_hour_[k] <= s.hour_s) done = false;
      }
    }
    if (done) {
      CloseSlot(i, hours);
    } else {
      ++i;
    }
  }
}

void Evaluator::CloseSlot(size_t index, std::vector<store::EnvHourRow>* hours) {
  HourSlot& slot = open_[index];
  closed_through_ = std::max(closed_through_, slot.hour_s);
  const int32_t day = zone_.LocalDay(slot.hour_s);
  const bool flue_gas = source_.kind == SourceKind::kStack;
  for (size_t pos = 0; pos < info_.size(); ++pos) {
    const Acc* acc = nullptr;
    int32_t interval_s = 0;
    if (slot.minute[pos].samples > 0) {
      acc = &slot.minute[pos];
      interval_s = source_.minute_interval_s;
    } else if (slot.realtime[pos].samples > 0) {
      acc = &slot.realtime[pos];
      interval_s = source_.realtime_interval_s;
    }
    const LoggerHour& logger = slot.logger[pos];
    if (acc == nullptr && !logger.present) continue;

    store::EnvHourRow& row = hours->emplace_back();
    row.source = source_.code;
    row.pollutant = info_[pos].code;
    row.hour_s = slot.hour_s;
    if (acc != nullptr) {
      const Acc& a = *acc;
      if (a.valid > 0) {
        row.avg = a.sum / a.valid;
        row.zs_avg = a.sum_zs / a.valid;
        row.min = a.min;
        row.max = a.max;
      } else {
        row.avg = a.all_sum / a.samples;
        row.zs_avg = a.all_sum_zs / a.samples;
        row.min = a.all_min;
        row.max = a.all_max;
      }
      row.load_kg = a.load_kg;
      row.samples = a.samples;
      row.valid = a.valid;
      row.expected = std::max<int32_t>(1, static_cast<int32_t>(kHour / interval_s));
      if (flue_gas) {
        // Appendix C: normal when >= 75 % of the values are normal, else instrument fault --
        // except an hour with no valid value whose first flag is a planned state (stopped,
        // maintenance, calibration): a boiler that was off is not a faulty instrument.
        const bool planned = a.abnormal == DataFlag::kStopped ||
                             a.abnormal == DataFlag::kMaintenance ||
                             a.abnormal == DataFlag::kCalibration;
        row.flag = int64_t{a.valid} * 4 >= int64_t{row.expected} * 3 ? "N"
                   : a.valid == 0 && planned                         ? FlagText(a.abnormal)
                                                                     : "D";
      } else {
        // Appendix C: one abnormal value makes the wastewater hour abnormal.
        row.flag = FlagText(a.abnormal);
      }
      row.origin = "computed";
    } else {
      row.avg = logger.avg;
      row.zs_avg = logger.zs;
      row.min = logger.min;
      row.max = logger.max;
      row.load_kg = logger.load_kg;
      row.samples = 1;
      row.valid = logger.valid ? 1 : 0;
      row.expected = 1;
      row.flag = FlagText(logger.flag);
      row.origin = "logger";
    }
    const std::optional<Limit>& limit = LimitFor(pos, day);
    row.limit = limit ? limit->value : 0;
    row.exceeded = limit.has_value() && row.flag == "N" && row.zs_avg > limit->value;
  }
  spare_.push_back(std::move(slot));
  open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(index));
}

void Evaluator::Tick(int64_t now_s, std::vector<store::EnvHourRow>* hours) {
  for (size_t i = 0; i < open_.size();) {
    if (open_[i].hour_s + kHour + options_.hour_grace_s <= now_s) {
      CloseSlot(i, hours);
    } else {
      ++i;
    }
  }
}

void Evaluator::CloseAll(std::vector<store::EnvHourRow>* hours) {
  while (!open_.empty()) CloseSlot(0, hours);
}

}  // namespace zp::environment
