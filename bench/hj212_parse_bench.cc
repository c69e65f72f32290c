// HJ 212 decode benchmark (issue 7): how many frames per second one core frames, CRC-checks and
// decodes. The stream is --frames frames from --loggers data loggers, half flue-gas real-time
// uploads (2011: SO2, NOx, dust with their O2-corrected values, O2, flow, velocity, temperature,
// pressure, humidity) and half wastewater hourly uploads (2061: flow, COD, NH3-N, TN, TP, pH with
// Cou/Min/Avg/Max), all built with the module's own builders and asking for a reply (Flag=5).
// Stages, each timed alone on one thread (best of --runs, each at least --min-seconds):
//   crc      Crc16 over every data segment (MB/s of segment bytes)
//   frame    ParseFrame on every frame: framing + CRC check
//   decode   FrameReader over the stream in 4 KiB chunks + ParseSegment into a reused DataSegment
//   reply    decode + BuildDataReply (9014) for every frame
// Prints a markdown table. HJ 212 解码基准：单核每秒可分帧、校验并解析的报文数。
//
// Usage: zp_hj212_parse_bench [--frames N] [--loggers N] [--runs N] [--min-seconds S]

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "zp/hj212/frame.h"
#include "zp/hj212/segment.h"

namespace {

using Clock = std::chrono::steady_clock;
using zp::hj212::CpBuilder;
using zp::hj212::DataFlag;

struct Rng {  // splitmix64
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(Next() >> 11) * 0x1.0p-53;
  }
};

std::string MakeStream(int frames, int loggers, std::vector<size_t>* frame_sizes) {
  Rng rng{20170501};
  std::string stream, segment, cp;
  for (int i = 0; i < frames; ++i) {
    const int logger = i % loggers;
    const bool flue_gas = logger % 2 == 0;
    const zp::CivilTime t{2025, 3, 1 + (i / loggers) % 28, (i / 60) % 24, i % 60, 0};
    std::string qn;
    zp::hj212::AppendQn(t, i % 1000, &qn);
    const std::string mn = fmt::format("010000A8900016F{:09X}", logger);
    cp.clear();
    CpBuilder b(&cp);
    b.DataTime(t);
    if (flue_gas) {
      const double o2 = rng.Uniform(8, 11);
      const double k = (21 - 9) / (21 - o2);
      for (const char* code : {"a21026", "a21002", "a34013"}) {
        const double c = rng.Uniform(5, 250);
        b.Item().Number(code, "Rtd", c, 2).Number(code, "ZsRtd", c * k, 2);
        b.Flag(code, DataFlag::kNormal);
      }
      b.Item().Number("a19001", "Rtd", o2, 1).Flag("a19001", DataFlag::kNormal);
      b.Item().Number("a00000", "Rtd", rng.Uniform(10, 90), 1).Flag("a00000", DataFlag::kNormal);
      b.Item().Number("a01011", "Rtd", rng.Uniform(5, 20), 2).Flag("a01011", DataFlag::kNormal);
      b.Item().Number("a01012", "Rtd", rng.Uniform(60, 160), 1).Flag("a01012", DataFlag::kNormal);
      b.Item().Number("a01013", "Rtd", rng.Uniform(-0.5, 0.5), 3).Flag("a01013", DataFlag::kNormal);
      b.Item().Number("a01014", "Rtd", rng.Uniform(5, 15), 1).Flag("a01014", DataFlag::kNormal);
    } else {
      for (const char* code : {"w00000", "w01018", "w21003", "w21001", "w21011"}) {
        const double avg = rng.Uniform(0.5, 80);
        b.Item().Number(code, "Cou", avg * 3.6, 2).Number(code, "Min", avg * 0.8, 2);
        b.Number(code, "Avg", avg, 2).Number(code, "Max", avg * 1.2, 2);
        b.Flag(code, DataFlag::kNormal);
      }
      b.Item().Number("w01001", "Min", 6.9, 2).Number("w01001", "Avg", 7.2, 2);
      b.Number("w01001", "Max", 7.5, 2).Flag("w01001", DataFlag::kNormal);
    }
    segment.clear();
    zp::hj212::AppendSegment({qn, flue_gas ? "31" : "32", flue_gas ? "2011" : "2061", "123456", mn,
                              zp::hj212::MakeFlag(zp::hj212::kVersion2017, false, true)},
                             cp, &segment);
    const size_t before = stream.size();
    if (!zp::hj212::AppendFrame(segment, &stream).ok()) {
      std::fprintf(stderr, "frame %d over 1024 bytes\n", i);
      std::exit(1);
    }
    frame_sizes->push_back(stream.size() - before);
  }
  return stream;
}

