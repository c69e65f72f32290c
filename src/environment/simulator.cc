// The data-logger simulator (数采仪模拟器): a deterministic fleet of boiler stacks and wastewater
// outfalls, their measured values as a function of data time (daily load cycle, start-ups,
// exceedances, instrument faults, calibrations, outages), HJ 212-2017 frames built with the codec,
// and one epoll thread that plays the fleet against a server. See simulator.h.

#include "zp/environment/simulator.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <numbers>
#include <queue>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "zp/auth/auth.h"
#include "zp/base/logging.h"
#include "zp/hj212/frame.h"
#include "zp/hj212/pollutants.h"
#include "zp/hj212/segment.h"

namespace zp::environment {
namespace {

using hj212::DataFlag;

// --- deterministic randomness: SplitMix64 over hashed keys.

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
uint64_t Hash(uint64_t a, uint64_t b) { return Mix(a ^ Mix(b)); }
uint64_t Hash(uint64_t a, uint64_t b, uint64_t c) { return Hash(Hash(a, b), c); }
double Unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }  // [0, 1)
double Signed(uint64_t h) { return 2 * Unit(h) - 1; }                         // [-1, 1)

uint64_t HashText(std::string_view s) {
  uint64_t h = 0xCBF29CE484222325ULL;  // FNV-1a
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001B3ULL;
  return Mix(h);
}

// Smooth noise in [-1, 1]: random knots every `period` seconds, smoothstep in between.
double ValueNoise(uint64_t key, int64_t t, int64_t period) {
  const int64_t k = FloorDiv(t, period);
  const double f = static_cast<double>(t - k * period) / static_cast<double>(period);
  const double s = f * f * (3 - 2 * f);
  const double a = Signed(Hash(key, static_cast<uint64_t>(k)));
  const double b = Signed(Hash(key, static_cast<uint64_t>(k + 1)));
  return a + (b - a) * s;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix(state_++); }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Unit(Next()); }
  int64_t Below(int64_t n) { return static_cast<int64_t>(Unit(Next()) * static_cast<double>(n)); }
  bool Chance(double p) { return Unit(Next()) < p; }

 private:
  uint64_t state_;
};

int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --- fleet.

constexpr std::string_view kStackPollutants[] = {"a34013", "a21026", "a21002",
                                                 "a19001", "a00000", "a01012"};
constexpr std::string_view kOutfallPollutants[] = {"w00000", "w01018", "w21003", "w01001",
                                                   "w21011"};

// Permit limits of the demo outfalls: made-up values for the demonstration, not a standard's.
struct PermitTemplate {
  double cod, nh3n, tp;
};
constexpr PermitTemplate kPermits[] = {
    {300, 30, 4},  // discharging to the park's wastewater treatment plant (纳管)
    {60, 8, 0.5},  // discharging to a river (直排)
};
constexpr std::string_view kPermitBasis = "示例排污许可 (演示数据) / demo permit (demo values)";

std::string_view FuelZh(Fuel f) {
  return f == Fuel::kCoal ? "燃煤" : f == Fuel::kOil ? "燃油" : "燃气";
}
std::string_view FuelEn(Fuel f) {
  return f == Fuel::kCoal ? "Coal" : f == Fuel::kOil ? "Oil" : "Gas";
}

// --- channels and profiles.

enum class Role : uint8_t {
  kPm,
  kSo2,
  kNox,
  kO2,
  kGasFlow,
  kTemp,
  kWaterFlow,
  kCod,
  kNh3n,
  kPh,
  kTp,
  kOther,
};

Role RoleOf(std::string_view code) {
  static constexpr std::pair<std::string_view, Role> kRoles[] = {
      {"a34013", Role::kPm},        {"a21026", Role::kSo2},     {"a21002", Role::kNox},
      {"a19001", Role::kO2},        {"a00000", Role::kGasFlow}, {"a01012", Role::kTemp},
      {"w00000", Role::kWaterFlow}, {"w01018", Role::kCod},     {"w21003", Role::kNh3n},
      {"w01001", Role::kPh},        {"w21011", Role::kTp}};
  for (const auto& [c, r] : kRoles) {
    if (c == code) return r;
  }
  return Role::kOther;
}

bool Correctable(Role r) { return r == Role::kPm || r == Role::kSo2 || r == Role::kNox; }
bool Analyser(Role r) {  // a channel that can fault or exceed
  return r == Role::kPm || r == Role::kSo2 || r == Role::kNox || r == Role::kCod ||
         r == Role::kNh3n || r == Role::kTp || r == Role::kPh;
}

struct Channel {
  std::string code;
  Role role = Role::kOther;
  int decimals = 2;
  double limit = 0;  // the limit the level refers to (corrected for flue gas); 0: none
  double level = 0;  // normal value as a share of the limit (or an absolute base)
  bool zs = false;   // send Zs values
  bool cou = false;  // has an emitted amount
  int cou_decimals = 3;
  uint64_t key = 0;
  std::array<std::string, 9> names;  // "code-Rtd", ... by Suffix
};

enum Suffix : size_t { kRtd, kZsRtd, kCou, kMin, kAvg, kMax, kZsMin, kZsAvg, kZsMax };
constexpr std::string_view kSuffixes[] = {"Rtd", "ZsRtd", "Cou",   "Min",  "Avg",
                                          "Max", "ZsMin", "ZsAvg", "ZsMax"};

