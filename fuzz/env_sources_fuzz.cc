// Feeds arbitrary text to the pollution-source registry parser (PUT /api/v1/env/sources,
// `zeropark env sources import`). Invariants: no crash; an accepted registry is written back
// (with its password hashes) and read again to the same registry, and the canonical text is a
// fixed point.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "zp/environment/sources.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = zp::environment::SourcesFromJson(text, nullptr);
  if (!first.ok()) {
    if (first.status().message().empty()) std::abort();
    return 0;
  }
  const std::string canonical = zp::environment::SourcesToJson(*first, /*with_secrets=*/true);
  auto second = zp::environment::SourcesFromJson(canonical, nullptr);
  if (!second.ok() || !(*second == *first)) std::abort();
  if (zp::environment::SourcesToJson(*second, true) != canonical) std::abort();
  // Without secrets, every source keeps its hash from the previous registry.
  auto third = zp::environment::SourcesFromJson(
      zp::environment::SourcesToJson(*first, /*with_secrets=*/false), &*first);
  if (!third.ok() || !(*third == *first)) std::abort();
  return 0;
}
