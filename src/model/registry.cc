#include "zp/model/registry.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zp/base/strings.h"
#include "zp/base/time.h"

namespace zp::model {
namespace {

// GB 32100-2015: the 31 characters of a unified social credit code (no I, O, S, V, Z) and the
// weights of positions 1..17 (3^(i-1) mod 31).
constexpr std::string_view kCreditChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr int kCreditWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
constexpr size_t kCreditCodeLength = 18;
constexpr size_t kMaxCodeLength = 64;
constexpr int32_t kMaxIntervalS = 31 * 86400;
constexpr int32_t kMaxRegisterDigits = 15;

constexpr std::array<int8_t, 256> MakeCreditIndex() {
  std::array<int8_t, 256> index{};
  for (int8_t& v : index) v = -1;
  for (size_t i = 0; i < kCreditChars.size(); ++i) {
    index[static_cast<unsigned char>(kCreditChars[i])] = static_cast<int8_t>(i);
  }
  return index;
}
constexpr std::array<int8_t, 256> kCreditIndex = MakeCreditIndex();

// Printable ASCII is kept, any other byte is shown as \xNN; long input is cut.
std::string Shown(std::string_view s, size_t max = 64) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

std::string CharShown(char c) { return "'" + Shown(std::string_view(&c, 1)) + "'"; }

// Field-level errors read "<field>: <problem>" so that callers can point at the field.
Status FieldError(std::string_view field, std::string problem) {
  return InvalidArgumentError(std::string(field) + ": " + problem);
}

Status CheckCode(std::string_view field, std::string_view code) {
  if (IsValidCode(code)) return Status::OK();
  if (code.empty()) return FieldError(field, "must not be empty");
  return FieldError(field,
                    "'" + Shown(code) + "' is not a valid code (1 to 64 of A-Z a-z 0-9 . _ -)");
}

std::string NumberText(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool IsCodeChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Check character of 17 characters already known to be in the alphabet.
char CheckChar(std::string_view first17) {
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    sum += kCreditIndex[static_cast<unsigned char>(first17[i])] * kCreditWeights[i];
  }
  const int check = 31 - sum % 31;
  return kCreditChars[check == 31 ? 0 : check];
}

// Error for the first character outside the alphabet, or OK.
Status CheckCreditChars(std::string_view code, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (kCreditIndex[static_cast<unsigned char>(code[i])] >= 0) continue;
    const char c = code[i];
    std::string hint = " (GB 32100 uses 0-9 and A-Z except I, O, S, V, Z)";
    if (c >= 'a' && c <= 'z' && kCreditIndex[static_cast<unsigned char>(c - 'a' + 'A')] >= 0) {
      hint = " (letters must be upper case)";
    }
    return InvalidArgumentError("credit code '" + Shown(code) + "': character " + CharShown(c) +
                                " at position " + std::to_string(i + 1) + " is not allowed" + hint);
  }
  return Status::OK();
}

}  // namespace

std::string_view MeterKindName(MeterKind k) {
  switch (k) {
    case MeterKind::kInterval:
      return "interval";
    case MeterKind::kCumulative:
      return "cumulative";
    case MeterKind::kVirtual:
      return "virtual";
  }
  return "unknown";
}

Result<MeterKind> ParseMeterKind(std::string_view s) {
  for (MeterKind k : {MeterKind::kInterval, MeterKind::kCumulative, MeterKind::kVirtual}) {
    if (EqualsIgnoreAsciiCase(s, MeterKindName(k))) return k;
  }
  return InvalidArgumentError("unknown meter kind '" + Shown(s) +
                              "' (known: interval, cumulative, virtual)");
}

std::string_view MeterFlowName(MeterFlow f) {
  switch (f) {
    case MeterFlow::kConsumption:
      return "consumption";
    case MeterFlow::kGeneration:
      return "generation";
  }
  return "unknown";
}

Result<MeterFlow> ParseMeterFlow(std::string_view s) {
  for (MeterFlow f : {MeterFlow::kConsumption, MeterFlow::kGeneration}) {
    if (EqualsIgnoreAsciiCase(s, MeterFlowName(f))) return f;
  }
  return InvalidArgumentError("unknown meter flow '" + Shown(s) +
                              "' (known: consumption, generation)");
}

