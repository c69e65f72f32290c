#include "zp/tsdb/chunk.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace zp::tsdb {

// Version 1 layout, all varints LEB128 (7 bits a byte, low group first), zigzag for signed:
//
//   u8      version (= 1)
//   varint  count (<= kMaxChunkPoints); nothing follows when count is 0
//   -- timestamps
//   zigzag  first ts_s
//   repeated until count - 1 deltas are covered:
//     varint  delta (>= 1)
//     varint  run length (>= 1): that many consecutive gaps of `delta` seconds
//   -- values
//   u8      encoding: 0..6 decimal scale s, or kXorEncoding
//   scale s: zigzag first integer m0 (value = m / 10^s), then one LSB-first bit stream with the
//            count - 1 zigzagged deltas of m in blocks of kBlockSize, each block opening with a
//            7-bit header h:
//              h <= kMaxWidth: every delta packed in h bits (frame of reference; 0 = constant);
//              h = kRiceBase + k (k < kMaxRiceK): Rice code per delta: q = zz >> k zero bits, a
//                one bit, then the k low bits; q >= kRiceEscape is written as kRiceEscape zero
//                bits followed by zz in kMaxWidth bits.
//            The encoder picks the smaller per block; Rice wins on noisy load curves (the cost
//            follows the typical delta, not the largest).
//   xor:     Gorilla coding of the IEEE bits in one LSB-first bit stream.
//   Bit streams are zero-padded to a byte. The chunk ends exactly there; trailing bytes are
//   corruption.

namespace {

constexpr uint8_t kXorEncoding = 0x10;
constexpr int kMaxScale = 6;
constexpr size_t kBlockSize = 32;
constexpr int kHeaderBits = 7;
// Zigzagged deltas of integers below 2^53 in magnitude need at most 55 bits.
constexpr int kMaxWidth = 56;
constexpr int kRiceBase = 64;
constexpr int kMaxRiceK = 32;
constexpr int kRiceEscape = 24;
constexpr double kPow10[kMaxScale + 1] = {1, 10, 100, 1000, 10000, 100000, 1000000};
constexpr double kTwo53 = 9007199254740992.0;

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

inline uint64_t LowBits(int n) { return n == 0 ? 0 : ~uint64_t{0} >> (64 - n); }

inline void PutVarint(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, static_cast<size_t>(n));
}

inline int BitWidth(uint64_t v) { return v == 0 ? 0 : 64 - std::countl_zero(v); }

inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

