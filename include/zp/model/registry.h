#pragma once

// The park registry: park, zones (grid cells), enterprises and meters, as plain value types with
// validation. Identity: zones, enterprises and meters are addressed by their `code` (for
// enterprises the 18-character unified social credit code); `id` is the store's integer key,
// 0 until stored. Validation functions are pure and thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/units/units.h"

namespace zp::model {

struct Park {
  std::string name;      // e.g. "沈阳经济技术开发区"
  std::string province;  // e.g. "Liaoning" / "辽宁"
  std::string time_zone = "Asia/Shanghai";
  std::string grid_region;  // e.g. "northeast" (东北电网)
  // Raw readings older than this many days are rolled up to hourly and dropped; 0 keeps all.
  int32_t raw_retention_days = 0;
  bool operator==(const Park&) const = default;
};

struct Zone {
  int64_t id = 0;
  std::string code;     // e.g. "Z01"
  std::string name;     // e.g. "第一网格"
  std::string officer;  // responsible officer's name
  std::string officer_contact;
  bool operator==(const Zone&) const = default;
};

struct Enterprise {
  int64_t id = 0;
  std::string code;  // unified social credit code (统一社会信用代码), 18 chars
  std::string name;
  std::string industry_code;  // GB/T 4754-2017, normalised to section letter + digits, e.g. "C3670"
  double land_area_mu = 0;    // 亩
  std::string zone_code;      // zone it belongs to; empty for none
  bool key_energy_user = false;  // 重点用能单位
  bool operator==(const Enterprise&) const = default;
};

enum class MeterKind : uint8_t { kInterval, kCumulative, kVirtual };
enum class MeterFlow : uint8_t { kConsumption, kGeneration };

struct Meter {
  int64_t id = 0;
  std::string code;  // unique, [A-Za-z0-9._-], at most 64 chars
  std::string name;
  std::string enterprise_code;  // empty for park-level meters
  units::Carrier carrier = units::Carrier::kElectricity;
  std::string unit = "kWh";  // unit the meter reports in
  MeterKind kind = MeterKind::kInterval;
  MeterFlow flow = MeterFlow::kConsumption;
  int32_t interval_s = 900;     // expected reading interval
  int32_t register_digits = 0;  // cumulative: register rolls over at 10^digits; 0 = never
  double multiplier = 1.0;      // CT/PT ratio etc., applied to reported values
  std::string parent_code;      // sub-meter of this meter; empty for a main meter
  // Virtual meters: "M1 + M2 - M3" (sum/difference of other meters' values; see ParseFormula).
  std::string formula;
  bool operator==(const Meter&) const = default;
};

std::string_view MeterKindName(MeterKind k);  // "interval", "cumulative", "virtual"
Result<MeterKind> ParseMeterKind(std::string_view s);
std::string_view MeterFlowName(MeterFlow f);  // "consumption", "generation"
Result<MeterFlow> ParseMeterFlow(std::string_view s);

// GB 32100-2015: 18 characters from "0123456789ABCDEFGHJKLMNPQRTUWXY", last one the check
// character. Returns an error naming the problem (length, character, wrong check character).
Status ValidateCreditCode(std::string_view code);
// Computes the check character for the first 17 characters (for generating valid codes).
Result<char> CreditCodeCheckChar(std::string_view first17);

// GB/T 4754-2017 industry code: "C36", "C3670", "3670", "36" ... Returns it normalised with its
// section letter ("C3670"); error when the division (first two digits) does not exist.
Result<std::string> NormalizeIndustryCode(std::string_view code);
// Division (大类) name for a normalised code, zh and en; empty when unknown.
struct IndustryName {
  std::string_view zh;
  std::string_view en;
};
IndustryName IndustryDivisionName(std::string_view normalized_code);

// Field-level checks of one record (not cross-references; the store checks those).
Status ValidatePark(const Park& p);
Status ValidateZone(const Zone& z);
Status ValidateEnterprise(const Enterprise& e);  // also normalises nothing; call Normalize first
Status ValidateMeter(const Meter& m);
// Normalises the industry code and upper-cases the credit code.
Status NormalizeEnterprise(Enterprise* e);

// A parsed virtual-meter formula: list of (sign, meter code). Terms are joined by "+" or " -":
// a "-" inside a term belongs to the meter code (codes may contain "-"), so a minus between
// terms must follow white space: "A-MAIN - A-SUB + A-PV".
struct FormulaTerm {
  int sign = 1;
  std::string meter_code;
  bool operator==(const FormulaTerm&) const = default;
};
Result<std::vector<FormulaTerm>> ParseFormula(std::string_view formula);

bool IsValidCode(std::string_view code);

// Shortest run of exact zero readings reported as a suspected gap (publishers fill gaps with
// zeros): 3 hours for consumption meters; a whole day for generation meters (PV is zero every
// night) and reactive-energy meters (leading reactive energy is zero for hours at a time).
int64_t SuspectZeroRunSeconds(const Meter& m);  // [A-Za-z0-9._-]{1,64}

}  // namespace zp::model
