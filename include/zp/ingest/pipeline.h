#pragma once

// The ingest pipeline shared by every adapter (HTTP line protocol, JSON, CSV upload, CLI import):
// resolves parsed readings to meters, converts units to the meter's own unit, rejects what does not
// fit (unknown meter, virtual meter, unit of another dimension, timestamp out of range) with the
// line and reason, and writes the rest through the engine's durable write path.
// Thread-safe: many adapters may call Ingest at once.

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/engine/engine.h"
#include "zp/ingest/parsers.h"

namespace zp::ingest {

enum class BatchMode {
  kKeepGood,      // good rows are written, bad rows reported (InfluxDB /write, CSV import)
  kAllOrNothing,  // any bad row refuses the whole batch; nothing is written (JSON bulk)
};

struct IngestReport {
  int64_t received = 0;          // rows parsed or attempted
  int64_t accepted = 0;          // rows made durable
  std::vector<RowError> errors;  // sorted by line
  int64_t log_seq = 0;
};

struct IngestOptions {
  BatchMode mode = BatchMode::kKeepGood;
  bool unlogged = false;         // Engine::WriteUnlogged (bulk loads that can be redone)
  int64_t max_future_s = 86400;  // readings more than this ahead of now are refused
  int64_t now_s = 0;             // 0 = system clock
  // When set, readings of meters it refuses are rejected ("not writable by this account"): an
  // enterprise user writes only its enterprise's meters, a device only the meters it is bound to.
  std::function<bool(std::string_view meter_code)> allow_meter;
  // Validate only: nothing is written; `accepted` counts the rows that would be (import preview).
  bool dry_run = false;
};

// `parse_errors` are the parser's own errors; they count as bad rows for kAllOrNothing.
Result<IngestReport> Ingest(engine::Engine& engine, const std::vector<ParsedReading>& parsed,
                            std::vector<RowError> parse_errors, const IngestOptions& options,
                            std::string_view source);

}  // namespace zp::ingest