Status ValidateCreditCode(std::string_view code) {
  if (code.size() != kCreditCodeLength) {
    return InvalidArgumentError("credit code '" + Shown(code) + "' has " +
                                std::to_string(code.size()) + " characters, expected 18");
  }
  ZP_RETURN_IF_ERROR(CheckCreditChars(code, kCreditCodeLength));
  const char want = CheckChar(code.substr(0, 17));
  if (code[17] != want) {
    return InvalidArgumentError("credit code '" + std::string(code) +
                                "': check character should be " + std::string(1, want) + ", not " +
                                std::string(1, code[17]));
  }
  return Status::OK();
}

Result<char> CreditCodeCheckChar(std::string_view first17) {
  if (first17.size() != 17) {
    return InvalidArgumentError("credit code prefix '" + Shown(first17) + "' has " +
                                std::to_string(first17.size()) + " characters, expected 17");
  }
  ZP_RETURN_IF_ERROR(CheckCreditChars(first17, 17));
  return CheckChar(first17);
}

bool IsValidCode(std::string_view code) {
  if (code.empty() || code.size() > kMaxCodeLength) return false;
  for (char c : code) {
    if (!IsCodeChar(c)) return false;
  }
  return true;
}

Status ValidatePark(const Park& p) {
  if (p.name.empty()) return FieldError("name", "must not be empty");
  Result<TimeZone> zone = TimeZone::Load(p.time_zone);
  if (!zone.ok()) return FieldError("time_zone", zone.error().message());
  if (p.raw_retention_days < 0) {
    return FieldError("raw_retention_days",
                      "must be >= 0 (0 keeps all), got " + std::to_string(p.raw_retention_days));
  }
  return Status::OK();
}

Status ValidateZone(const Zone& z) {
  ZP_RETURN_IF_ERROR(CheckCode("code", z.code));
  if (z.name.empty()) return FieldError("name", "must not be empty");
  return Status::OK();
}

Status ValidateEnterprise(const Enterprise& e) {
  if (Status s = ValidateCreditCode(e.code); !s.ok()) return FieldError("code", s.message());
  if (e.name.empty()) return FieldError("name", "must not be empty");
  if (e.industry_code.empty()) return FieldError("industry_code", "must not be empty");
  Result<std::string> industry = NormalizeIndustryCode(e.industry_code);
  if (!industry.ok()) return FieldError("industry_code", industry.error().message());
  if (*industry != e.industry_code) {
    return FieldError("industry_code",
                      "'" + Shown(e.industry_code) + "' is not normalised (" + *industry + ")");
  }
  if (!std::isfinite(e.land_area_mu) || e.land_area_mu < 0) {
    return FieldError("land_area_mu",
                      "must be a finite number >= 0, got " + NumberText(e.land_area_mu));
  }
  if (!e.zone_code.empty()) ZP_RETURN_IF_ERROR(CheckCode("zone_code", e.zone_code));
  return Status::OK();
}

Status NormalizeEnterprise(Enterprise* e) {
  std::string_view code = e->code;
  while (!code.empty() && IsSpace(code.front())) code.remove_prefix(1);
  while (!code.empty() && IsSpace(code.back())) code.remove_suffix(1);
  std::string upper(code);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  e->code = std::move(upper);
  if (!e->industry_code.empty()) {
    Result<std::string> industry = NormalizeIndustryCode(e->industry_code);
    if (!industry.ok()) return FieldError("industry_code", industry.error().message());
    e->industry_code = *std::move(industry);
  }
  return Status::OK();
}

