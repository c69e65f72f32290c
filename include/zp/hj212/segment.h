#pragma once

// HJ 212-2017 data segment (数据段, §6.3.2 Table 3) and command parameters (CP, §6.3.3):
//
//   QN=20160801085857223;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;
//   CP=&&DataTime=20160801080000;w01018-Avg=17.5,w01018-Flag=N;...&&
//
// ParseSegment fills a DataSegment whose strings are views into the segment, so a DataSegment
// reused from frame to frame parses without allocating once its vectors have grown. Typed fields
// for what the standard defines (QN, ST, CN, PW, MN, Flag, PNUM/PNO, DataTime, per-pollutant
// Rtd/Min/Avg/Max/Zs*/Cou/Flag/EFlag/SampleTime); every other field is kept, in order, in
// DataSegment::other. Builders write segments and the centre's replies (9011, 9012, 9014).
// 数据段与指令参数 CP 的解析（零拷贝）与组包，及应答（9011/9012/9014）构造。

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/base/status.h"
#include "zp/base/time.h"

namespace zp::hj212 {

// Flag (Table 3): bits V5..V0 D A. V is the standard version, D marks a split packet (PNUM/PNO
// present), A asks for a reply.
inline constexpr int kFlagAck = 1;
inline constexpr int kFlagSplit = 2;
inline constexpr int kVersion2005 = 0;  // 000000: HJ/T 212-2005
inline constexpr int kVersion2017 = 1;  // 000001: HJ 212-2017
constexpr int MakeFlag(int version, bool split, bool ack) {
  return version << 2 | (split ? kFlagSplit : 0) | (ack ? kFlagAck : 0);
}

// System code (Table 5) of replies: 91 system interaction.
inline constexpr int kStSystemInteraction = 91;

// Command codes (Table 9) the platform handles by name.
namespace cn {
inline constexpr int kRealtimeData = 2011;
inline constexpr int kStopRealtimeData = 2012;
inline constexpr int kDeviceStatus = 2021;
inline constexpr int kStopDeviceStatus = 2022;
inline constexpr int kDailyData = 2031;
inline constexpr int kDailyRunTime = 2041;
inline constexpr int kMinuteData = 2051;
inline constexpr int kHourlyData = 2061;
inline constexpr int kBootTime = 2081;
inline constexpr int kQnReply = 9011;
inline constexpr int kExeReply = 9012;
inline constexpr int kNoticeReply = 9013;
inline constexpr int kDataReply = 9014;
}  // namespace cn

// QnRtn of a 9011 request reply.
enum class QnRtn : int {
  kReady = 1,
  kRejected = 2,
  kPasswordError = 3,
  kMnError = 4,
  kStError = 5,
  kFlagError = 6,
  kQnError = 7,
  kCnError = 8,
  kCrcError = 9,
  kUnknown = 100,
};

// ExeRtn of a 9012 execution result.
enum class ExeRtn : int {
  kSuccess = 1,
  kFailed = 2,
  kConditionError = 3,
  kTimeout = 4,
  kBusy = 5,
  kSystemFault = 6,
  kNoData = 100,
};

// Data flag of a value (xxxxxx-Flag, Table 8).
enum class DataFlag : char {
  kAbsent = 0,
  kNormal = 'N',       // 正常
  kStopped = 'F',      // 停运
  kMaintenance = 'M',  // 维护
  kManual = 'S',       // 手工输入
  kFault = 'D',        // 故障
  kCalibration = 'C',  // 校准
  kOverRange = 'T',    // 超测上限
  kCommFault = 'B',    // 通讯异常
  kOther = '?',        // any other text (kept in PollutantRecord::flag_text)
};
// N F M S D C T B -> the flag; "" -> kAbsent; anything else -> kOther.
DataFlag ParseDataFlag(std::string_view text);

// A numeric field as sent: its text and value. Absent when text is empty.
struct Value {
  std::string_view text;
  double value = 0;
  bool present() const { return !text.empty(); }
};

// The fields of one pollutant (or facility, "SB1") code in CP.
struct PollutantRecord {
  std::string_view code;  // "a21026", "w01018", ...
  Value rtd, min, avg, max;
  Value zs_rtd, zs_min, zs_avg, zs_max;  // converted (折算) values
  Value cou;                             // cumulative amount
  DataFlag flag = DataFlag::kAbsent;
  std::string_view flag_text;
  std::string_view eflag;        // device-specific flag (-EFlag)
  std::string_view sample_time;  // -SampleTime, YYYYMMDDhhmmss
};

// A CP field kept as text: not DataTime and not one of the typed pollutant suffixes.
struct CpField {
  std::string_view name;  // full name, e.g. "QnRtn", "PolId", "SB1-RS"
  std::string_view value;
  int32_t record = -1;  // index in DataSegment::records for "code-suffix" names, else -1
};

struct DataSegment {
  std::string_view qn;  // YYYYMMDDhhmmsszzz; empty when absent (HJ/T 212-2005 uploads)
  std::string_view st;
  std::string_view cn;
  std::string_view pw;
  std::string_view mn;
  int32_t st_code = -1;
  int32_t cn_code = -1;
  int32_t flag = -1;  // 0..255; -1 when absent (read as version 2005, no split, no reply)
  int32_t pnum = 0;   // PNUM / PNO of a split packet; 0 when absent
  int32_t pno = 0;
  std::vector<CpField> header_extra;  // unknown fields before CP (record = -1)

