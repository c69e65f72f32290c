#include "zp/hj212/segment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "example_frames_test.h"
#include "zp/hj212/frame.h"

namespace zp::hj212 {
namespace {

std::string_view SegmentOf(std::string_view frame) {
  return frame.substr(kFrameHeaderLength, frame.size() - kFrameOverhead);
}

DataSegment MustParse(std::string_view segment) {
  DataSegment s;
  const Status status = ParseSegment(segment, &s);
  EXPECT_TRUE(status.ok()) << segment << "\n" << status.ToString();
  return s;
}

FrameError ReasonOf(std::string_view segment) {
  DataSegment s;
  return FrameErrorOf(ParseSegment(segment, &s));
}

TEST(ParseSegmentTest, AppendixACommand) {
  const DataSegment s = MustParse(SegmentOf(testdata::kAppendixA));
  EXPECT_EQ(s.qn, "20160801085857223");
  EXPECT_EQ(s.st_code, 32);
  EXPECT_EQ(s.cn_code, 1062);
  EXPECT_EQ(s.pw, "100000");
  EXPECT_EQ(s.mn, "010000A8900016F000169DC0");
  EXPECT_EQ(s.flag, 5);
  EXPECT_TRUE(s.is_2017());
  EXPECT_TRUE(s.reply_wanted());
  EXPECT_FALSE(s.split());
  EXPECT_EQ(s.cp, "RtdInterval=30");
  EXPECT_EQ(s.Field("RtdInterval"), "30");
  EXPECT_TRUE(s.records.empty());
}

TEST(ParseSegmentTest, AppendixCHourlyWastewater) {
  const DataSegment s = MustParse(SegmentOf(testdata::kAppendixCHourly));
  EXPECT_EQ(s.cn_code, cn::kHourlyData);
  EXPECT_EQ(s.data_time, "20160801080000");
  ASSERT_EQ(s.records.size(), 1u);
  const PollutantRecord& w = s.records[0];
  EXPECT_EQ(w.code, "w00000");
  EXPECT_DOUBLE_EQ(w.cou.value, 63.0);
  EXPECT_EQ(w.cou.text, "63.0");
  EXPECT_DOUBLE_EQ(w.min.value, 16.4);
  EXPECT_DOUBLE_EQ(w.avg.value, 17.5);
  EXPECT_DOUBLE_EQ(w.max.value, 20.1);
  EXPECT_FALSE(w.rtd.present());
  EXPECT_EQ(w.flag, DataFlag::kNormal);
  Result<CivilTime> t = ParseDataTime(s.data_time);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (CivilTime{2016, 8, 1, 8, 0, 0}));
}

TEST(ParseSegmentTest, RealtimeUploadWithOddFields) {
  const DataSegment s = MustParse(SegmentOf(testdata::kAirRealtime));
  EXPECT_EQ(s.flag, 7);  // 2017, split, reply wanted, but no PNUM/PNO sent
  EXPECT_TRUE(s.split());
  EXPECT_EQ(s.pnum, 0);
  EXPECT_EQ(s.records.size(), 12u);
  const PollutantRecord* so2 = s.Find("a21026");
  ASSERT_NE(so2, nullptr);
  EXPECT_DOUBLE_EQ(so2->rtd.value, 58);
  EXPECT_EQ(so2->flag, DataFlag::kNormal);
  // "LA-td" is no suffix of the standard: kept, attached to the LA record.
  const PollutantRecord* la = s.Find("LA");
  ASSERT_NE(la, nullptr);
  EXPECT_FALSE(la->rtd.present());
  ASSERT_EQ(s.other.size(), 1u);
  EXPECT_EQ(s.other[0].name, "LA-td");
  EXPECT_EQ(s.other[0].value, "50.1");
  EXPECT_EQ(&s.records[static_cast<size_t>(s.other[0].record)], la);
}

TEST(ParseSegmentTest, FieldLoggerHourlyKeepsTextAsSent) {
  const DataSegment s = MustParse(SegmentOf(testdata::kHourlyField));
  EXPECT_EQ(s.pw, "BF470F88957588DE902D1A52");  // longer than Table 3's 6: accepted
  EXPECT_EQ(s.mn, "Z13401000010301");
  const PollutantRecord* r = s.Find("a34006");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->avg.text, "2.69700");
  EXPECT_DOUBLE_EQ(r->avg.value, 2.697);
}

