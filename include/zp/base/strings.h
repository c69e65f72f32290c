#pragma once

// Small text helpers shared by the CSV writers of the CLI and the HTTP API. Pure, thread-safe.

#include <string>
#include <string_view>

namespace zp {

// One RFC 4180 CSV field: quoted (with quotes doubled) when it holds a comma, quote or line
// break; as is otherwise.
std::string CsvField(std::string_view s);

}  // namespace zp
