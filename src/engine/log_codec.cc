#include "log_codec.h"

#include <cstring>

namespace zp::engine::internal {
namespace {

constexpr uint8_t kLogFormatVersion = 1;

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string EncodeLogEntry(std::string_view source, int64_t recorded_s,
                           std::span<const ReadingIn> readings) {
  std::string out;
  out.reserve(16 + source.size() + readings.size() * 12);
  out.push_back(static_cast<char>(kLogFormatVersion));
  PutVarint(&out, source.size());
  out.append(source);
  PutVarint(&out, ZigZag(recorded_s));
  PutVarint(&out, readings.size());
  int64_t prev_id = 0;
  int64_t prev_ts = 0;
  for (const ReadingIn& r : readings) {
    PutVarint(&out, ZigZag(r.meter_id - prev_id));
    PutVarint(&out, ZigZag(r.ts_s - prev_ts));
    char buf[8];
    std::memcpy(buf, &r.value, 8);
    out.append(buf, 8);
    prev_id = r.meter_id;
    prev_ts = r.ts_s;
  }
  return out;
}

Status DecodeLogEntry(std::string_view in, LogEntry* out) {
  auto bad = [] { return DataLossError("corrupt ingest-log entry"); };
  if (in.empty()) return bad();
  if (static_cast<uint8_t>(in[0]) != kLogFormatVersion) {
    return FailedPreconditionError("ingest-log entry of unknown format version " +
                                   std::to_string(static_cast<uint8_t>(in[0])));
  }
  in.remove_prefix(1);
  uint64_t len = 0;
  if (!GetVarint(&in, &len) || len > in.size()) return bad();
  out->source.assign(in.substr(0, len));
  in.remove_prefix(len);
  uint64_t v = 0;
  if (!GetVarint(&in, &v)) return bad();
  out->recorded_s = UnZigZag(v);
  uint64_t n = 0;
  if (!GetVarint(&in, &n) || n > in.size()) return bad();
  out->readings.clear();
  out->readings.reserve(n);
  int64_t id = 0;
  int64_t ts = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t did = 0, dts = 0;
    if (!GetVarint(&in, &did) || !GetVarint(&in, &dts) || in.size() < 8) return bad();
    id += UnZigZag(did);
    ts += UnZigZag(dts);
    double value;
    std::memcpy(&value, in.data(), 8);
    in.remove_prefix(8);
    out->readings.push_back(ReadingIn{id, ts, value});
  }
  if (!in.empty()) return bad();
  return Status::OK();
}

}  // namespace zp::engine::internal