TEST(ParseSegmentTest, Version2005IsRecognised) {
  const DataSegment upload = MustParse(SegmentOf(testdata::k2005Upload));
  EXPECT_TRUE(upload.qn.empty());
  EXPECT_EQ(upload.flag, -1);
  EXPECT_EQ(upload.version(), kVersion2005);
  EXPECT_TRUE(upload.is_2005());
  EXPECT_FALSE(upload.is_2017());
  EXPECT_FALSE(upload.reply_wanted());
  ASSERT_EQ(upload.records.size(), 3u);
  EXPECT_EQ(upload.records[1].code, "011");  // COD in the 2005 code list
  EXPECT_DOUBLE_EQ(upload.records[2].rtd.value, 7.64);

  const DataSegment notice = MustParse(SegmentOf(testdata::k2005Flag1));
  EXPECT_EQ(notice.flag, 1);
  EXPECT_TRUE(notice.is_2005());
  EXPECT_TRUE(notice.reply_wanted());
  EXPECT_EQ(notice.cn_code, 9021);
}

TEST(FlagTest, BitsAndVersions) {
  EXPECT_EQ(MakeFlag(kVersion2017, true, true), 7);
  EXPECT_EQ(MakeFlag(kVersion2017, false, true), 5);
  EXPECT_EQ(MakeFlag(kVersion2017, false, false), 4);
  EXPECT_EQ(MakeFlag(kVersion2005, false, true), 1);
  DataSegment s;
  for (int flag = 0; flag < 256; ++flag) {
    s.flag = flag;
    EXPECT_EQ(s.version(), flag >> 2);
    EXPECT_EQ(s.is_2005(), flag < 4);
    EXPECT_EQ(s.is_2017(), flag >= 4 && flag < 8);
    EXPECT_EQ(s.reply_wanted(), (flag & 1) == 1);
    EXPECT_EQ(s.split(), (flag & 2) == 2);
  }
}

TEST(ParseSegmentTest, SplitPacket) {
  const DataSegment s = MustParse(
      "QN=20160801085857223;ST=32;CN=2061;PW=123456;MN=A1;Flag=7;PNUM=3;PNO=2;"
      "CP=&&DataTime=20160801080000;w01018-Avg=20.1&&");
  EXPECT_TRUE(s.split());
  EXPECT_EQ(s.pnum, 3);
  EXPECT_EQ(s.pno, 2);
}

TEST(ParseSegmentTest, EveryTypedSuffixAndUnknownFieldsKept) {
  const DataSegment s = MustParse(
      "ST=31;CN=2051;QN=20240101120000123;MN=M1;PW=pw;Flag=4;TN=x;CP=&&DataTime=20240101115900;"
      "a21026-Rtd=-3.5,a21026-Min=+2,a21026-Avg=1e1,a21026-Max=.5,a21026-ZsRtd=1,"
      "a21026-ZsMin=2,a21026-ZsAvg=3,a21026-ZsMax=4,a21026-Cou=0.25,a21026-Flag=D,"
      "a21026-EFlag=E42,a21026-SampleTime=20240101115800;SB1-RS=1;PolId=w01018;"
      "a01006-Rtd=,a01006-Flag=X&&");
  ASSERT_EQ(s.records.size(), 3u);
  const PollutantRecord& r = s.records[0];
  EXPECT_DOUBLE_EQ(r.rtd.value, -3.5);
  EXPECT_DOUBLE_EQ(r.min.value, 2);
  EXPECT_DOUBLE_EQ(r.avg.value, 10);
  EXPECT_DOUBLE_EQ(r.max.value, 0.5);
  EXPECT_DOUBLE_EQ(r.zs_rtd.value, 1);
  EXPECT_DOUBLE_EQ(r.zs_min.value, 2);
  EXPECT_DOUBLE_EQ(r.zs_avg.value, 3);
  EXPECT_DOUBLE_EQ(r.zs_max.value, 4);
  EXPECT_DOUBLE_EQ(r.cou.value, 0.25);
  EXPECT_EQ(r.flag, DataFlag::kFault);
  EXPECT_EQ(r.eflag, "E42");
  EXPECT_EQ(r.sample_time, "20240101115800");
  EXPECT_EQ(s.records[1].code, "SB1");
  EXPECT_EQ(s.Field("SB1-RS"), "1");
  EXPECT_EQ(s.Field("PolId"), "w01018");
  // An empty value is "no value": kept as sent, the typed value absent.
  const PollutantRecord* p = s.Find("a01006");
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->rtd.present());
  EXPECT_EQ(s.other.back().name, "a01006-Rtd");
  EXPECT_EQ(p->flag, DataFlag::kOther);
  EXPECT_EQ(p->flag_text, "X");
  ASSERT_EQ(s.header_extra.size(), 1u);
  EXPECT_EQ(s.header_extra[0].name, "TN");
}