// A finite value with `decimals` digits after the point (what CpBuilder::Number writes, without
// the general formatter: the simulator writes tens of thousands of frames a second).
std::string_view FormatFixed(double v, int decimals, char (&buf)[40]) {
  static constexpr double kScale[] = {1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
  decimals = std::clamp(decimals, 0, 9);
  double scaled = std::round(std::fabs(v) * kScale[decimals]);
  if (!(scaled < 9e15)) scaled = 9e15;  // far beyond any HJ 212 data type
  uint64_t n = static_cast<uint64_t>(scaled);
  char* end = buf + sizeof(buf);
  char* p = end;
  for (int d = 0; d < decimals; ++d) {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  if (decimals > 0) *--p = '.';
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0);
  if (v < 0 && scaled > 0) *--p = '-';
  return std::string_view(p, static_cast<size_t>(end - p));
}

// Per-value accumulator over a minute or an hour.
struct Acc {
  int32_t n = 0;
  double sum = 0, min = 0, max = 0;
  double zsum = 0, zmin = 0, zmax = 0;
  double cou = 0;
  std::array<int32_t, 8> flags{};  // N F M S D C T B

  void Add(double v, double zs, double amount, DataFlag flag) {
    if (n == 0) {
      min = max = v;
      zmin = zmax = zs;
    } else {
      min = std::min(min, v);
      max = std::max(max, v);
      zmin = std::min(zmin, zs);
      zmax = std::max(zmax, zs);
    }
    ++n;
    sum += v;
    zsum += zs;
    cou += amount;
    ++flags[FlagIndex(flag)];
  }
  static size_t FlagIndex(DataFlag f) {
    static constexpr char kOrder[] = "NFMSDCTB";
    for (size_t i = 0; i < 8; ++i) {
      if (kOrder[i] == static_cast<char>(f)) return i;
    }
    return 0;
  }
  // Appendix C: flue gas normal when >= 75 % of the values are; wastewater abnormal with one
  // abnormal value. Otherwise the most frequent abnormal flag.
  DataFlag Flag(bool flue_gas) const {
    const bool normal = flue_gas ? flags[0] * 4 >= n * 3 : flags[0] == n;
    if (normal) return DataFlag::kNormal;
    static constexpr char kOrder[] = "NFMSDCTB";
    size_t best = 1;
    for (size_t i = 2; i < 8; ++i) {
      if (flags[i] > flags[best]) best = i;
    }
    return static_cast<DataFlag>(kOrder[best]);
  }
};

struct Window {
  int64_t from = 0, to = 0;
  bool Contains(int64_t t) const { return t >= from && t < to; }
};

// Episodes of one logger on one local day (windows may run past midnight).
struct DayPlan {
  int32_t day = std::numeric_limits<int32_t>::min();
  Window stop, startup, exceed, outage, fault, calib;
  int32_t exceed_channel = -1;
  int32_t fault_channel = -1;
  double exceed_factor = 1;
};

// What one step's values are.
struct Point {
  double value = 0;
  double zs = 0;
  double amount = 0;
  DataFlag flag = DataFlag::kNormal;
};

// One logger: its profile, its episodes and the frames of each step of data time.
class Player {
 public:
  Player(const SimLogger& logger, const TimeZone& zone, bool faults, bool ack)
      : logger_(logger), zone_(zone), faults_(faults) {
    const Source& s = logger.source;
    key_ = HashText(s.mn) ^ HashText(s.code);
    stack_ = s.kind == SourceKind::kStack;
    rt_ = std::max<int64_t>(1, s.realtime_interval_s);
    mi_ = std::max<int64_t>(rt_, s.minute_interval_s);
    ref_o2_ = s.reference_o2_pct;
    flag_ = hj212::MakeFlag(hj212::kVersion2017, false, ack);
    split_flag_ = hj212::MakeFlag(hj212::kVersion2017, true, ack);
    st_ = stack_ ? "31" : "32";
    Rng r(key_);
    const bool send_zs = stack_ && r.Chance(0.5);  // the others leave the correction to the server
    capacity_ = stack_ ? r.Uniform(4, 35) : r.Uniform(4, 40);  // m3/s at full load; L/s
    const int32_t today = zone.LocalDay(NowMs() / 1000);
    for (const std::string& code : s.pollutants) {
      Channel c;
      c.code = code;
      c.role = RoleOf(code);
      c.key = Hash(key_, HashText(code));
      const hj212::PollutantCode* p = hj212::FindPollutant(code);
      c.decimals = p != nullptr && p->Decimals() >= 0 ? p->Decimals() : 1;
      c.cou = p != nullptr && !p->amount_unit.empty();
      c.cou_decimals = c.role == Role::kGasFlow || c.role == Role::kWaterFlow ? 1 : 3;
      if (std::optional<Limit> l = LimitInForce(s, code, today)) c.limit = l->value;
      c.zs = send_zs && Correctable(c.role) && ref_o2_ > 0;
      for (size_t k = 0; k < c.names.size(); ++k) {
        c.names[k] = code + "-" + std::string(kSuffixes[k]);
      }
      switch (c.role) {
        case Role::kPm:
          c.level = r.Uniform(0.2, 0.45);
          if (c.limit <= 0) c.limit = 30;
          break;
        case Role::kSo2:
          c.level = r.Uniform(0.3, 0.6);
          if (c.limit <= 0) c.limit = 200;
          break;
        case Role::kNox:
          c.level = r.Uniform(0.45, 0.7);
          if (c.limit <= 0) c.limit = 200;
          break;
        case Role::kCod:
        case Role::kNh3n:
        case Role::kTp:
          c.level = r.Uniform(0.3, 0.6);
          if (c.limit <= 0) c.limit = c.role == Role::kCod ? 300 : c.role == Role::kNh3n ? 30 : 4;
          break;
        default:
          c.level = r.Uniform(0.9, 1.1);
          break;
      }
      channels_.push_back(std::move(c));
    }
    minute_.resize(channels_.size());
    hour_.resize(channels_.size());
    points_.resize(channels_.size());
    calib_hour_ = r.Below(5) + 1;  // daily zero/span check in the small hours
  }

  const SimLogger& logger() const { return logger_; }
  int64_t data_time() const { return t_; }

  // First data time at or after t0 on the logger's real-time grid (local wall clock).
  void Start(int64_t t0) {
    const int64_t local = zone_.ToLocal(t0);
    const int64_t aligned = local + FloorMod(-local, rt_);
    t_ = t0 + (aligned - local);
    minute_partial_ = FloorMod(aligned, mi_) != 0;
    hour_partial_ = FloorMod(aligned, 3600) != 0;
  }

  struct Counters {
    uint64_t exceedances = 0, outages = 0, startups = 0, faults = 0;
  };

  // Appends the frames of the step at data_time() to *out (QN from *qn_ms, which advances by one
  // per frame) and moves to the next step. Returns the number of frames (0 in an outage).
  int Step(int64_t* qn_ms, std::string* out, Counters* counters) {
    const int64_t t = t_;
    t_ += rt_;
    Sample(t, counters);
    const bool silent = outage_now_;
    int frames = 0;
    for (size_t i = 0; i < channels_.size(); ++i) {
      const Point& p = points_[i];
      minute_[i].Add(p.value, p.zs, p.amount, p.flag);
      hour_[i].Add(p.value, p.zs, p.amount, p.flag);
    }
    if (!silent) frames += EmitRealtime(t, qn_ms, out);
    // Aggregates of a period begun before the first step are partial: not sent.
    const int64_t next_local = zone_.ToLocal(t + rt_);
    if (FloorMod(next_local, mi_) == 0) {
      if (!silent && !minute_partial_) {
        frames += EmitPeriod(hj212::cn::kMinuteData, t + rt_ - mi_, minute_, qn_ms, out);
      }
      minute_partial_ = false;
      for (Acc& a : minute_) a = Acc{};
    }
    if (FloorMod(next_local, 3600) == 0) {
      if (!silent && !hour_partial_) {
        frames += EmitPeriod(hj212::cn::kHourlyData, t + rt_ - 3600, hour_, qn_ms, out);
      }
      hour_partial_ = false;
      for (Acc& a : hour_) a = Acc{};
    }
    return frames;
  }

 private:
  // The episodes of a local day: deterministic in (logger, day).
  DayPlan Plan(int32_t day) const {
    DayPlan plan;
    plan.day = day;
    if (!faults_) return plan;
    const int64_t start = zone_.DayStart(day);
    Rng r(Hash(key_, static_cast<uint64_t>(day), 0xE715));
    auto minutes = [&](double lo, double hi) {
      return static_cast<int64_t>(r.Uniform(lo, hi)) * 60;
    };
    auto window = [&](int64_t from, int64_t length) { return Window{from, from + length}; };
    // Boilers: a stop (flag F) followed by a start-up (O2 falling from ~19 %, unstable values).
    if (stack_ && r.Chance(0.25)) {
      plan.stop = window(start + minutes(0, 20 * 60), minutes(60, 240));
      plan.startup = window(plan.stop.to, minutes(40, 80));
    } else {
      (void)r.Next(), (void)r.Next(), (void)r.Next(), (void)r.Next();
    }
    // An exceedance: one analyser above its limit for a quarter to three quarters of an hour.
    if (r.Chance(stack_ ? 0.3 : 0.25)) {
      plan.exceed = window(start + minutes(0, 23 * 60), minutes(15, 45));
      plan.exceed_channel = PickChannel(&r, true);
      plan.exceed_factor = r.Uniform(1.15, 1.6);
    } else {
      (void)r.Next(), (void)r.Next(), (void)r.Next(), (void)r.Next();
    }
    // An outage (network or power): no frames for 15 to 60 minutes.
    if (r.Chance(0.12)) {
      plan.outage = window(start + minutes(0, 23 * 60), minutes(15, 60));
    } else {
      (void)r.Next(), (void)r.Next();
    }
    // An instrument fault: flag D on one analyser.
    if (r.Chance(0.1)) {
      plan.fault = window(start + minutes(0, 23 * 60), minutes(20, 90));
      plan.fault_channel = PickChannel(&r, false);
    } else {
      (void)r.Next(), (void)r.Next(), (void)r.Next();
    }
    // Daily zero/span check of the gas analysers (flag C), on half of the days.
    if (stack_ && r.Chance(0.5)) {
      plan.calib = window(start + calib_hour_ * 3600 + minutes(0, 30), 6 * 60);
    }
    return plan;
  }

  // A random analyser channel, weighted towards SO2 / NOx (stacks) and COD / NH3-N (outfalls).
  int32_t PickChannel(Rng* r, bool with_limit) const {
    double total = 0;
    std::array<double, 16> weights{};
    for (size_t i = 0; i < channels_.size() && i < weights.size(); ++i) {
      const Role role = channels_[i].role;
      if (!Analyser(role) || (with_limit && (role == Role::kPh || channels_[i].limit <= 0))) {
        continue;
      }
      weights[i] = role == Role::kSo2 || role == Role::kCod    ? 5
                   : role == Role::kNox || role == Role::kNh3n ? 3.5
                                                               : 1.5;
      total += weights[i];
    }
    double x = r->Uniform(0, total);
    for (size_t i = 0; i < channels_.size() && i < weights.size(); ++i) {
      if (weights[i] <= 0) continue;
      if (x < weights[i]) return static_cast<int32_t>(i);
      x -= weights[i];
    }
    return -1;
  }

  const DayPlan& PlanOf(int32_t day) {
    for (DayPlan& p : plans_) {
      if (p.day == day) return p;
    }
    DayPlan& slot = plans_[next_plan_];
    next_plan_ = (next_plan_ + 1) % plans_.size();
    slot = Plan(day);
    return slot;
  }

  // Values of every channel at data time t, into points_.
  void Sample(int64_t t, Counters* counters) {
    const int32_t day = zone_.LocalDay(t);
    const DayPlan& today = PlanOf(day);
    const DayPlan& yesterday = PlanOf(day - 1);
    auto any = [&](Window DayPlan::*w) {
      if ((today.*w).Contains(t)) return &today;
      if ((yesterday.*w).Contains(t)) return &yesterday;
      return static_cast<const DayPlan*>(nullptr);
    };
    const DayPlan* stop = any(&DayPlan::stop);
    const DayPlan* startup = any(&DayPlan::startup);
    const DayPlan* exceed = any(&DayPlan::exceed);
    const DayPlan* outage = any(&DayPlan::outage);
    const DayPlan* fault = any(&DayPlan::fault);
    const DayPlan* calib = any(&DayPlan::calib);
    // Episode starts, for the counters.
    const bool in_exceed = exceed != nullptr && exceed->exceed_channel >= 0;
    if (in_exceed && !was_exceed_) ++counters->exceedances;
    if (outage != nullptr && !outage_now_) ++counters->outages;
    if (startup != nullptr && !was_startup_) ++counters->startups;
    const bool in_fault = fault != nullptr && fault->fault_channel >= 0;
    if (in_fault && !was_fault_) ++counters->faults;
    was_exceed_ = in_exceed;
    outage_now_ = outage != nullptr;
    was_startup_ = startup != nullptr;
    was_fault_ = in_fault;

    const double hod = static_cast<double>(FloorMod(zone_.ToLocal(t), kSecondsPerDay)) / 3600.0;
    // Daily cycle: low at 04:00, high in the afternoon.
    const double shape = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * (hod - 4) / 24);
    const double fast = Signed(Hash(key_, static_cast<uint64_t>(t)));
    const double dt = static_cast<double>(rt_);

    if (stack_) {
      double load = std::clamp(
          0.5 + 0.4 * shape + 0.06 * ValueNoise(key_ ^ 1, t, 1800) + 0.02 * fast, 0.3, 1.0);
      const Fuel fuel = logger_.source.fuel;
      double o2 = (fuel == Fuel::kCoal ? 12.2 - 3.5 * load : 6.0 - 2.5 * load) +
                  0.35 * ValueNoise(key_ ^ 2, t, 900) + 0.12 * Signed(Hash(key_, t, 2));
      double temp = (fuel == Fuel::kCoal ? 115 + 35 * load : 75 + 40 * load) +
                    2 * ValueNoise(key_ ^ 3, t, 1200);
      double spread = 1;  // instability of the concentrations
      bool stopped = false;
      DataFlag regime = DataFlag::kNormal;
      if (stop != nullptr) {
        stopped = true;
        load = 0.04;
        o2 = 20.6 + 0.25 * Unit(Hash(key_, t, 3));
        temp = 45 + 10 * Unit(Hash(key_, t, 4));
        regime = DataFlag::kStopped;
      } else if (startup != nullptr) {
        const double phase = static_cast<double>(t - startup->startup.from) /
                             static_cast<double>(startup->startup.to - startup->startup.from);
        load = 0.15 + 0.35 * phase;
        o2 = 19 - 4 * phase + 0.8 * Signed(Hash(key_, t, 5));
        temp = 60 + 50 * phase;
        spread = 3;
        if (o2 > 16) regime = DataFlag::kStopped;  // not yet in steady operation
      }
      o2 = Round(std::clamp(o2, 2.0, 20.9), 1);
      const double factor = o2 < 20.5 && ref_o2_ > 0 ? (21 - ref_o2_) / (21 - o2) : 1.0;
      const double flow = capacity_ * load * (1 + 0.03 * Signed(Hash(key_, t, 6)));
      for (size_t i = 0; i < channels_.size(); ++i) {
        const Channel& c = channels_[i];
        Point& p = points_[i];
        p.flag = regime;
        p.amount = 0;
        switch (c.role) {
          case Role::kO2:
            p.value = p.zs = o2;
            break;
          case Role::kGasFlow:
            p.value = p.zs = flow;
            p.amount = flow * dt;  // m3
            break;
          case Role::kTemp:
            p.value = p.zs = temp;
            break;
          case Role::kPm:
          case Role::kSo2:
          case Role::kNox: {
            double zs;
            if (stopped) {
              zs = c.limit * 0.03 * (1 + Unit(Hash(c.key, t)));
            } else if (startup != nullptr) {
              zs = c.limit * (0.4 + 0.4 * Unit(Hash(c.key, t)));
            } else {
              zs = c.limit * c.level * (0.85 + 0.3 * load) *
                   (1 + 0.12 * spread * ValueNoise(c.key, t, 600) +
                    0.04 * spread * Signed(Hash(c.key, t)));
            }
            if (in_exceed && exceed->exceed_channel == static_cast<int32_t>(i)) {
              zs = c.limit * exceed->exceed_factor * (1 + 0.04 * Signed(Hash(c.key, t, 7)));
            }
            zs = std::max(zs, 0.0);
            p.value = Round(zs / factor, c.decimals);
            p.zs = p.value * factor;
            p.amount = p.value * flow * dt * 1e-6;  // kg
            break;
          }
          default:  // a code the simulator has no model for: a steady reading
            p.value = p.zs = c.level * (1 + 0.1 * ValueNoise(c.key, t, 1200));
            break;
        }
        if (calib != nullptr &&
            (c.role == Role::kSo2 || c.role == Role::kNox || c.role == Role::kO2)) {
          p.flag = DataFlag::kCalibration;
        }
        if (in_fault && fault->fault_channel == static_cast<int32_t>(i)) {
          p.flag = DataFlag::kFault;
          p.value = p.zs = 0;
          p.amount = 0;
        }
      }
      return;
    }

    // Outfalls: day shift discharges more.
    const double flow = std::max(0.1, capacity_ * (0.35 + 0.65 * shape) *
                                          (1 + 0.08 * ValueNoise(key_ ^ 4, t, 1800) + 0.03 * fast));
    for (size_t i = 0; i < channels_.size(); ++i) {
      const Channel& c = channels_[i];
      Point& p = points_[i];
      p.flag = DataFlag::kNormal;
      p.amount = 0;
      switch (c.role) {
        case Role::kWaterFlow:
          p.value = flow;
          p.amount = flow * dt * 1e-3;  // m3
          break;
        case Role::kPh:
          p.value = 7.3 + 0.35 * ValueNoise(c.key, t, 2400) + 0.05 * Signed(Hash(c.key, t));
          break;
        case Role::kCod:
        case Role::kNh3n:
        case Role::kTp: {
          double v = c.limit * c.level * (0.8 + 0.3 * shape) *
                     (1 + 0.15 * ValueNoise(c.key, t, 1200) + 0.05 * Signed(Hash(c.key, t)));
          if (in_exceed && exceed->exceed_channel == static_cast<int32_t>(i)) {
            v = c.limit * exceed->exceed_factor * (1 + 0.04 * Signed(Hash(c.key, t, 7)));
          }
          p.value = std::max(v, 0.0);
          p.amount = p.value * flow * dt * 1e-6;  // mg/L x L/s x s -> kg
          break;
        }
        default:
          p.value = c.level * (1 + 0.1 * ValueNoise(c.key, t, 1200));
          break;
      }
      p.zs = p.value;
      if (in_fault && fault->fault_channel == static_cast<int32_t>(i)) {
        p.flag = DataFlag::kFault;
        p.value = p.zs = 0;
        p.amount = 0;
      }
    }
  }

  static double Round(double v, int decimals) {
    static constexpr double kScale[] = {1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    const double s = kScale[std::clamp(decimals, 0, 9)];
    return std::round(v * s) / s;
  }

  static void Number(hj212::CpBuilder& cp, const Channel& c, Suffix suffix, double v,
                     int decimals) {
    char buf[40];
    cp.Field(c.names[suffix], FormatFixed(v, decimals, buf));
  }

  // Real-time data (2011): Rtd [, ZsRtd], Flag per channel.
  int EmitRealtime(int64_t t, int64_t* qn_ms, std::string* out) {
    return Emit(hj212::cn::kRealtimeData, t, qn_ms, out, [this](size_t i, hj212::CpBuilder& cp) {
      const Channel& c = channels_[i];
      const Point& p = points_[i];
      cp.Item();
      Number(cp, c, kRtd, p.value, c.decimals);
      if (c.zs) Number(cp, c, kZsRtd, p.zs, c.decimals);
      cp.Flag(c.code, p.flag);
    });
  }

  // Minute (2051) or hourly (2061) data of the period starting at `from`.
  int EmitPeriod(int cn, int64_t from, const std::vector<Acc>& acc, int64_t* qn_ms,
                 std::string* out) {
    return Emit(cn, from, qn_ms, out, [this, &acc](size_t i, hj212::CpBuilder& cp) {
      const Channel& c = channels_[i];
      const Acc& a = acc[i];
      if (a.n == 0) return;
      cp.Item();
      if (c.cou) Number(cp, c, kCou, a.cou, c.cou_decimals);
      Number(cp, c, kMin, a.min, c.decimals);
      Number(cp, c, kAvg, a.sum / a.n, c.decimals);
      Number(cp, c, kMax, a.max, c.decimals);
      if (c.zs) {
        Number(cp, c, kZsMin, a.zmin, c.decimals);
        Number(cp, c, kZsAvg, a.zsum / a.n, c.decimals);
        Number(cp, c, kZsMax, a.zmax, c.decimals);
      }
      cp.Flag(c.code, a.Flag(stack_));
    });
  }

  // Builds the frame(s) of one command: one packet when the segment fits in 1024 bytes, else the
  // channels split over PNUM packets, each with its DataTime.
  template <typename ItemFn>
  int Emit(int cn, int64_t data_time, int64_t* qn_ms, std::string* out, const ItemFn& item) {
    const CivilTime dt = SecondsToCivil(zone_.ToLocal(data_time));
    const int64_t qn = (*qn_ms)++;
    qn_.clear();
    hj212::AppendQn(SecondsToCivil(zone_.ToLocal(FloorDiv(qn, 1000))),
                    static_cast<int32_t>(FloorMod(qn, 1000)), &qn_);
    char cn_text[8];
    const auto cn_end = fmt::format_to_n(cn_text, sizeof(cn_text), "{}", cn);
    for (int32_t parts = 1; parts <= static_cast<int32_t>(channels_.size()); ++parts) {
      const size_t mark = out->size();
      bool fits = true;
      const size_t per = (channels_.size() + static_cast<size_t>(parts) - 1) / parts;
      for (int32_t part = 0; part < parts && fits; ++part) {
        cp_.clear();
        hj212::CpBuilder cp(&cp_);
        cp.DataTime(dt);
        const size_t from = static_cast<size_t>(part) * per;
        for (size_t i = from; i < std::min(channels_.size(), from + per); ++i) item(i, cp);
        hj212::SegmentHeader h;
        h.qn = qn_;
        h.st = st_;
        h.cn = std::string_view(cn_text, cn_end.size);
        h.pw = logger_.password;
        h.mn = logger_.source.mn;
        h.flag = parts == 1 ? flag_ : split_flag_;
        h.pnum = parts == 1 ? 0 : parts;
        h.pno = parts == 1 ? 0 : part + 1;
        segment_.clear();
        hj212::AppendSegment(h, cp_, &segment_);
        fits = hj212::AppendFrame(segment_, out).ok();
      }
      if (fits) return parts;
      out->resize(mark);
    }
    return 0;
  }

  const SimLogger& logger_;
  TimeZone zone_;
  bool faults_;
  uint64_t key_ = 0;
  bool stack_ = true;
  int64_t rt_ = 30, mi_ = 60;
  double ref_o2_ = 0;
  int flag_ = 5, split_flag_ = 7;
  std::string_view st_;
  double capacity_ = 10;
  int64_t calib_hour_ = 3;
  std::vector<Channel> channels_;
  std::vector<Acc> minute_, hour_;
  std::vector<Point> points_;
  std::array<DayPlan, 3> plans_{};
  size_t next_plan_ = 0;
  int64_t t_ = 0;
  bool minute_partial_ = false, hour_partial_ = false;
  bool was_exceed_ = false, outage_now_ = false, was_startup_ = false, was_fault_ = false;
  std::string qn_, cp_, segment_;
};

// --- the network side: one epoll thread, non-blocking sockets.

constexpr int64_t kReplyTimeoutMs = 10'000;  // HJ 212 default timeout
constexpr size_t kMaxOutput = size_t{256} << 10;

struct Conn {
  int fd = -1;
  bool connecting = false;
  bool connected = false;
  bool ever_connected = false;
  bool want_write = false;
  std::string out;
  size_t out_pos = 0;
  std::unique_ptr<hj212::FrameReader> reader = std::make_unique<hj212::FrameReader>();
  std::vector<int32_t> loggers;
  std::deque<int32_t> ready;  // due loggers waiting for the window
  int32_t in_flight = 0;
  int64_t progress_ms = 0;  // last reply, or when in_flight became non-zero
  int64_t retry_at_ms = 0;
  int64_t backoff_ms = 500;
  bool dirty = false;
};

struct LoggerState {
  int64_t due_us = 0;
  int64_t steps = 0;
  int64_t qn_ms = 0;
  int32_t conn = 0;
};

class Runner {
 public:
  Runner(const std::vector<SimLogger>& fleet, const SimOptions& options,
         const std::atomic<bool>& stop)
      : fleet_(fleet), options_(options), stop_(stop) {}

  ~Runner() {
    for (Conn& c : conns_) {
      if (c.fd >= 0) ::close(c.fd);
    }
    if (epoll_ >= 0) ::close(epoll_);
  }

  Result<SimStats> Run(const std::function<void(const SimStats&)>& progress) {
    if (fleet_.empty()) return InvalidArgumentError("hj212-sim: no loggers / 没有数采仪");
    ZP_RETURN_IF_ERROR(Resolve());
    // The server must be reachable at all: the first connection is made before anything else.
    Result<int> first = ConnectBlocking();
    if (!first.ok()) return first.status();
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      ::close(*first);
      return InternalError(fmt::format("epoll_create1: {}", std::strerror(errno)));
    }

    const size_t n = fleet_.size();
    const size_t nconn =
        options_.connections > 0 ? std::min(n, static_cast<size_t>(options_.connections)) : n;
    conns_.resize(nconn);
    players_.reserve(n);
    states_.resize(n);
    const int64_t start_us = NowUs();
    const int64_t now_s = start_us / 1'000'000;
    const int64_t t0 = options_.start_s != 0 ? options_.start_s : now_s - options_.backfill_s;
    period_us_ = options_.frames_per_logger_per_s > 0
                     ? static_cast<int64_t>(1e6 / options_.frames_per_logger_per_s)
                     : 0;
    rate_start_us_ = start_us;
    for (size_t i = 0; i < n; ++i) {
      players_.push_back(
          std::make_unique<Player>(fleet_[i], options_.zone, options_.faults, options_.ack));
      players_.back()->Start(t0);
      LoggerState& s = states_[i];
      s.conn = static_cast<int32_t>(i % nconn);
      s.qn_ms = start_us / 1000;
      conns_[static_cast<size_t>(s.conn)].loggers.push_back(static_cast<int32_t>(i));
      s.due_us = Due(i);
      heap_.push({s.due_us, static_cast<int32_t>(i)});
    }
    const int64_t end_us =
        options_.duration_s > 0 ? start_us + options_.duration_s * 1'000'000 : INT64_MAX;
    int64_t next_progress_us = start_us + 1'000'000;
    int64_t next_check_ms = start_us / 1000 + 1000;
    Adopt(0, *first, start_us / 1000);
    size_t connect_cursor = 1;
    std::vector<epoll_event> events(1024);
    bool draining = false;
    int64_t drain_until_us = 0;

    for (;;) {
      int64_t now_us = NowUs();
      if (!draining && (stop_.load(std::memory_order_relaxed) || now_us >= end_us || caught_up_)) {
        draining = true;
        drain_until_us = now_us + 5'000'000;
        for (Conn& c : conns_) c.ready.clear();
      }
      if (draining) {
        bool pending = false;
        for (const Conn& c : conns_) {
          if (c.connected && (c.in_flight > 0 || c.out_pos < c.out.size())) pending = true;
        }
        if (!pending || now_us >= drain_until_us) break;
      }
      // Open connections gradually (the server's accept backlog).
      for (int k = 0; k < 256 && connect_cursor < conns_.size(); ++k) {
        StartConnect(connect_cursor++, now_us / 1000);
      }
      int64_t wait_us = 200'000;
      if (!draining && !heap_.empty()) wait_us = std::min(wait_us, heap_.top().first - now_us);
      wait_us = std::min(wait_us, next_progress_us - now_us);
      if (connect_cursor < conns_.size()) wait_us = 0;
      const int timeout_ms =
          wait_us <= 0 ? 0 : static_cast<int>(std::max<int64_t>(1, (wait_us + 999) / 1000));
      const int ready =
          epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
      if (ready < 0 && errno != EINTR) {
        return InternalError(fmt::format("epoll_wait: {}", std::strerror(errno)));
      }
      now_us = NowUs();
      const int64_t now_ms = now_us / 1000;
      for (int k = 0; k < ready; ++k) {
        const size_t ci = events[static_cast<size_t>(k)].data.u64;
        HandleEvent(ci, events[static_cast<size_t>(k)].events, now_ms);
      }
      if (!draining) {
        while (!heap_.empty() && heap_.top().first <= now_us) {
          const int32_t li = heap_.top().second;
          heap_.pop();
          Conn& c = conns_[static_cast<size_t>(states_[static_cast<size_t>(li)].conn)];
          c.ready.push_back(li);
          MarkDirty(static_cast<size_t>(states_[static_cast<size_t>(li)].conn));
        }
      }
      for (size_t ci : dirty_) {
        conns_[ci].dirty = false;
        Pump(ci, now_us);
      }
      dirty_.clear();
      if (now_ms >= next_check_ms) {
        next_check_ms = now_ms + 200;
        for (size_t ci = 0; ci < conns_.size(); ++ci) Check(ci, now_ms);
        if (options_.stop_when_caught_up) {
          caught_up_ = std::all_of(players_.begin(), players_.end(),
                                   [&](const auto& p) { return p->data_time() * 1000 > now_ms; });
        }
      }
      if (now_us >= next_progress_us) {
        next_progress_us += 1'000'000;
        if (next_progress_us < now_us) next_progress_us = now_us + 1'000'000;
        if (progress) progress(Snapshot(start_us, now_us));
      }
    }
    for (Conn& c : conns_) {
      if (c.in_flight > 0) stats_.timeouts += static_cast<uint64_t>(c.in_flight);
    }
    return Snapshot(start_us, NowUs());
  }

 private:
  // When logger i's next step is due (microseconds since the epoch).
  int64_t Due(size_t i) const {
    const LoggerState& s = states_[i];
    if (period_us_ > 0) {
      // Paced: evenly spread phases.
      const int64_t phase =
          static_cast<int64_t>(i) * period_us_ / static_cast<int64_t>(fleet_.size());
      return rate_start_us_ + phase + s.steps * period_us_;
    }
    // Real time, or at once while the data time is behind the clock. A logger sends a little
    // after its sampling instant (0..2 s, fixed per logger).
    const int64_t jitter =
        static_cast<int64_t>(Hash(HashText(fleet_[i].source.mn), 0x71) % 2'000'000);
    return players_[i]->data_time() * 1'000'000 + jitter;
  }

  SimStats Snapshot(int64_t start_us, int64_t now_us) {
    SimStats s = stats_;
    s.exceedances_played = counters_.exceedances;
    s.outages_played = counters_.outages;
    s.startups_played = counters_.startups;
    s.faults_played = counters_.faults;
    s.seconds = static_cast<double>(now_us - start_us) / 1e6;
    uint64_t open = 0;
    for (const Conn& c : conns_) open += c.connected ? 1 : 0;
    s.connections_open = open;
    int64_t lag = 0;
    const int64_t now_s = now_us / 1'000'000;
    for (const auto& p : players_) lag = std::max(lag, now_s - p->data_time());
    s.data_lag_s = std::max<int64_t>(0, lag - 60);  // within a step of the clock: in real time
    return s;
  }

  Status Resolve() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(options_.port);
    const int rc = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0 || res == nullptr) {
      return UnavailableError(
          fmt::format("cannot resolve {}: {} / 无法解析地址", options_.host, gai_strerror(rc)));
    }
    std::memcpy(&addr_, res->ai_addr, res->ai_addrlen);
    addr_len_ = res->ai_addrlen;
    family_ = res->ai_family;
    freeaddrinfo(res);
    return Status::OK();
  }

  Result<int> ConnectBlocking() {
    const int fd = ::socket(family_, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return InternalError(fmt::format("socket: {}", std::strerror(errno)));
    int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
    int err = rc == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, 5000);
      socklen_t len = sizeof(err);
      if (rc <= 0) {
        err = ETIMEDOUT;
      } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
      }
    }
    if (err != 0) {
      ::close(fd);
      return UnavailableError(fmt::format("cannot connect to {}:{}: {} / 无法连接服务器",
                                          options_.host, options_.port, std::strerror(err)));
    }
    return fd;
  }

  void StartConnect(size_t ci, int64_t now_ms) {
    Conn& c = conns_[ci];
    c.fd = ::socket(family_, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c.fd < 0) {
      Retry(ci, now_ms);
      return;
    }
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const int rc = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
    if (rc != 0 && errno != EINPROGRESS) {
      Drop(ci, now_ms);
      return;
    }
    c.connecting = rc != 0;
    c.connected = rc == 0;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (c.connecting ? uint32_t{EPOLLOUT} : 0u);
    c.want_write = c.connecting;
    ev.data.u64 = ci;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
    if (c.connected) Connected(ci, now_ms);
  }

  // Takes a connected socket as connection ci.
  void Adopt(size_t ci, int fd, int64_t now_ms) {
    Conn& c = conns_[ci];
    c.fd = fd;
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = ci;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
    Connected(ci, now_ms);
  }

  void Connected(size_t ci, int64_t now_ms) {
    Conn& c = conns_[ci];
    c.connecting = false;
    c.connected = true;
    if (c.ever_connected) ++stats_.reconnects;
    c.ever_connected = true;
    c.backoff_ms = 500;
    c.progress_ms = now_ms;
    MarkDirty(ci);
  }

  // Closes a connection; frames not yet answered are lost (the logger moves on). Reconnects later.
  void Drop(size_t ci, int64_t now_ms) {
    Conn& c = conns_[ci];
    if (c.fd >= 0) {
      epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
      c.fd = -1;
    }
    c.connected = c.connecting = c.want_write = false;
    c.out.clear();
    c.out_pos = 0;
    c.in_flight = 0;
    c.reader = std::make_unique<hj212::FrameReader>();
    Retry(ci, now_ms);
  }

  void Retry(size_t ci, int64_t now_ms) {
    Conn& c = conns_[ci];
    c.retry_at_ms = now_ms + c.backoff_ms;
    c.backoff_ms = std::min<int64_t>(c.backoff_ms * 2, 10'000);
  }

  void MarkDirty(size_t ci) {
    if (!conns_[ci].dirty) {
      conns_[ci].dirty = true;
      dirty_.push_back(ci);
    }
  }

  void HandleEvent(size_t ci, uint32_t ev, int64_t now_ms) {
    Conn& c = conns_[ci];
    if (c.fd < 0) return;
    if (c.connecting) {
      if ((ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      int err = 0;
      socklen_t len = sizeof(err);
      if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        Drop(ci, now_ms);
        return;
      }
      Connected(ci, now_ms);
      SetWrite(ci, false);
      return;
    }
    if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
      if (!Read(ci, now_ms)) {
        Drop(ci, now_ms);
        return;
      }
    }
    if ((ev & EPOLLOUT) != 0) {
      if (!Flush(ci)) {
        Drop(ci, now_ms);
        return;
      }
      MarkDirty(ci);
    }
  }

  void SetWrite(size_t ci, bool on) {
    Conn& c = conns_[ci];
    if (c.want_write == on || c.fd < 0) return;
    c.want_write = on;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (on ? uint32_t{EPOLLOUT} : 0u);
    ev.data.u64 = ci;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  // Reads replies; false when the connection is gone.
  bool Read(size_t ci, int64_t now_ms) {
    Conn& c = conns_[ci];
    for (;;) {
      const ssize_t got = ::recv(c.fd, buf_.data(), buf_.size(), 0);
      if (got == 0) return false;
      if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        if (errno == EINTR) continue;
        return false;
      }
      c.reader->Feed(std::string_view(buf_.data(), static_cast<size_t>(got)));
      std::string_view segment;
      Status error;
      for (;;) {
        const auto event = c.reader->Next(&segment, &error);
        if (event == hj212::FrameReader::Event::kNeedMore) break;
        if (event == hj212::FrameReader::Event::kError) continue;
        if (!hj212::ParseSegment(segment, &reply_).ok()) continue;
        if (reply_.cn_code == hj212::cn::kDataReply) {
          ++stats_.replies;
        } else if (reply_.cn_code == hj212::cn::kQnReply) {
          if (reply_.Field("QnRtn") != "1") ++stats_.refusals;
        } else {
          continue;
        }
        if (c.in_flight > 0) --c.in_flight;
        c.progress_ms = now_ms;
        MarkDirty(ci);
      }
      if (static_cast<size_t>(got) < buf_.size()) return true;
    }
  }

  // Writes what is buffered; false on a write error.
  bool Flush(size_t ci) {
    Conn& c = conns_[ci];
    while (c.out_pos < c.out.size()) {
      const ssize_t n =
          ::send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) continue;
        return false;
      }
      c.out_pos += static_cast<size_t>(n);
    }
    if (c.out_pos == c.out.size()) {
      c.out.clear();
      c.out_pos = 0;
      SetWrite(ci, false);
    } else {
      SetWrite(ci, true);
    }
    return true;
  }

  // Builds the frames of due loggers while the window and the output buffer allow, then writes.
  void Pump(size_t ci, int64_t now_us) {
    Conn& c = conns_[ci];
    if (!c.connected) return;
    const int32_t window = std::max(1, options_.window);
    while (!c.ready.empty() && (!options_.ack || c.in_flight < window) &&
           c.out.size() - c.out_pos < kMaxOutput) {
      const int32_t li = c.ready.front();
      c.ready.pop_front();
      LoggerState& s = states_[static_cast<size_t>(li)];
      s.qn_ms = std::max(s.qn_ms, now_us / 1000);
      const int frames = players_[static_cast<size_t>(li)]->Step(&s.qn_ms, &c.out, &counters_);
      ++s.steps;
      stats_.frames_sent += static_cast<uint64_t>(frames);
      if (options_.ack && frames > 0) {
        if (c.in_flight == 0) c.progress_ms = now_us / 1000;
        c.in_flight += frames;
      }
      s.due_us = Due(static_cast<size_t>(li));
      if (s.due_us <= now_us) {
        c.ready.push_back(li);  // behind: next in turn
      } else {
        heap_.push({s.due_us, li});
      }
    }
    if (c.out_pos < c.out.size() && !Flush(ci)) Drop(ci, now_us / 1000);
  }

  // Reconnects and reply timeouts.
  void Check(size_t ci, int64_t now_ms) {
    Conn& c = conns_[ci];
    if (c.fd < 0 && c.retry_at_ms > 0 && now_ms >= c.retry_at_ms) {
      c.retry_at_ms = 0;
      StartConnect(ci, now_ms);
      return;
    }
    if (c.connected && c.in_flight > 0 && now_ms - c.progress_ms > kReplyTimeoutMs) {
      stats_.timeouts += static_cast<uint64_t>(c.in_flight);
      c.in_flight = 0;
      c.progress_ms = now_ms;
      MarkDirty(ci);
    }
  }

  const std::vector<SimLogger>& fleet_;
  const SimOptions& options_;
  const std::atomic<bool>& stop_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  int family_ = AF_INET;
  int epoll_ = -1;
  std::vector<Conn> conns_;
  std::vector<std::unique_ptr<Player>> players_;
  std::vector<LoggerState> states_;
  std::priority_queue<std::pair<int64_t, int32_t>, std::vector<std::pair<int64_t, int32_t>>,
                      std::greater<>>
      heap_;
  std::vector<size_t> dirty_;
  int64_t period_us_ = 0;
  int64_t rate_start_us_ = 0;
  bool caught_up_ = false;
  SimStats stats_;
  Player::Counters counters_;
  std::array<char, 64 << 10> buf_{};
  hj212::DataSegment reply_;
};

}  // namespace

