#include "zp/store/store.h"

#include <fmt/format.h>

#include "memory/memory_store.h"
#include "sqlite/sqlite_store.h"

namespace zp::store {

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The scheme of "scheme:rest" when the text before the first ':' looks like one
// ([a-z][a-z0-9+.-]*), so that ordinary paths are never mistaken for URLs.
std::string_view SchemeOf(std::string_view url) {
  size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  std::string_view scheme = url.substr(0, colon);
  if (scheme[0] < 'a' || scheme[0] > 'z') return {};
  for (char c : scheme) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-';
    if (!ok) return {};
  }
  return scheme;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenStore(std::string_view url) {
  if (url.empty()) return InvalidArgumentError("empty store URL");
  std::string_view scheme = SchemeOf(url);
  if (scheme != "memory" && scheme != "sqlite" &&
      (EndsWith(url, ".zpdb") || EndsWith(url, ".db"))) {
    scheme = {};  // a path ending in .zpdb or .db is a file, even with a ':' in it
  }
  if (scheme == "memory") {
    return std::unique_ptr<Store>(MemoryStore::Open(url.substr(scheme.size() + 1)));
  }
  if (scheme == "sqlite" || scheme.empty()) {
    std::string path(scheme.empty() ? url : url.substr(scheme.size() + 1));
    if (path.empty()) return InvalidArgumentError("sqlite store URL without a path: 'sqlite:'");
    ZP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store, SqliteStore::Open(path));
    return std::unique_ptr<Store>(std::move(store));
  }
  // Further backends (e.g. a shared PostgreSQL, DESIGN.md section 3) register their scheme here
  // and run tests/conformance against it.
  return InvalidArgumentError(fmt::format(
      "unknown store URL scheme '{}:' in '{}' (known: memory:, sqlite:, or a file path)", scheme,
      url));
}

void DropMemoryStore(std::string_view name) { MemoryStore::Drop(name); }

}  // namespace zp::store