// The fast decimal path must give exactly what from_chars gives.
TEST(ParseSegmentTest, NumbersMatchFromChars) {
  std::mt19937_64 rng(53);
  std::vector<std::string> texts = {"0",
                                    "-0",
                                    "0.1",
                                    "123456789.123456",
                                    "9007199254740993",
                                    "0.30000000000000004",
                                    "99999999999999999999",
                                    "-.5",
                                    "5.",
                                    "1.5e3",
                                    "0000000000000000000001.25",
                                    "2.2250738585072014e-308"};
  for (int i = 0; i < 3000; ++i) {
    const int decimals = static_cast<int>(rng() % 12);
    const double v = static_cast<double>(static_cast<int64_t>(rng() % 2000000000001)) /
                     std::pow(10.0, static_cast<double>(rng() % 9)) * ((rng() & 1) ? 1 : -1);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    texts.emplace_back(buf);
  }
  for (const std::string& text : texts) {
    const std::string seg = "ST=32;CN=2011;PW=1;MN=M1;CP=&&a21026-Rtd=" + text + "&&";
    DataSegment s;
    ASSERT_TRUE(ParseSegment(seg, &s).ok()) << text;
    const std::string_view t = text;
    double expected = 0;
    std::from_chars(t.data(), t.data() + t.size(), expected);
    EXPECT_EQ(s.records[0].rtd.value, expected) << text;
    EXPECT_EQ(std::signbit(s.records[0].rtd.value), std::signbit(expected)) << text;
  }
}

TEST(ParseSegmentTest, DataFlagsOfTable8) {
  for (const char c : std::string_view("NFMSDCTB")) {
    EXPECT_EQ(static_cast<char>(ParseDataFlag(std::string_view(&c, 1))), c);
  }
  EXPECT_EQ(ParseDataFlag(""), DataFlag::kAbsent);
  EXPECT_EQ(ParseDataFlag("n"), DataFlag::kOther);
  EXPECT_EQ(ParseDataFlag("NN"), DataFlag::kOther);
}