std::vector<SimLogger> MakeFleet(const FleetOptions& options) {
  std::vector<SimLogger> fleet;
  if (options.enterprises.empty() || options.loggers <= 0) return fleet;
  const size_t n = static_cast<size_t>(options.loggers);
  // Which loggers are outfalls: a seeded permutation, the first round(n x share) of it.
  std::vector<std::pair<uint64_t, size_t>> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = {Hash(options.seed, i, 0x0F), i};
  std::sort(order.begin(), order.end());
  const size_t outfalls = static_cast<size_t>(
      std::llround(std::clamp(options.outfall_share, 0.0, 1.0) * static_cast<double>(n)));
  std::vector<bool> is_outfall(n, false);
  for (size_t k = 0; k < outfalls; ++k) is_outfall[order[k].second] = true;
  const std::set<std::string> gas(options.gas_enterprises.begin(), options.gas_enterprises.end());

  const uint64_t maker = Hash(options.seed, 0x3A) & 0xFFFFFFF;     // 28 bits
  const uint64_t serial0 = Hash(options.seed, 0x5E) & 0xFFFFFFFF;  // serial numbers from here
  std::vector<std::pair<int32_t, int32_t>> counts(options.enterprises.size());  // stacks, outfalls
  fleet.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t e = i % options.enterprises.size();
    const std::string& enterprise = options.enterprises[e];
    Rng r(Hash(options.seed, i, 0x10));
    SimLogger lg;
    Source& s = lg.source;
    s.enterprise_code = enterprise;
    s.kind = is_outfall[i] ? SourceKind::kOutfall : SourceKind::kStack;
    const bool stack = s.kind == SourceKind::kStack;
    const int32_t number = ++(stack ? counts[e].first : counts[e].second);
    s.code = fmt::format("{}.{}{:03d}", enterprise, stack ? "DA" : "DW", number);
    // EPC-96 layout: header 8 bits, manufacturer 28, object class 24, serial 36.
    s.mn = fmt::format("{:02X}{:07X}{:06X}{:09X}", 0x01, maker, stack ? 0x000031 : 0x000032,
                       (serial0 + i) & 0xFFFFFFFFFULL);
    lg.password = fmt::format("{:06d}", 100000 + r.Below(900000));
    s.password_sha256 = auth::HashSecret(lg.password);
    if (stack) {
      const double f = r.Uniform(0, 1);
      s.fuel = gas.contains(enterprise) ? Fuel::kGas
               : f < 0.65               ? Fuel::kCoal
               : f < 0.95               ? Fuel::kGas
                                        : Fuel::kOil;
      const double b = r.Uniform(0, 1);
      s.boiler_class = b < 0.55  ? BoilerClass::kInUse
                       : b < 0.9 ? BoilerClass::kNew
                                 : BoilerClass::kSpecial;
      s.reference_o2_pct = Gb13271ReferenceO2(s.fuel);
      s.realtime_interval_s = r.Chance(0.6) ? 30 : 60;
      const double m = r.Uniform(0, 1);
      s.minute_interval_s = m < 0.3 ? 60 : m < 0.6 ? 300 : 600;
      s.name = fmt::format("{}号{}锅炉排气筒 / {} boiler stack {}", number, FuelZh(s.fuel),
                           FuelEn(s.fuel), number);
      for (std::string_view p : kStackPollutants) s.pollutants.emplace_back(p);
    } else {
      s.realtime_interval_s = 60;
      s.minute_interval_s = r.Chance(0.5) ? 60 : 600;
      s.name = fmt::format("{}号废水排放口 / Wastewater outfall {}", number, number);
      for (std::string_view p : kOutfallPollutants) s.pollutants.emplace_back(p);
      const PermitTemplate& permit = kPermits[r.Chance(0.7) ? 0 : 1];
      for (const auto& [code, value] : {std::pair<std::string_view, double>{"w01018", permit.cod},
                                        {"w21003", permit.nh3n},
                                        {"w21011", permit.tp}}) {
        LimitOverride l;
        l.pollutant = std::string(code);
        l.value = value;
        const hj212::PollutantCode* pc = hj212::FindPollutant(code);
        l.unit = pc != nullptr ? std::string(pc->unit) : "mg/L";
        l.basis = std::string(kPermitBasis);
        s.limits.push_back(std::move(l));
      }
    }
    fleet.push_back(std::move(lg));
  }
  return fleet;
}

