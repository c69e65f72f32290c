#pragma once

// Building blocks of the demo park: a fast deterministic PRNG, the industry archetypes of a
// northern development zone, name tables, and the park-wide weather (temperature, sun, clouds)
// and activity shapes from which the readings are made. Tables are static and thread-safe.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace zp::demo::internal {

inline constexpr int32_t kSlotsPerDay = 96;  // 15-minute intervals
inline constexpr double kHoursPerSlot = 0.25;

// SplitMix64 (Steele, Lea, Flood 2014): one add and a mix per draw, full 2^64 period.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Triangular on (-1, 1): mean 0, standard deviation 1/sqrt(6).
  double Tri() {
    const uint64_t x = Next();
    return (static_cast<double>(x >> 32) + static_cast<double>(x & 0xFFFFFFFFULL)) * 0x1.0p-32 -
           1.0;
  }
  // [0, n).
  int32_t Below(int32_t n) {
    return static_cast<int32_t>(
        (static_cast<unsigned __int128>(Next()) * static_cast<uint64_t>(n)) >> 64);
  }
  bool Chance(double p) { return Uniform() < p; }

 private:
  uint64_t state_;
};

// Mixes a seed with stream identifiers into an independent stream seed.
uint64_t StreamSeed(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0);

enum class Shift : uint8_t {
  kOne,         // 08:00-17:00, lunch break
  kTwo,         // 08:00-24:00
  kThree,       // round the clock with shift changes
  kContinuous,  // continuous process, flat
  kOffice,      // 08:30-17:30 office hours
};
enum class Week : uint8_t { kFiveDay, kSixDay, kSevenDay };

enum class Group : uint8_t {
  kAuto,
  kEquipment,
  kElectrical,
  kElectronics,
  kPharma,
  kFood,
  kMetal,
  kRubberPlastics,
  kLogistics,
  kServices,
};
inline constexpr int32_t kGroupCount = 10;

struct Label {
  std::string_view zh;
  std::string_view en;
};

// An industry archetype: what a kind of enterprise uses and when.
struct Archetype {
  std::string_view industry;  // GB/T 4754-2017 class, e.g. "C3670"
  std::string_view noun;      // name part, e.g. "汽车零部件"
  Group group;
  Shift shift;
  Shift alt_shift;  // chosen for 35% of the enterprises of this archetype
  Week week;
  double kw_min, kw_max;  // electricity peak range of random enterprises
  double weight;          // share in the random mix
  // Shares of the electricity peak; the rest (at least 5%) is unmetered "other".
  double s_process, s_air, s_hvac, s_light, s_cold;
  double process_idle;         // process load on idle as a fraction of its peak
  bool cleanroom;              // HVAC runs round the clock
  double gas_m3h_per_mw;       // process natural gas at full activity, m3/h per MW of peak
  double steam_t_per_mw;       // steam at full activity, t/h per MW of peak (0: none)
  double water_m3h_per_mw;     // water at full activity
  std::array<Label, 4> lines;  // production line sub-meters
};

std::span<const Archetype> RandomArchetypes();
// The anchors: the first enterprises of every park, in this order (big OEM, pharma, ...).
struct Anchor {
  const Archetype* type;
  std::string_view noun;  // overrides the archetype's
  Shift shift;
  Week week;
  double peak_kw;
  bool main_cumulative;  // main electricity meter is a cumulative register
  bool pv;               // has rooftop PV
};
std::span<const Anchor> Anchors();

// Monthly production seasonality of a group (index 0 = January).
double MonthFactor(Group g, int32_t month);

std::span<const std::string_view> BrandSyllables();
std::span<const std::string_view> Surnames();
std::span<const std::string_view> GivenNames();
struct ZoneLabel {
  std::string_view zh;
  std::string_view en;
  Group group;  // industry that clusters there
};
std::span<const ZoneLabel> ZoneLabels();  // 12

// Activity (0..1) of a shift pattern at each slot of a working day.
const std::array<double, kSlotsPerDay>& WorkActivity(Shift s);

// Park-wide weather of one local day: temperatures and sun at each slot (interval midpoint).
struct DayWeather {
  std::array<double, kSlotsPerDay> temp_c;
  std::array<double, kSlotsPerDay> pv_kw_per_kwp;  // clear-sky model x clouds, 0 at night
  std::array<double, kSlotsPerDay> dark;           // 1 night, 0 full daylight
  double mean_temp_c = 0;
  double clearness = 1;
};

// Weather for `days` consecutive local days from `first_epoch_day`, deterministic by seed.
// Latitude 42.0 N, longitude 123.4 E, clocks at UTC+8.
std::vector<DayWeather> MakeWeather(uint64_t seed, int32_t first_epoch_day, int32_t days);

// Shenyang's heating season: November 1 to March 31.
bool InHeatingSeason(int32_t month);

}  // namespace zp::demo::internal
