#pragma once

// Test helper (header-only): an Engine on a store URL with the background thread off, so a test
// decides when to Flush(). Not for production code.

#include <memory>
#include <string_view>
#include <utility>

#include "zp/base/result.h"
#include "zp/base/status.h"
#include "zp/engine/engine.h"
#include "zp/store/store.h"

namespace zp::engine {

// Opens the store at `store_uri` ("memory:", "memory:<name>", "sqlite:<path>") and an Engine on it
// with `options`, background work turned off.
inline Result<std::unique_ptr<Engine>> OpenTestEngine(std::string_view store_uri,
                                                      EngineOptions options = {}) {
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, store::OpenStore(store_uri));
  options.background = false;
  return Engine::Open(std::move(store), options);
}

}  // namespace zp::engine
