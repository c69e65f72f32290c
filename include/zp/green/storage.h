#pragma once

// Green state of charge of an energy storage asset (issue 6), hour by hour in integer Wh, so that
// stored green energy is never claimed twice. 储能绿电荷电状态：逐时、整数 Wh，储存的绿电不重复计。
// Pure functions, thread-safe.
//
// Per hour h, in this order (discharge first, so energy charged in an hour can leave the storage
// as green from the next hour on):
//   green_discharge[h] = active[h] ? min(discharge[h], green) : 0;   green -= green_discharge[h]
//   stored = max(0, stored - discharge[h]);  green = min(green, stored)
//   green_charge[h]    = active[h] ? min(charge[h], surplus[h]) : 0;  green += green_charge[h]
//   stored += charge[h]
// charge / discharge are the metered Wh of the hour (charge meter, discharge meter), surplus the
// green Wh the storage may take that hour (its site's same-site surplus after the site's own
// consumption), active whether its contract is valid that hour. `stored` is the metered content:
// charge minus discharge since the storage last read empty (losses ignored, so at least the
// physical content); the green state never exceeds it, and energy present at the start and not
// declared in `start` counts as grey. Green Wh only leave as they came in:
// sum(green_discharge) <= start.green_wh + sum(green_charge) over every prefix of hours.

#include <cstdint>
#include <span>
#include <vector>

#include "zp/base/result.h"

namespace zp::green {

struct StorageState {
  int64_t green_wh = 0;   // green state of charge
  int64_t stored_wh = 0;  // metered content (see above); >= green_wh
  bool operator==(const StorageState&) const = default;
};

struct StorageFlows {
  std::vector<int64_t> green_charge_wh;     // per hour
  std::vector<int64_t> green_discharge_wh;  // per hour
  StorageState end;                         // state after the last hour
};

// All spans have the same length; Wh >= 0; start.green_wh <= start.stored_wh, both >= 0.
// InvalidArgument otherwise.
Result<StorageFlows> SimulateStorage(std::span<const int64_t> charge_wh,
                                     std::span<const int64_t> discharge_wh,
                                     std::span<const int64_t> surplus_wh,
                                     std::span<const uint8_t> active, StorageState start);

}  // namespace zp::green