TEST(ParseSegmentTest, BadSegmentsAreRefusedWithTheirReason) {
  const std::string head = "QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=M1;Flag=5;";
  const std::vector<std::string> bad = {
      "",
      "ST=32;CN=2011;PW=1;MN=M1;",                                // no CP
      "ST=32;CN=2011;PW=1;MN=M1;CP=&&&",                          // CP not wrapped
      "ST=32;CN=2011;PW=1;MN=M1;CP=&&x=1",                        // CP not closed
      "CN=2011;PW=1;MN=M1;CP=&&&&",                               // no ST
      "ST=32;PW=1;MN=M1;CP=&&&&",                                 // no CN
      "ST=32;CN=2011;MN=M1;CP=&&&&",                              // no PW
      "ST=32;CN=2011;PW=1;CP=&&&&",                               // no MN
      "ST=32;ST=32;CN=2011;PW=1;MN=M1;CP=&&&&",                   // duplicate
      "QN=2016080108585722;ST=32;CN=2011;PW=1;MN=M1;CP=&&&&",     // QN 16 digits
      "QN=2016080108585722x;ST=32;CN=2011;PW=1;MN=M1;CP=&&&&",    // QN not digits
      "ST=321;CN=2011;PW=1;MN=M1;CP=&&&&",                        // ST 3 digits
      "ST=32;CN=20a1;PW=1;MN=M1;CP=&&&&",                         // CN letters
      "ST=32;CN=2011;PW=1;MN=0123456789ABCDEF012345678;CP=&&&&",  // MN 25
      "ST=32;CN=2011;PW=1;MN=;CP=&&&&",                           // MN empty
      "ST=32;CN=2011;PW=1;MN=M1;Flag=256;CP=&&&&",                // Flag > 255
      "ST=32;CN=2011;PW=1;MN=M1;Flag=-1;CP=&&&&",                 // Flag signed
      "ST=32;CN=2011;PW=1;MN=M1;PNUM=2;CP=&&&&",                  // PNUM alone
      "ST=32;CN=2011;PW=1;MN=M1;PNUM=2;PNO=3;CP=&&&&",            // PNO > PNUM
      "ST=32;CN=2011;PW=1;MN=M1;PNUM=2;PNO=0;CP=&&&&",            // PNO 0
      "ST=32;CN=2011;PW=1;MN=M1;Flag;CP=&&&&",                    // header not name=value
      "ST=32;CN=2011;PW=1;MN=M\x01;CP=&&&&",                      // control character
      "ST=32;CN=2011;PW=1;MN=M1;CP=&&a\r\nb=1&&",                 // CR LF inside
      head + "CP=&&DataTime=20161301000000&&",                    // month 13
      head + "CP=&&DataTime=20160230000000&&",                    // 30 February
      head + "CP=&&DataTime=2016080100000&&",                     // 13 digits
      head + "CP=&&a21026-Rtd=abc&&",
      head + "CP=&&a21026-Rtd=nan&&",
      head + "CP=&&a21026-Rtd=-inf&&",
      head + "CP=&&a21026-Rtd=1e999&&",
      head + "CP=&&a21026-Rtd=0x10&&",
      head + "CP=&&a21026-Rtd=1,a21026-Rtd=2&&",  // twice
      head + "CP=&&a21026-Flag=N;a21026-Flag=N&&",
      head + "CP=&&a21026-Flag=&&",
      head + "CP=&&a21026-SampleTime=2016&&",
      head + "CP=&&novalue&&",  // not name=value
      head + "CP=&&=5&&",       // empty name
  };
  for (const std::string& s : bad) {
    EXPECT_EQ(ReasonOf(s), FrameError::kBadSegment) << s;
  }
}

TEST(ParseSegmentTest, EmptyValueDoesNotCountAsTheField) {
  for (const char* cp : {"a21026-Rtd=;a21026-Rtd=2", "a21026-Rtd=2;a21026-Rtd="}) {
    const std::string segment = std::string("ST=32;CN=2011;PW=1;MN=M1;CP=&&") + cp + "&&";
    const DataSegment s = MustParse(segment);  // views `segment`
    EXPECT_DOUBLE_EQ(s.Find("a21026")->rtd.value, 2) << cp;
    ASSERT_EQ(s.other.size(), 1u);
    EXPECT_EQ(s.other[0].value, "");
  }
}

TEST(ParseSegmentTest, ToleratedLayouts) {
  // Header in another order, empty items, ';' before the closing "&&", '=' inside a value.
  const DataSegment s = MustParse(
      "CN=2011;;MN=M1;ST=32;PW=;CP=&&;DataTime=20160801085857;;a21026-Rtd=1;NewPW=a=b;&&");
  EXPECT_EQ(s.pw, "");
  EXPECT_EQ(s.data_time, "20160801085857");
  EXPECT_EQ(s.Field("NewPW"), "a=b");
  EXPECT_TRUE(MustParse("ST=32;CN=2011;PW=1;MN=M1;CP=&&&&").cp.empty());
}