Status ValidateMeter(const Meter& m) {
  ZP_RETURN_IF_ERROR(CheckCode("code", m.code));
  if (!m.enterprise_code.empty()) {
    if (Status s = ValidateCreditCode(m.enterprise_code); !s.ok()) {
      return FieldError("enterprise_code", s.message());
    }
  }
  const units::CarrierInfo& carrier = units::GetCarrierInfo(m.carrier);
  if (carrier.carrier != m.carrier) {
    return FieldError("carrier",
                      "unknown carrier value " + std::to_string(static_cast<int>(m.carrier)));
  }
  Result<const units::Unit*> unit = units::FindUnit(m.unit);
  if (!unit.ok()) return FieldError("unit", unit.error().message());
  if (Status s = units::CheckUnitFitsCarrier(**unit, m.carrier); !s.ok()) {
    return FieldError("unit", s.message());
  }
  if (MeterKindName(m.kind) == "unknown") {
    return FieldError("kind", "unknown kind value " + std::to_string(static_cast<int>(m.kind)));
  }
  if (MeterFlowName(m.flow) == "unknown") {
    return FieldError("flow", "unknown flow value " + std::to_string(static_cast<int>(m.flow)));
  }
  if (m.interval_s <= 0 || m.interval_s > kMaxIntervalS) {
    return FieldError("interval_s", "must be 1 to " + std::to_string(kMaxIntervalS) +
                                        " seconds (31 days), got " + std::to_string(m.interval_s));
  }
  if (m.register_digits < 0 || m.register_digits > kMaxRegisterDigits) {
    return FieldError("register_digits",
                      "must be 0 to 15, got " + std::to_string(m.register_digits));
  }
  if (m.register_digits != 0 && m.kind != MeterKind::kCumulative) {
    return FieldError("register_digits", "only cumulative meters have a register (got " +
                                             std::to_string(m.register_digits) + " for a " +
                                             std::string(MeterKindName(m.kind)) + " meter)");
  }
  if (!std::isfinite(m.multiplier) || m.multiplier <= 0) {
    return FieldError("multiplier", "must be a finite number > 0, got " + NumberText(m.multiplier));
  }
  if (m.kind == MeterKind::kVirtual) {
    if (m.formula.empty()) return FieldError("formula", "a virtual meter needs a formula");
    Result<std::vector<FormulaTerm>> terms = ParseFormula(m.formula);
    if (!terms.ok()) return FieldError("formula", terms.error().message());
    for (const FormulaTerm& t : *terms) {
      if (t.meter_code == m.code) return FieldError("formula", "refers to the meter itself");
    }
  } else if (!m.formula.empty()) {
    return FieldError("formula", "only virtual meters have a formula (this one is " +
                                     std::string(MeterKindName(m.kind)) + ")");
  }
  if (!m.parent_code.empty()) {
    ZP_RETURN_IF_ERROR(CheckCode("parent_code", m.parent_code));
    if (m.parent_code == m.code) {
      return FieldError("parent_code", "a meter cannot be its own parent");
    }
  }
  return Status::OK();
}

Result<std::vector<FormulaTerm>> ParseFormula(std::string_view formula) {
  auto error = [&](std::string problem) {
    return InvalidArgumentError("formula '" + Shown(formula) + "': " + problem);
  };
  std::vector<FormulaTerm> terms;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < formula.size() && IsSpace(formula[i])) ++i;
  };
  skip_space();
  if (i == formula.size()) return InvalidArgumentError("formula is empty");
  while (i < formula.size()) {
    int sign = 1;
    const size_t op_pos = i;
    if (formula[i] == '+' || formula[i] == '-') {
      sign = formula[i] == '-' ? -1 : 1;
      ++i;
      skip_space();
    } else if (!terms.empty()) {
      return error("expected '+' or '-' at position " + std::to_string(i + 1));
    }
    const size_t begin = i;
    // Meter codes may contain '-': inside a term it belongs to the code, so a minus between
    // terms must be preceded by white space ("A-MAIN - A-SUB").
    while (i < formula.size() && IsCodeChar(formula[i])) ++i;
    if (i == begin) {
      if (i < formula.size() && formula[i] != '+' && formula[i] != '-') {
        return error("character " + CharShown(formula[i]) + " at position " +
                     std::to_string(i + 1) + " is not allowed");
      }
      return error("empty term after '" + std::string(1, formula[op_pos]) + "' at position " +
                   std::to_string(op_pos + 1));
    }
    std::string_view code = formula.substr(begin, i - begin);
    if (code.size() > kMaxCodeLength) {
      return error("meter code '" + Shown(code) + "' is longer than 64 characters");
    }
    for (const FormulaTerm& t : terms) {
      if (t.meter_code == code) return error("meter " + std::string(code) + " appears twice");
    }
    terms.push_back(FormulaTerm{sign, std::string(code)});
    skip_space();
  }
  return terms;
}

int64_t SuspectZeroRunSeconds(const Meter& m) {
  if (m.flow == MeterFlow::kGeneration || m.carrier == units::Carrier::kReactiveElectricity) {
    return 86400 - std::max(0, m.interval_s);
  }
  return 3 * 3600;
}

}  // namespace zp::model