// Bounds-checked cursor over the chunk bytes.
class Reader {
 public:
  Reader(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}

  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      const uint64_t byte = *p_++;
      if (shift == 63 && byte > 1) return false;  // more than 64 bits
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool Byte(uint8_t* b) {
    if (p_ == end_) return false;
    *b = *p_++;
    return true;
  }
  const uint8_t* pos() const { return p_; }
  const uint8_t* end() const { return end_; }
  void SkipTo(const uint8_t* p) { p_ = p; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// LSB-first bit writer into a region of *out sized up front for at most `max_bits` bits.
class BitWriter {
 public:
  BitWriter(std::string* out, size_t max_bits) : out_(out), start_(out->size()) {
    out->resize(start_ + max_bits / 8 + 9);  // + partial byte + one 8-byte store of slack
    p_ = reinterpret_cast<uint8_t*>(out->data()) + start_;
  }
  // Appends the low `n` bits of v (which has no higher bits set), 0 <= n <= 56.
  void Write(uint64_t v, int n) {
    acc_ |= v << bits_;  // bits_ <= 7, so up to 63 bits are held
    bits_ += n;
    uint64_t word = acc_;
    if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
    std::memcpy(p_, &word, 8);
    const int bytes = bits_ >> 3;
    p_ += bytes;
    acc_ >>= bytes * 8;  // bytes <= 7
    bits_ &= 7;
  }
  void Write64(uint64_t v, int n) {
    if (n > 32) {
      Write(v & LowBits(32), 32);
      v >>= 32;
      n -= 32;
    }
    Write(v & LowBits(n), n);
  }
  // Pads to a byte and trims *out to what was written.
  void Finish() {
    if (bits_ > 0) *p_++ = static_cast<uint8_t>(acc_);
    out_->resize(static_cast<size_t>(p_ - reinterpret_cast<uint8_t*>(out_->data())));
  }

 private:
  std::string* out_;
  size_t start_;
  uint8_t* p_;
  uint64_t acc_ = 0;
  int bits_ = 0;
};

// LSB-first bit reader that never reads outside [p, end). Bits above `avail_` in `buf_` are
// either zero or the next bits of the stream.
class BitReader {
 public:
  BitReader(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}

  // Afterwards avail() >= 56 unless the stream is nearly exhausted.
  void Refill() {
    if (end_ - p_ >= 8) {
      buf_ |= LoadLE64(p_) << avail_;
      p_ += (63 - avail_) >> 3;
      avail_ |= 56;
    } else {
      while (avail_ <= 56 && p_ < end_) {
        buf_ |= uint64_t{*p_++} << avail_;
        avail_ += 8;
      }
    }
  }
  int avail() const { return avail_; }
  uint64_t peek() const { return buf_; }
  void Consume(int n) {
    buf_ >>= n;
    avail_ -= n;
  }
  // Reads n <= 56 bits; false past the end.
  bool Read(int n, uint64_t* v) {
    if (avail_ < n) {
      Refill();
      if (avail_ < n) return false;
    }
    *v = buf_ & LowBits(n);
    Consume(n);
    return true;
  }
  bool Read64(int n, uint64_t* v) {
    uint64_t lo = 0, hi = 0;
    if (n <= 32) return Read(n, v);
    if (!Read(32, &lo) || !Read(n - 32, &hi)) return false;
    *v = lo | hi << 32;
    return true;
  }
  // First byte after the bits consumed so far (the stream is padded to a byte).
  const uint8_t* EndOfStream() const { return p_ - avail_ / 8; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  uint64_t buf_ = 0;
  int avail_ = 0;
};

Status Corrupt(const char* what) { return DataLossError(std::string("corrupt chunk: ") + what); }

// Nearest integer of x, |x| < 2^53 (ties may go either way; callers verify).
inline int64_t RoundToInt(double x) {
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
  if (std::fabs(x) < 2251799813685248.0) {       // 2^51
    return static_cast<int64_t>((x + kMagic) - kMagic);
  }
  return std::llround(x);
}

// Smallest decimal scale representing every value exactly, or -1. Fills *ints on success.
int ChooseScale(std::span<const Point> points, std::vector<int64_t>* ints) {
  ints->resize(points.size());
  int64_t* m = ints->data();
  // A value that needs a larger scale restarts the pass at that scale (at most kMaxScale times).
  for (int scale = 0; scale <= kMaxScale;) {
    const double p10 = kPow10[scale];
    int needed = scale;
    for (size_t i = 0; i < points.size(); ++i) {
      const double v = points[i].value;
      const double x = v * p10;
      if (!(std::fabs(x) < kTwo53)) return -1;  // larger scales only grow
      m[i] = RoundToInt(x);
      if (static_cast<double>(m[i]) / p10 == v) continue;
      needed = scale + 1;
      while (needed <= kMaxScale) {
        const double y = v * kPow10[needed];
        if (!(std::fabs(y) < kTwo53)) return -1;
        if (static_cast<double>(RoundToInt(y)) / kPow10[needed] == v) break;
        ++needed;
      }
      break;
    }
    if (needed == scale) return scale;
    scale = needed;
  }
  return -1;
}

size_t RiceBits(const uint64_t* zz, size_t len, int k) {
  size_t bits = 0;
  for (size_t i = 0; i < len; ++i) {
    const uint64_t q = zz[i] >> k;
    bits += q < kRiceEscape ? q + 1 + static_cast<size_t>(k) : kRiceEscape + kMaxWidth;
  }
  return bits;
}

// How one block of deltas is written: packed at `width` bits, or Rice with parameter k >= 0.
struct BlockPlan {
  int width = 0;
  int rice_k = -1;
};

BlockPlan PlanBlock(const uint64_t* zz, size_t len, size_t* bits) {
  uint64_t all = 0;
  uint64_t total = 0;
  uint8_t widths[kMaxWidth + 1] = {};
  for (size_t i = 0; i < len; ++i) {
    all |= zz[i];
    total += zz[i] >> 8;  // zz < 2^56: a sum of 32 cannot overflow after the shift
    ++widths[BitWidth(zz[i])];
  }
  BlockPlan plan;
  plan.width = BitWidth(all);
  size_t best = len * static_cast<size_t>(plan.width);
  if (plan.width > 2) {
    // The best Rice parameter sits near log2 of the mean; an outlier drags the mean up, so also
    // try around the median width (the outlier then takes the escape).
    const int k_mean = BitWidth((total << 8) / len);
    int k_median = 0;
    for (size_t seen = 0; seen + widths[k_median] <= len / 2; ++k_median) {
      seen += widths[k_median];
    }
    const int lo = std::max(0, std::min(k_mean, k_median) - 3);
    const int hi = std::min(kMaxRiceK - 1, std::max(k_mean, k_median) + 1);
    for (int k = lo; k <= hi; ++k) {
      const size_t cost = RiceBits(zz, len, k);
      if (cost < best) {
        best = cost;
        plan.rice_k = k;
      }
    }
  }
  *bits = kHeaderBits + best;
  return plan;
}

void EncodeScaled(const std::vector<int64_t>& ints, std::string* out) {
  PutVarint(out, ZigZag(ints[0]));
  const size_t n = ints.size();
  if (n == 1) return;
  std::vector<uint64_t> zz(n - 1);
  for (size_t i = 1; i < n; ++i) zz[i - 1] = ZigZag(ints[i] - ints[i - 1]);
  std::vector<BlockPlan> plans((n - 1 + kBlockSize - 1) / kBlockSize);
  size_t total_bits = 0;
  for (size_t blk = 0; blk < plans.size(); ++blk) {
    const size_t start = blk * kBlockSize;
    size_t bits;
    plans[blk] = PlanBlock(&zz[start], std::min(kBlockSize, n - 1 - start), &bits);
    total_bits += bits;
  }
  BitWriter w(out, total_bits);
  for (size_t blk = 0; blk < plans.size(); ++blk) {
    const size_t start = blk * kBlockSize;
    const size_t len = std::min(kBlockSize, n - 1 - start);
    const uint64_t* z = &zz[start];
    const BlockPlan& plan = plans[blk];
    if (plan.rice_k < 0) {
      w.Write(static_cast<uint64_t>(plan.width), kHeaderBits);
      for (size_t i = 0; i < len; ++i) w.Write(z[i], plan.width);
      continue;
    }
    const int k = plan.rice_k;
    w.Write(static_cast<uint64_t>(kRiceBase + k), kHeaderBits);
    for (size_t i = 0; i < len; ++i) {
      const uint64_t q = z[i] >> k;
      if (q < kRiceEscape) {
        w.Write((uint64_t{1} << q) | ((z[i] & LowBits(k)) << (q + 1)), static_cast<int>(q) + 1 + k);
      } else {
        w.Write(0, kRiceEscape);
        w.Write(z[i], kMaxWidth);
      }
    }
  }
  w.Finish();
}

void EncodeXor(std::span<const Point> points, std::string* out) {
  BitWriter w(out, 64 + (points.size() - 1) * (2 + 5 + 6 + 64));
  uint64_t prev = std::bit_cast<uint64_t>(points[0].value);
  w.Write64(prev, 64);
  int prev_lead = -1;
  int prev_trail = 0;
  for (size_t i = 1; i < points.size(); ++i) {
    const uint64_t cur = std::bit_cast<uint64_t>(points[i].value);
    const uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      w.Write(0, 1);
      continue;
    }
    int lead = std::countl_zero(x);
    const int trail = std::countr_zero(x);
    if (lead > 31) lead = 31;
    if (prev_lead >= 0 && lead >= prev_lead && trail >= prev_trail) {
      w.Write(0b01, 2);  // '1' then '0', LSB first
      w.Write64(x >> prev_trail, 64 - prev_lead - prev_trail);
    } else {
      const int sig = 64 - lead - trail;
      w.Write(0b11, 2);
      w.Write(static_cast<uint64_t>(lead), 5);
      w.Write(static_cast<uint64_t>(sig - 1), 6);
      w.Write64(x >> trail, sig);
      prev_lead = lead;
      prev_trail = trail;
    }
  }
  w.Finish();
}

// Reads the zigzagged deltas of one block into zz[0..len).
Status ReadBlock(BitReader* b, size_t len, uint64_t* zz) {
  uint64_t header;
  if (!b->Read(kHeaderBits, &header)) return Corrupt("truncated block header");
  if (header <= kMaxWidth) {
    const int width = static_cast<int>(header);
    const uint64_t mask = LowBits(width);
    for (size_t i = 0; i < len; ++i) {
      if (b->avail() < width) {
        b->Refill();
        if (b->avail() < width) return Corrupt("truncated value block");
      }
      zz[i] = b->peek() & mask;
      b->Consume(width);
    }
    return Status::OK();
  }
  if (header < kRiceBase || header >= kRiceBase + kMaxRiceK) return Corrupt("bad block header");
  const int k = static_cast<int>(header) - kRiceBase;
  const uint64_t mask = LowBits(k);
  for (size_t i = 0; i < len; ++i) {
    if (b->avail() < kRiceEscape + 1 + k) b->Refill();
    const uint64_t bits = b->peek();
    const int q = bits == 0 ? 64 : std::countr_zero(bits);
    if (q < kRiceEscape) {
      const int used = q + 1 + k;
      if (b->avail() < used) return Corrupt("truncated value block");
      zz[i] = (static_cast<uint64_t>(q) << k) | ((bits >> (q + 1)) & mask);
      b->Consume(used);
    } else {
      if (b->avail() < kRiceEscape) return Corrupt("truncated value block");
      b->Consume(kRiceEscape);
      if (!b->Read(kMaxWidth, &zz[i])) return Corrupt("truncated value block");
    }
  }
  return Status::OK();
}

Status DecodeScaled(Reader* r, int scale, Point* pts, size_t count) {
  uint64_t first;
  if (!r->Varint(&first)) return Corrupt("truncated first value");
  const double div = kPow10[scale];
  uint64_t m = static_cast<uint64_t>(UnZigZag(first));  // wrapping accumulator
  pts[0].value = static_cast<double>(static_cast<int64_t>(m)) / div;
  BitReader b(r->pos(), r->end());
  uint64_t zz[kBlockSize];
  for (size_t start = 1; start < count; start += kBlockSize) {
    const size_t len = std::min(kBlockSize, count - start);
    ZP_RETURN_IF_ERROR(ReadBlock(&b, len, zz));
    Point* out = pts + start;
    for (size_t i = 0; i < len; ++i) {
      m += static_cast<uint64_t>(UnZigZag(zz[i]));
      out[i].value = static_cast<double>(static_cast<int64_t>(m)) / div;
    }
  }
  r->SkipTo(b.EndOfStream());
  return Status::OK();
}

Status DecodeXor(Reader* r, Point* pts, size_t count) {
  BitReader b(r->pos(), r->end());
  uint64_t prev;
  if (!b.Read64(64, &prev)) return Corrupt("truncated first value");
  pts[0].value = std::bit_cast<double>(prev);
  if (!std::isfinite(pts[0].value)) return Corrupt("non-finite value");
  int lead = -1;
  int trail = 0;
  for (size_t i = 1; i < count; ++i) {
    uint64_t bit;
    if (!b.Read(1, &bit)) return Corrupt("truncated xor value");
    if (bit != 0) {
      if (!b.Read(1, &bit)) return Corrupt("truncated xor value");
      if (bit != 0) {
        uint64_t l, s;
        if (!b.Read(5, &l) || !b.Read(6, &s)) return Corrupt("truncated xor header");
        const int sig = static_cast<int>(s) + 1;
        if (static_cast<int>(l) + sig > 64) return Corrupt("xor window out of range");
        lead = static_cast<int>(l);
        trail = 64 - lead - sig;
      } else if (lead < 0) {
        return Corrupt("xor window reused before set");
      }
      uint64_t x;
      if (!b.Read64(64 - lead - trail, &x)) return Corrupt("truncated xor value");
      prev ^= x << trail;
    }
    pts[i].value = std::bit_cast<double>(prev);
    if (!std::isfinite(pts[i].value)) return Corrupt("non-finite value");
  }
  r->SkipTo(b.EndOfStream());
  return Status::OK();
}

}  // namespace

std::string EncodeChunk(std::span<const Point> points) {
  const size_t n = points.size();
  ZP_CHECK(n <= kMaxChunkPoints);
  for (size_t i = 0; i < n; ++i) {
    ZP_CHECK(std::isfinite(points[i].value));
    if (i > 0) ZP_CHECK(points[i - 1].ts_s < points[i].ts_s);
  }
  std::string out;
  out.reserve(32);
  out.push_back(static_cast<char>(kChunkFormatVersion));
  PutVarint(&out, n);
  if (n == 0) return out;

  PutVarint(&out, ZigZag(points[0].ts_s));
  size_t i = 1;
  while (i < n) {
    const uint64_t delta =
        static_cast<uint64_t>(points[i].ts_s) - static_cast<uint64_t>(points[i - 1].ts_s);
    size_t run = 1;
    while (i + run < n && static_cast<uint64_t>(points[i + run].ts_s) -
                                  static_cast<uint64_t>(points[i + run - 1].ts_s) ==
                              delta) {
      ++run;
    }
    PutVarint(&out, delta);
    PutVarint(&out, run);
    i += run;
  }

  std::vector<int64_t> ints;
  const int scale = ChooseScale(points, &ints);
  if (scale >= 0) {
    out.push_back(static_cast<char>(scale));
    EncodeScaled(ints, &out);
  } else {
    out.push_back(static_cast<char>(kXorEncoding));
    EncodeXor(points, &out);
  }
  if (out.capacity() > out.size() + out.size() / 4 + 64) out.shrink_to_fit();
  return out;
}

Status DecodeChunk(std::string_view data, std::vector<Point>* out) {
  const auto* begin = reinterpret_cast<const uint8_t*>(data.data());
  Reader r(begin, begin + data.size());
  uint8_t version;
  if (!r.Byte(&version)) return Corrupt("empty");
  if (version != kChunkFormatVersion) {
    return FailedPreconditionError("chunk format version " + std::to_string(version) +
                                   " is not supported by this build (knows " +
                                   std::to_string(kChunkFormatVersion) + ")");
  }
  uint64_t count;
  if (!r.Varint(&count)) return Corrupt("truncated count");
  if (count > kMaxChunkPoints) return Corrupt("point count out of range");
  if (count == 0) {
    return r.pos() == r.end() ? Status::OK() : Corrupt("trailing bytes");
  }
  // Every block of kBlockSize values costs at least kHeaderBits (and a XOR value at least one
  // bit): refuse counts the bytes cannot hold before allocating for them.
  const uint64_t min_bits = (count - 1 + kBlockSize - 1) / kBlockSize * kHeaderBits;
  if (static_cast<uint64_t>(r.end() - r.pos()) * 8 < min_bits) {
    return Corrupt("point count exceeds the data");
  }

  uint64_t first_ts;
  if (!r.Varint(&first_ts)) return Corrupt("truncated first timestamp");
  const size_t base = out->size();
  out->resize(base + count);
  Point* pts = out->data() + base;
  auto fail = [&](Status s) {
    out->resize(base);
    return s;
  };

  int64_t ts = UnZigZag(first_ts);
  pts[0].ts_s = ts;
  size_t filled = 1;
  while (filled < count) {
    uint64_t delta, run;
    if (!r.Varint(&delta) || !r.Varint(&run)) return fail(Corrupt("truncated timestamp run"));
    if (delta == 0 || run == 0 || run > count - filled) {
      return fail(Corrupt("bad timestamp run"));
    }
    uint64_t span;
    const uint64_t room =
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - static_cast<uint64_t>(ts);
    if (__builtin_mul_overflow(delta, run, &span) || span > room) {
      return fail(Corrupt("timestamp overflow"));
    }
    uint64_t t = static_cast<uint64_t>(ts);
    for (uint64_t k = 0; k < run; ++k) {
      t += delta;
      pts[filled++].ts_s = static_cast<int64_t>(t);
    }
    ts = static_cast<int64_t>(t);
  }

  uint8_t encoding;
  if (!r.Byte(&encoding)) return fail(Corrupt("truncated value encoding"));
  Status s;
  if (encoding <= kMaxScale) {
    s = DecodeScaled(&r, encoding, pts, count);
  } else if (encoding == kXorEncoding) {
    s = DecodeXor(&r, pts, count);
  } else {
    s = Corrupt("unknown value encoding");
  }
  if (!s.ok()) return fail(std::move(s));
  if (r.pos() != r.end()) return fail(Corrupt("trailing bytes"));
  return Status::OK();
}

}  // namespace zp::tsdb