// Runs `pass` until min_seconds have gone by, `runs` times; keeps the best time per pass.
template <typename F>
double Time(int runs, double min_seconds, F&& pass) {
  double best = 1e30;
  for (int r = 0; r < runs; ++r) {
    int passes = 0;
    const auto t0 = Clock::now();
    double elapsed = 0;
    do {
      pass();
      ++passes;
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    } while (elapsed < min_seconds);
    best = std::min(best, elapsed / passes);
  }
  return best;
}

volatile uint64_t g_sink = 0;

}  // namespace

int main(int argc, char** argv) {
  int frames = 20000, loggers = 1000, runs = 5;
  double min_seconds = 0.5;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--frames") {
      frames = std::atoi(next());
    } else if (a == "--loggers") {
      loggers = std::atoi(next());
    } else if (a == "--runs") {
      runs = std::atoi(next());
    } else if (a == "--min-seconds") {
      min_seconds = std::atof(next());
    } else {
      std::fprintf(stderr, "usage: %s [--frames N] [--loggers N] [--runs N] [--min-seconds S]\n",
                   argv[0]);
      return 2;
    }
  }
  if (frames < 1 || loggers < 1 || runs < 1) return 2;

  std::vector<size_t> sizes;
  const std::string stream = MakeStream(frames, loggers, &sizes);
  std::vector<std::string_view> frame_views, segments;
  for (size_t pos = 0, i = 0; i < sizes.size(); pos += sizes[i], ++i) {
    frame_views.emplace_back(stream.data() + pos, sizes[i]);
    segments.push_back(frame_views.back().substr(zp::hj212::kFrameHeaderLength,
                                                 sizes[i] - zp::hj212::kFrameOverhead));
  }
  size_t segment_bytes = 0;
  for (const std::string_view s : segments) segment_bytes += s.size();

  const double crc_s = Time(runs, min_seconds, [&] {
    uint64_t x = 0;
    for (const std::string_view s : segments) x += zp::hj212::Crc16(s);
    g_sink = g_sink + x;
  });

  const double frame_s = Time(runs, min_seconds, [&] {
    uint64_t n = 0;
    for (const std::string_view f : frame_views) {
      const zp::Result<std::string_view> seg = zp::hj212::ParseFrame(f);
      if (!seg.ok()) std::abort();
      n += seg->size();
    }
    g_sink = g_sink + n;
  });

  zp::hj212::DataSegment decoded;
  std::string replies;
  auto decode_pass = [&](bool reply) {
    zp::hj212::FrameReader reader;
    std::string_view segment;
    zp::Status error;
    int64_t got = 0;
    double sum = 0;
    replies.clear();
    constexpr size_t kChunk = 4096;
    for (size_t pos = 0; pos < stream.size(); pos += kChunk) {
      reader.Feed(std::string_view(stream).substr(pos, kChunk));
      for (;;) {
        const auto e = reader.Next(&segment, &error);
        if (e == zp::hj212::FrameReader::Event::kNeedMore) break;
        if (e != zp::hj212::FrameReader::Event::kFrame) std::abort();
        if (!zp::hj212::ParseSegment(segment, &decoded).ok()) std::abort();
        sum += decoded.records.front().avg.value + decoded.records.front().rtd.value;
        if (reply && decoded.reply_wanted()) {
          zp::Result<std::string> r = zp::hj212::BuildDataReply(decoded);
          if (!r.ok()) std::abort();
          replies += *r;
        }
        ++got;
      }
    }
    if (got != frames) std::abort();
    g_sink = g_sink + static_cast<uint64_t>(sum);
  };
  const double decode_s = Time(runs, min_seconds, [&] { decode_pass(false); });
  const double reply_s = Time(runs, min_seconds, [&] { decode_pass(true); });

  const double n = frames;
  fmt::print(
      "HJ 212 decode, one thread: {} frames from {} loggers, {:.0f} bytes per frame on "
      "average ({:.0f} bytes of data segment)\n\n",
      frames, loggers, static_cast<double>(stream.size()) / n,
      static_cast<double>(segment_bytes) / n);
  fmt::print("| stage | frames/s | µs/frame | MB/s |\n| --- | --- | --- | --- |\n");
  auto row = [&](const char* name, double s, size_t bytes) {
    fmt::print("| {} | {:.2f} M | {:.3f} | {:.0f} |\n", name, n / s / 1e6, s / n * 1e6,
               static_cast<double>(bytes) / s / 1e6);
  };
  row("crc (Crc16 of the data segment)", crc_s, segment_bytes);
  row("frame (ParseFrame: framing + CRC)", frame_s, stream.size());
  row("decode (FrameReader + ParseSegment)", decode_s, stream.size());
  row("reply (decode + BuildDataReply 9014)", reply_s, stream.size());
  return 0;
}
