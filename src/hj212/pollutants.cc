#include "zp/hj212/pollutants.h"

namespace zp::hj212 {
namespace {

// standards.md §8.1 reproduces Appendix B from the official PDF of the standard
// (tang0-0/HJ212-Pack, Doc/HJ212-2017.pdf).
constexpr std::string_view kAppendixB =
    "HJ 212-2017 Appendix B, via shared/reference/standards.md §8.1 [OFFICIAL TEXT]";
// Rows whose Chinese name standards.md gives only in English: the name is the one of the code
// list standards.md points to for the same codes.
constexpr std::string_view kAppendixBZhSecondary =
    "HJ 212-2017 Appendix B, via shared/reference/standards.md §8.1 [OFFICIAL TEXT]; name_zh "
    "from lingkejia/bocon-operation-app src/lib/polcodeList17.js [SECONDARY]";

constexpr PollutantCode kCodes[] = {
    // Flue gas (烟气).
    {"a00000", "B02", "废气", "flue-gas flow", "m³/s", "m³", "N6.1", Medium::kFlueGas, kAppendixB},
    {"a01011", "", "烟气流速", "flue-gas velocity", "m/s", "", "", Medium::kFlueGas,
     kAppendixBZhSecondary},
    {"a01012", "", "烟气温度", "flue-gas temperature", "℃", "", "", Medium::kFlueGas,
     kAppendixBZhSecondary},
    {"a01013", "", "烟气压力", "flue-gas pressure", "kPa", "", "", Medium::kFlueGas,
     kAppendixBZhSecondary},
    {"a01014", "", "烟气湿度", "flue-gas humidity", "%", "", "", Medium::kFlueGas,
     kAppendixBZhSecondary},
    {"a19001", "S01", "氧气含量", "O2 content", "%", "", "N3.1", Medium::kFlueGas,
     kAppendixBZhSecondary},
    {"a21002", "03", "氮氧化物", "NOx", "mg/m³", "kg", "N5.1", Medium::kFlueGas, kAppendixB},
    {"a21003", "", "一氧化氮", "NO", "mg/m³", "kg", "N4.1", Medium::kFlueGas,
     kAppendixBZhSecondary},
    {"a21004", "", "二氧化氮", "NO2", "mg/m³", "kg", "N4.1", Medium::kFlueGas,
     kAppendixBZhSecondary},
    {"a21005", "", "一氧化碳", "CO", "mg/m³", "kg", "N3.3", Medium::kFlueGas,
     kAppendixBZhSecondary},
    {"a21026", "02", "二氧化硫", "SO2", "mg/m³", "kg", "N5.2", Medium::kFlueGas, kAppendixB},
    {"a24088", "", "非甲烷总烃", "NMHC (non-methane hydrocarbons)", "mg/m³", "kg", "N7.3",
     Medium::kFlueGas, kAppendixB},
    {"a34013", "01", "烟尘", "particulate matter (dust)", "mg/m³", "kg", "N4", Medium::kFlueGas,
     kAppendixB},
    // Wastewater (污水).
    {"w00000", "B01", "污水", "wastewater flow", "L/s", "m³", "N5.2", Medium::kWastewater,
     kAppendixB},
    {"w01001", "", "pH值", "pH", "", "", "N2.2", Medium::kWastewater, kAppendixBZhSecondary},
    {"w01018", "011", "化学需氧量", "COD (chemical oxygen demand)", "mg/L", "kg", "N5.1",
     Medium::kWastewater, kAppendixB},
    {"w21001", "065", "总氮", "TN (total nitrogen)", "mg/L", "kg", "N4.2", Medium::kWastewater,
     kAppendixB},
    {"w21003", "060", "氨氮", "NH3-N (ammonia nitrogen)", "mg/L", "kg", "N4.2", Medium::kWastewater,
     kAppendixB},
    {"w21011", "101", "总磷", "TP (total phosphorus)", "mg/L", "kg", "N3.2", Medium::kWastewater,
     kAppendixB},
};

}  // namespace

int PollutantCode::Decimals() const {
  if (data_type.empty()) return -1;
  const size_t dot = data_type.find('.');
  if (dot == std::string_view::npos) return 0;
  int d = 0;
  for (size_t i = dot + 1; i < data_type.size(); ++i) d = d * 10 + (data_type[i] - '0');
  return d;
}

std::span<const PollutantCode> PollutantCodes() { return kCodes; }

const PollutantCode* FindPollutant(std::string_view code) {
  for (const PollutantCode& c : kCodes) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

const PollutantCode* FindPollutantBy2005Code(std::string_view code_2005) {
  if (code_2005.empty()) return nullptr;
  for (const PollutantCode& c : kCodes) {
    if (c.code_2005 == code_2005) return &c;
  }
  return nullptr;
}

}  // namespace zp::hj212
