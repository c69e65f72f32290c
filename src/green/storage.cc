#include "zp/green/storage.h"

#include <fmt/format.h>

#include <algorithm>

#include "zp/base/status.h"

namespace zp::green {

Result<StorageFlows> SimulateStorage(std::span<const int64_t> charge_wh,
                                     std::span<const int64_t> discharge_wh,
                                     std::span<const int64_t> surplus_wh,
                                     std::span<const uint8_t> active, StorageState start) {
  const size_t n = charge_wh.size();
  if (discharge_wh.size() != n || surplus_wh.size() != n || active.size() != n) {
    return InvalidArgumentError(
        fmt::format("storage series lengths differ: charge {}, discharge {}, surplus {}, active {}",
                    n, discharge_wh.size(), surplus_wh.size(), active.size()));
  }
  if (start.green_wh < 0 || start.stored_wh < start.green_wh) {
    return InvalidArgumentError(
        fmt::format("storage start state: need 0 <= green ({} Wh) <= stored ({} Wh) / "
                    "储能初始状态无效",
                    start.green_wh, start.stored_wh));
  }
  StorageFlows out;
  out.green_charge_wh.assign(n, 0);
  out.green_discharge_wh.assign(n, 0);
  int64_t green = start.green_wh;
  int64_t stored = start.stored_wh;
  for (size_t h = 0; h < n; ++h) {
    const int64_t c = charge_wh[h];
    const int64_t d = discharge_wh[h];
    const int64_t s = surplus_wh[h];
    if (c < 0 || d < 0 || s < 0) {
      return InvalidArgumentError(fmt::format(
          "storage hour {}: negative Wh (charge {}, discharge {}, surplus {})", h, c, d, s));
    }
    if (active[h]) {
      const int64_t gd = std::min(d, green);
      out.green_discharge_wh[h] = gd;
      green -= gd;
    }
    stored = std::max<int64_t>(0, stored - d);
    green = std::min(green, stored);
    if (active[h]) {
      const int64_t gc = std::min(c, s);
      out.green_charge_wh[h] = gc;
      green += gc;
    }
    stored += c;
  }
  out.end = StorageState{green, stored};
  return out;
}

}  // namespace zp::green
