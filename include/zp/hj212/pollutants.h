#pragma once

// Pollutant codes of HJ 212-2017 Appendix B (污染物编码), the subset the platform's flue-gas and
// wastewater sources use, with the HJ/T 212-2005 code where the material at hand gives it. Only
// rows that shared/reference/standards.md §8.1 supports are here; each carries its source. Gaps
// (an empty code_2005, data_type or unit) mean the reference did not give the value, not that
// there is none. 污染物编码表（附录 B 子集），每行注明来源；空值表示参考资料未给出。

#include <span>
#include <string_view>

namespace zp::hj212 {

enum class Medium { kFlueGas, kWastewater };

struct PollutantCode {
  std::string_view code;       // HJ 212-2017, e.g. "a21026"
  std::string_view code_2005;  // HJ/T 212-2005, e.g. "02"; "" when not given
  std::string_view name_zh;
  std::string_view name_en;
  std::string_view unit;         // unit of Rtd/Min/Avg/Max; "" when dimensionless (pH)
  std::string_view amount_unit;  // unit of Cou (emitted amount); "" when the code has none
  std::string_view data_type;    // Appendix B type, "N5.2" = 5 integer digits, 2 decimals; ""
                                 // when not given
  Medium medium;
  std::string_view source;

  // Decimals of data_type ("N5.2" -> 2, "N4" -> 0); -1 when data_type is not given.
  int Decimals() const;
};

// All rows, flue gas first, in code order within a medium.
std::span<const PollutantCode> PollutantCodes();
// The row of a 2017 code, or nullptr.
const PollutantCode* FindPollutant(std::string_view code);
// The row whose HJ/T 212-2005 code is `code_2005`, or nullptr.
const PollutantCode* FindPollutantBy2005Code(std::string_view code_2005);

}  // namespace zp::hj212
