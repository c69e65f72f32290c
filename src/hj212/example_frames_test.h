#pragma once

// Example frames for the HJ 212 tests, each with where it comes from. The CRC of every frame was
// checked against an independent implementation of Appendix A (a few lines of Python) before it
// was written here; where the source prints the CRC, it agrees with that too.
// 测试用示例报文及其来源。

#include <string_view>

namespace zp::hj212::testdata {

// HJ 212-2017 Appendix A worked example (standards.md §8.1): CN=1062, set the real-time interval
// to 30 s. The standard's prose says "1C08"; the frame shows 1C80, which the algorithm gives.
inline constexpr std::string_view kAppendixA =
    "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&1C80\r\n";

// dromara/hutool, hutool-core/src/test/java/cn/hutool/core/io/checksum/CRC16Test.java: ansiTest
// expects 1e00 for this data segment (and 1c80 for Appendix A's); modbusTest expects 25fb for the
// same bytes, which Appendix A's CRC must not give. The space before "LA-Rtd" is theirs.
inline constexpr std::string_view kHutoolSegment =
    "QN=20160801085857223;ST=23;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&DataTime=20160801085857; LA-Rtd=50.1&&";

// A public T212MapperTest.java (package com.hj212, derived from xiaoyao9184/hj-t212-parser): a
// 2011 real-time air-quality upload, Flag=7 without PNUM/PNO, a trailing ';' before "&&", an odd
// field "LA-td", and a lower-case CRC.
inline constexpr std::string_view kAirRealtime =
    "##0453QN=20160801085000001;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=7;"
    "CP=&&DataTime=20160801084000;a21005-Rtd=1.1,a21005-Flag=N;a21004-Rtd=112,a21004-Flag=N;"
    "a21026-Rtd=58,a21026-Flag=N;LA-td=50.1,LA-Flag=N;a34004-Rtd=207,a34004-Flag=N;"
    "a34002-Rtd=295,a34002-Flag=N;a01001-Rtd=12.6,a01001-Flag=N;a01002-Rtd=32,a01002-Flag=N;"
    "a01006-Rtd=101.02,a01006-Flag=N;a01007-Rtd=2.1,a01007-Flag=N;a01008-Rtd=120,"
    "a01008-Flag=N;a34001-Rtd=217,a34001-Flag=N;&&c0c1\r\n";

// Same file: a field logger's 2061 hourly upload with a 24-character password.
inline constexpr std::string_view kHourlyField =
    "##0285QN=20190925181031464;ST=22;CN=2061;PW=BF470F88957588DE902D1A52;MN=Z13401000010301;"
    "Flag=5;CP=&&DataTime=20190924220000;a34006-Avg=2.69700,a34006-Flag=N;a34007-Avg=7.96600,"
    "a34007-Flag=N;a34048-Avg=3.30600,a34048-Flag=N;a34047-Avg=7.35700,a34047-Flag=N;"
    "a34049-Avg=10.66300,a34049-Flag=N&&C181\r\n";

// Same file: the 9014 data answer it builds for kAirRealtime (Flag=4, empty CP).
inline constexpr std::string_view kDataReplyToAir =
    "##0087QN=20160801085000001;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
    "CP=&&&&C241\r\n";

// The standard's reply formats as quoted ("标准格式") in the comments of public HJ 212
// implementations: 9011 QnRtn=1 and 9012 ExeRtn=1 to the QN of Appendix A with PW=123456, Flag=4.
// standards.md has no reply example; CRCs computed with Appendix A.
inline constexpr std::string_view kQnReplyFormat =
    "##0094QN=20160801085857223;ST=91;CN=9011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
    "CP=&&QnRtn=1&&1B00\r\n";
inline constexpr std::string_view kExeReplyFormat =
    "##0095QN=20160801085857223;ST=91;CN=9012;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
    "CP=&&ExeRtn=1&&6240\r\n";

// Appendix C hourly wastewater upload as standards.md §8.1 quotes it, cut after the w00000 item
// (the quote elides the rest with "…"); CRC computed with Appendix A, so not a verbatim frame.
inline constexpr std::string_view kAppendixCHourly =
    "##0188QN=20160801090000001;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&DataTime=20160801080000;w00000-Cou=63.0,w00000-Min=16.4,w00000-Avg=17.5,"
    "w00000-Max=20.1,w00000-Flag=N&&0CC0\r\n";

// HJ/T 212-2005 frames from the comment of a public Java HJ 212 CRC utility: a Flag=1 (version
// 000000, reply wanted) message with its CRC 4100 printed there, and an upload with neither QN
// nor Flag (CRC computed with Appendix A).
inline constexpr std::string_view k2005Flag1 =
    "##0077QN=20120416225111069;ST=91;CN=9021;PW=122333;MN=88888880000006;Flag=1;CP=&&&&4100\r\n";
inline constexpr std::string_view k2005Upload =
    "##0144ST=32;CN=2011;PW=122333;MN=88888880000005;CP=&&DataTime=20120416225856;060-Rtd=0.06,"
    "060-Flag=N;011-Rtd=0.00,011-Flag=N;001-Rtd=7.64,001-Flag=N&&3AC0\r\n";

inline constexpr std::string_view kAllFrames[] = {
    kAppendixA,      kAirRealtime,     kHourlyField, kDataReplyToAir, kQnReplyFormat,
    kExeReplyFormat, kAppendixCHourly, k2005Flag1,   k2005Upload,
};

}  // namespace zp::hj212::testdata