  std::string_view cp;         // between "CP=&&" and the closing "&&"
  std::string_view data_time;  // DataTime, YYYYMMDDhhmmss; empty when absent
  std::vector<PollutantRecord> records;
  std::vector<CpField> other;

  int32_t version() const { return flag < 0 ? kVersion2005 : flag >> 2; }
  bool is_2017() const { return version() == kVersion2017; }
  bool is_2005() const { return version() == kVersion2005; }
  bool split() const { return flag >= 0 && (flag & kFlagSplit) != 0; }
  bool reply_wanted() const { return flag >= 0 && (flag & kFlagAck) != 0; }

  // The record of a code, or nullptr.
  const PollutantRecord* Find(std::string_view code) const;
  // Value of the first CP field in `other` with that name (e.g. "QnRtn"), or "" when absent.
  std::string_view Field(std::string_view name) const;

  // Empties every field, keeping the vectors' capacity.
  void Clear();
};

// Parses a data segment (the bytes between the length field and the CRC). Header fields may come
// in any order but CP must be last; ST, CN, PW, MN and CP are required; QN and Flag are optional
// (HJ/T 212-2005 uploads carry neither). Checks (all refusals are bad_segment, see frame.h):
// no control characters; QN 17 digits; ST 2 digits; CN 4 digits; MN 1..24 characters; Flag
// 0..255; PNUM/PNO 1..4 digits, both or neither, 1 ≤ PNO ≤ PNUM; no duplicate header field; CP
// wrapped in "&&"; every CP field "name=value" with a non-empty name; DataTime and SampleTime
// real YYYYMMDDhhmmss times; numeric suffixes finite decimal numbers (an empty one, sent by some
// loggers for "no value", is kept in `other` and does not set or count as the typed value); no
// typed field twice for one code. `out` views `segment`.
Status ParseSegment(std::string_view segment, DataSegment* out);

// "20160801085857" -> 2016-08-01 08:58:57 (the logger's local wall clock).
Result<CivilTime> ParseDataTime(std::string_view text);
// QN "20160801085857223" -> the civil time; *millis = 223.
Result<CivilTime> ParseQn(std::string_view qn, int32_t* millis);
void AppendDataTime(const CivilTime& t, std::string* out);            // 14 digits
void AppendQn(const CivilTime& t, int32_t millis, std::string* out);  // 17 digits

// Header of a segment to build. An empty qn and a flag < 0 omit those fields (HJ/T 212-2005
// uploads carry neither); pnum/pno are written when pnum > 0.
struct SegmentHeader {
  std::string_view qn;
  std::string_view st;
  std::string_view cn;
  std::string_view pw;
  std::string_view mn;
  int32_t flag = MakeFlag(kVersion2017, false, false);
  int32_t pnum = 0;
  int32_t pno = 0;
};

// Appends "QN=..;ST=..;CN=..;PW=..;MN=..;Flag=..;[PNUM=..;PNO=..;]CP=&&" + cp + "&&".
void AppendSegment(const SegmentHeader& header, std::string_view cp, std::string* out);

// Appends the CP content of a parsed segment in canonical form: DataTime; the untyped fields
// that belong to no record, one item each; then one item per record with its fields in the order
// Cou, Rtd, Min, Avg, Max, ZsRtd, ZsMin, ZsAvg, ZsMax, Flag, EFlag, SampleTime (Cou first as in
// the Appendix C example) and its untyped fields. Parsing the result gives back the same values.
void AppendCp(const DataSegment& segment, std::string* out);

// Writes CP content field by field: ',' between fields of an item, ';' between items.
//   CpBuilder cp(&out);
//   cp.DataTime(t).Item().Number("a21026", "Rtd", 58.2, 2).Flag("a21026", DataFlag::kNormal);
class CpBuilder {
 public:
  explicit CpBuilder(std::string* out) : out_(out) {}

  // "DataTime=YYYYMMDDhhmmss" as an item of its own.
  CpBuilder& DataTime(const CivilTime& t);
  // The next field starts a new item.
  CpBuilder& Item();
  CpBuilder& Field(std::string_view name, std::string_view value);
  // "code-suffix=value" with `decimals` (0..9) digits after the point, never "-0.00". `value`
  // must be finite.
  CpBuilder& Number(std::string_view code, std::string_view suffix, double value, int decimals);
  // "code-Flag=N"; `flag` is one of the eight letters of Table 8.
  CpBuilder& Flag(std::string_view code, DataFlag flag);

 private:
  void Separator();
  std::string* out_;
  bool empty_ = true;
  bool new_item_ = false;
};

// Replies to a parsed message, as complete frames: ST=91, QN/PW/MN echoed from the message,
// Flag=4 (version 2017, no reply wanted). A data logger answers a request of the centre with 9011
// and, once done, 9012; the centre answers an upload whose Flag asks for it with 9014. Fail with
// FAILED_PRECONDITION when the message has no QN to echo.
//   9011 (request answer):   CP=&&QnRtn=<rtn>&&
//   9012 (execution result): CP=&&ExeRtn=<rtn>&&
//   9014 (data answer):      CP=&&&&
Result<std::string> BuildQnReply(const DataSegment& request, QnRtn rtn);
Result<std::string> BuildExeReply(const DataSegment& request, ExeRtn rtn);
Result<std::string> BuildDataReply(const DataSegment& request);

}  // namespace zp::hj212
