// JSON bulk readings through nlohmann::json; its exceptions are caught here.

#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "zp/ingest/parsers.h"

namespace zp::ingest {

namespace {

using nlohmann::json;

// Accepted instants: 1970-01-01T00:00:00Z up to the end of the year 2200.
constexpr int64_t kMinTsS = 0;
constexpr int64_t kEndTsS = 7289654400;  // 2201-01-01T00:00:00Z

// Strips nlohmann's "[json.exception.parse_error.101] " tag from a message.
std::string CleanMessage(const char* what) {
  std::string_view m(what);
  if (!m.empty() && m[0] == '[') {
    const size_t close = m.find("] ");
    if (close != std::string_view::npos) m.remove_prefix(close + 2);
  }
  return std::string(m);
}

// One element; returns an empty string on success, the reason otherwise.
std::string ParseElement(const json& e, const TimeZone& zone, ParsedReading* r) {
  if (!e.is_object()) return "reading is not an object";
  const auto meter = e.find("meter");
  if (meter == e.end()) return "missing \"meter\"";
  if (!meter->is_string()) return "\"meter\" must be a string";
  const std::string& code = meter->get_ref<const std::string&>();
  if (code.empty()) return "\"meter\" is empty";

  const auto ts = e.find("ts");
  if (ts == e.end()) return "missing \"ts\"";
  int64_t ts_s = 0;
  if (ts->is_number_integer()) {
    if (ts->is_number_unsigned()) {
      const uint64_t u = ts->get<uint64_t>();
      if (u >= static_cast<uint64_t>(kEndTsS)) return "timestamp out of range (1970-2200)";
      ts_s = static_cast<int64_t>(u);
    } else {
      ts_s = ts->get<int64_t>();
    }
  } else if (ts->is_number_float()) {
    const double d = ts->get<double>();
    if (!(d >= static_cast<double>(kMinTsS) && d < static_cast<double>(kEndTsS))) {
      return "timestamp out of range (1970-2200)";
    }
    ts_s = static_cast<int64_t>(std::floor(d));
  } else if (ts->is_string()) {
    Result<int64_t> parsed = ParseTimestamp(ts->get_ref<const std::string&>(), zone);
    if (!parsed.ok()) return parsed.error().message();
    ts_s = *parsed;
  } else {
    return "\"ts\" must be a number of seconds or a timestamp string";
  }
  if (ts_s < kMinTsS || ts_s >= kEndTsS) return "timestamp out of range (1970-2200)";

  const auto value = e.find("value");
  if (value == e.end()) return "missing \"value\"";
  if (!value->is_number()) return "\"value\" must be a number";
  const double v = value->get<double>();
  if (!std::isfinite(v)) return "\"value\" must be finite";

  std::string unit;
  const auto u = e.find("unit");
  if (u != e.end() && !u->is_null()) {
    if (!u->is_string()) return "\"unit\" must be a string";
    unit = u->get_ref<const std::string&>();
  }
  r->meter = code;
  r->unit = std::move(unit);
  r->ts_s = ts_s;
  r->value = v;
  return {};
}

}  // namespace

void ParseJsonReadings(std::string_view body, const TimeZone& zone, std::vector<ParsedReading>* out,
                       std::vector<RowError>* errors) {
  json doc;
  try {
    doc = json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    errors->push_back({0, "body is not JSON (at byte " + std::to_string(e.byte) +
                              "): " + CleanMessage(e.what())});
    return;
  } catch (const std::exception& e) {
    errors->push_back({0, "body is not JSON: " + CleanMessage(e.what())});
    return;
  }
  const json* list = &doc;
  if (doc.is_object()) {
    const auto it = doc.find("readings");
    if (it == doc.end()) {
      errors->push_back({0, "expected {\"readings\": [...]} or an array of readings"});
      return;
    }
    list = &*it;
  }
  if (!list->is_array()) {
    errors->push_back({0, "expected {\"readings\": [...]} or an array of readings"});
    return;
  }
  out->reserve(out->size() + list->size());
  int32_t index = 0;
  for (const json& e : *list) {
    ++index;
    ParsedReading r;
    std::string reason;
    try {
      reason = ParseElement(e, zone, &r);
    } catch (const std::exception& ex) {
      reason = CleanMessage(ex.what());
    }
    if (!reason.empty()) {
      errors->push_back({index, std::move(reason)});
      continue;
    }
    r.line = index;
    out->push_back(std::move(r));
  }
}

}  // namespace zp::ingest