std::string FleetOptionsToJson(const FleetOptions& o) {
  const nlohmann::json j{{"seed", o.seed},
                         {"loggers", o.loggers},
                         {"enterprises", o.enterprises},
                         {"gas_enterprises", o.gas_enterprises},
                         {"outfall_share", o.outfall_share}};
  return j.dump();
}

Result<FleetOptions> FleetOptionsFromJson(std::string_view text) {
  FleetOptions o;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (!j.at("seed").is_number_unsigned()) {
      return InvalidArgumentError("fleet: seed must be a whole number >= 0 / 种子须为非负整数");
    }
    o.seed = j.at("seed").get<uint64_t>();
    o.loggers = j.at("loggers").get<int32_t>();
    o.enterprises = j.at("enterprises").get<std::vector<std::string>>();
    if (j.contains("gas_enterprises")) {
      o.gas_enterprises = j.at("gas_enterprises").get<std::vector<std::string>>();
    }
    if (j.contains("outfall_share")) o.outfall_share = j.at("outfall_share").get<double>();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(
        fmt::format("fleet: {} (expected {{\"seed\", \"loggers\", \"enterprises\"}}) / "
                    "机队设置无法读取",
                    e.what()));
  }
  if (o.loggers <= 0 || o.loggers > 100000 || o.enterprises.empty() ||
      !(o.outfall_share >= 0 && o.outfall_share <= 1)) {
    return InvalidArgumentError(
        "fleet: needs 1..100000 loggers, some enterprises and an outfall share in 0..1 / "
        "机队设置无效: 数采仪 1..100000 台, 须有企业");
  }
  return o;
}

