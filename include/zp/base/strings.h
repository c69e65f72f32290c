#pragma once

// Small text helpers shared by the CSV readers and writers, the CLI and the HTTP API. Pure,
// thread-safe.

#include <string>
#include <string_view>

namespace zp {

// One RFC 4180 CSV field: quoted (with quotes doubled) when it holds a comma, quote or line
// break; as is otherwise.
std::string CsvField(std::string_view s);
// The field always quoted (quotes doubled).
std::string CsvQuoted(std::string_view s);

// Equal, ignoring the case of ASCII letters (other bytes compare exactly).
bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b);
// Without leading and trailing spaces and tabs.
std::string_view TrimBlanks(std::string_view s);

}  // namespace zp
