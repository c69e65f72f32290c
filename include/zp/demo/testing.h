#pragma once

// Test helper (header-only): a demo park built in a fresh test engine. Not for production code.

#include <memory>
#include <string_view>

#include "zp/base/result.h"
#include "zp/base/status.h"
#include "zp/demo/demo.h"
#include "zp/engine/engine.h"
#include "zp/engine/testing.h"

namespace zp::demo {

// Opens engine::OpenTestEngine(store_uri) (background off) and builds the demo park of `options`
// in it.
inline Result<std::unique_ptr<engine::Engine>> OpenDemoEngine(std::string_view store_uri,
                                                              const DemoOptions& options) {
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<engine::Engine> engine, engine::OpenTestEngine(store_uri));
  ZP_RETURN_IF_ERROR(BuildDemoPark(*engine, options).status());
  return engine;
}

}  // namespace zp::demo