SourceRegistry FleetRegistry(const std::vector<SimLogger>& fleet) {
  SourceRegistry registry;
  registry.sources.reserve(fleet.size());
  for (const SimLogger& lg : fleet) registry.sources.push_back(lg.source);
  std::sort(registry.sources.begin(), registry.sources.end(),
            [](const Source& a, const Source& b) { return a.code < b.code; });
  return registry;
}

std::vector<std::string> LoggerFrames(const SimLogger& logger, int64_t from_s, int64_t to_s,
                                      const TimeZone& zone, bool faults) {
  std::vector<std::string> frames;
  Player player(logger, zone, faults, true);
  player.Start(from_s);
  Player::Counters counters;
  std::string out;
  while (player.data_time() < to_s) {
    int64_t qn_ms = player.data_time() * 1000;
    out.clear();
    const int n = player.Step(&qn_ms, &out, &counters);
    // Split the appended bytes back into frames ("##" + 4-digit length + segment + 6).
    size_t pos = 0;
    for (int k = 0; k < n && pos + hj212::kFrameHeaderLength <= out.size(); ++k) {
      size_t len = 0;
      std::from_chars(out.data() + pos + 2, out.data() + pos + 6, len);
      const size_t total = len + hj212::kFrameOverhead;
      frames.push_back(out.substr(pos, total));
      pos += total;
    }
  }
  return frames;
}

Result<SimStats> RunSimulator(const std::vector<SimLogger>& fleet, const SimOptions& options,
                              const std::atomic<bool>& stop,
                              const std::function<void(const SimStats&)>& progress) {
  auto runner = std::make_unique<Runner>(fleet, options, stop);
  return runner->Run(progress);
}

}  // namespace zp::environment
