#pragma once

// Encoding of one ingest-log entry: the readings of one Write call with their provenance.
// Internal to the engine.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/engine/engine.h"

namespace zp::engine::internal {

struct LogEntry {
  std::string source;
  int64_t recorded_s = 0;
  std::vector<ReadingIn> readings;
};

std::string EncodeLogEntry(std::string_view source, int64_t recorded_s,
                           std::span<const ReadingIn> readings);
Status DecodeLogEntry(std::string_view payload, LogEntry* out);

}  // namespace zp::engine::internal