TEST(ParseSegmentTest, ReusedSegmentDoesNotReallocate) {
  DataSegment s;
  const std::string_view seg = SegmentOf(testdata::kAirRealtime);
  ASSERT_TRUE(ParseSegment(seg, &s).ok());
  const PollutantRecord* records = s.records.data();
  const CpField* other = s.other.data();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ParseSegment(seg, &s).ok());
    EXPECT_EQ(s.records.data(), records);
    EXPECT_EQ(s.other.data(), other);
  }
  // Every view points into the segment.
  for (const PollutantRecord& r : s.records) {
    EXPECT_GE(r.code.data(), seg.data());
    EXPECT_LE(r.code.data() + r.code.size(), seg.data() + seg.size());
  }
}

// Values and fields of a parse, independent of the layout of the CP text.
using FieldList = std::vector<std::pair<std::string, std::string>>;
FieldList Flatten(const DataSegment& s) {
  FieldList out;
  if (!s.data_time.empty()) out.emplace_back("DataTime", s.data_time);
  for (const PollutantRecord& r : s.records) {
    const std::string c(r.code);
    auto add = [&](const char* suffix, std::string_view text) {
      if (!text.empty()) out.emplace_back(c + "-" + suffix, text);
    };
    add("Rtd", r.rtd.text);
    add("Min", r.min.text);
    add("Avg", r.avg.text);
    add("Max", r.max.text);
    add("ZsRtd", r.zs_rtd.text);
    add("ZsMin", r.zs_min.text);
    add("ZsAvg", r.zs_avg.text);
    add("ZsMax", r.zs_max.text);
    add("Cou", r.cou.text);
    add("Flag", r.flag_text);
    add("EFlag", r.eflag);
    add("SampleTime", r.sample_time);
  }
  for (const CpField& f : s.other) out.emplace_back(f.name, f.value);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(BuildSegmentTest, ParseBuildParseRoundTrip) {
  for (const std::string_view frame : testdata::kAllFrames) {
    const DataSegment a = MustParse(SegmentOf(frame));
    std::string cp;
    AppendCp(a, &cp);
    SegmentHeader h{a.qn, a.st, a.cn, a.pw, a.mn, a.flag, a.pnum, a.pno};
    std::string segment;
    AppendSegment(h, cp, &segment);
    const DataSegment b = MustParse(segment);
    EXPECT_EQ(b.qn, a.qn);
    EXPECT_EQ(b.st, a.st);
    EXPECT_EQ(b.cn, a.cn);
    EXPECT_EQ(b.pw, a.pw);
    EXPECT_EQ(b.mn, a.mn);
    EXPECT_EQ(b.flag, a.flag);
    EXPECT_EQ(Flatten(b), Flatten(a)) << frame;
    // And the frame around it round-trips exactly.
    Result<std::string> built = BuildFrame(segment);
    ASSERT_TRUE(built.ok());
    Result<std::string_view> back = ParseFrame(*built);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, segment);
  }
}

TEST(BuildSegmentTest, CanonicalSegmentIsUnchangedByRoundTrip) {
  // Segments already in canonical form come back byte for byte.
  for (const std::string_view frame : {testdata::kAppendixA, testdata::kAppendixCHourly,
                                       testdata::kHourlyField, testdata::k2005Upload}) {
    const DataSegment a = MustParse(SegmentOf(frame));
    std::string cp;
    AppendCp(a, &cp);
    std::string segment;
    AppendSegment({a.qn, a.st, a.cn, a.pw, a.mn, a.flag, a.pnum, a.pno}, cp, &segment);
    EXPECT_EQ(segment, SegmentOf(frame));
  }
}

TEST(CpBuilderTest, BuildsAnUploadThatParsesBack) {
  std::string cp;
  CpBuilder b(&cp);
  b.DataTime({2024, 3, 1, 10, 0, 0})
      .Number("a21026", "Rtd", 58.2, 2)
      .Flag("a21026", DataFlag::kNormal)
      .Item()
      .Number("a19001", "Rtd", -0.001, 1)
      .Field("a19001-Flag", "C")
      .Item()
      .Field("SB1-RS", "1");
  EXPECT_EQ(cp,
            "DataTime=20240301100000;a21026-Rtd=58.20,a21026-Flag=N;a19001-Rtd=0.0,"
            "a19001-Flag=C;SB1-RS=1");
  std::string segment;
  AppendSegment({"20240301100000001", "31", "2011", "123456", "M1"}, cp, &segment);
  EXPECT_EQ(segment.substr(0, 68),
            "QN=20240301100000001;ST=31;CN=2011;PW=123456;MN=M1;Flag=4;CP=&&DataT");
  const DataSegment s = MustParse(segment);
  EXPECT_DOUBLE_EQ(s.Find("a21026")->rtd.value, 58.2);
  EXPECT_EQ(s.Find("a19001")->flag, DataFlag::kCalibration);
}

TEST(CpBuilderTest, Version2005HeaderOmitsQnAndFlag) {
  std::string segment;
  SegmentHeader h{"", "32", "2011", "122333", "88888880000005"};
  h.flag = -1;
  AppendSegment(h, "DataTime=20120416225856", &segment);
  EXPECT_EQ(segment, "ST=32;CN=2011;PW=122333;MN=88888880000005;CP=&&DataTime=20120416225856&&");
}

TEST(TimeTest, DataTimeAndQn) {
  EXPECT_FALSE(ParseDataTime("20160801240000").ok());
  EXPECT_FALSE(ParseDataTime("20160801085960").ok());
  EXPECT_TRUE(ParseDataTime("20160229235959").ok());
  EXPECT_FALSE(ParseDataTime("20150229000000").ok());
  int32_t ms = 0;
  Result<CivilTime> t = ParseQn("20160801085857223", &ms);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (CivilTime{2016, 8, 1, 8, 58, 57}));
  EXPECT_EQ(ms, 223);
  std::string qn;
  AppendQn(*t, ms, &qn);
  EXPECT_EQ(qn, "20160801085857223");
  std::string dt;
  AppendDataTime({2024, 1, 2, 3, 4, 5}, &dt);
  EXPECT_EQ(dt, "20240102030405");
}

TEST(ReplyTest, DataReplyAsInThePublicExample) {
  const DataSegment upload = MustParse(SegmentOf(testdata::kAirRealtime));
  ASSERT_TRUE(upload.reply_wanted());
  Result<std::string> reply = BuildDataReply(upload);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(*reply, testdata::kDataReplyToAir);
}

TEST(ReplyTest, RequestAndExecutionRepliesInTheStandardsFormat) {
  // A request of the centre with Appendix A's QN (PW as in the quoted reply formats).
  const DataSegment request = MustParse(
      "QN=20160801085857223;ST=32;CN=1062;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
      "CP=&&RtdInterval=30&&");
  Result<std::string> qn_reply = BuildQnReply(request, QnRtn::kReady);
  ASSERT_TRUE(qn_reply.ok());
  EXPECT_EQ(*qn_reply, testdata::kQnReplyFormat);
  Result<std::string> exe_reply = BuildExeReply(request, ExeRtn::kSuccess);
  ASSERT_TRUE(exe_reply.ok());
  EXPECT_EQ(*exe_reply, testdata::kExeReplyFormat);
  // Other codes, and the replies parse back with the QN echoed.
  Result<std::string> refused = BuildQnReply(request, QnRtn::kPasswordError);
  ASSERT_TRUE(refused.ok());
  Result<std::string_view> seg = ParseFrame(*refused);
  ASSERT_TRUE(seg.ok());
  const DataSegment back = MustParse(*seg);
  EXPECT_EQ(back.qn, request.qn);
  EXPECT_EQ(back.st_code, kStSystemInteraction);
  EXPECT_EQ(back.cn_code, cn::kQnReply);
  EXPECT_EQ(back.flag, 4);
  EXPECT_FALSE(back.reply_wanted());
  EXPECT_EQ(back.Field("QnRtn"), "3");
  Result<std::string> no_data = BuildExeReply(request, ExeRtn::kNoData);
  ASSERT_TRUE(no_data.ok());
  EXPECT_NE(no_data->find("CP=&&ExeRtn=100&&"), std::string::npos);
}

TEST(ReplyTest, NoQnNoReply) {
  const DataSegment upload = MustParse(SegmentOf(testdata::k2005Upload));
  Result<std::string> reply = BuildDataReply(upload);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace zp::hj212
