#pragma once

// The generator options of a built demo park, read back from its kDemoCreatedSetting JSON.

#include <string>
#include <string_view>

#include "zp/base/result.h"
#include "zp/demo/demo.h"

namespace zp::demo::internal {

// FailedPrecondition (message starting with `who`) when the JSON is unreadable.
Result<DemoOptions> OptionsFromMarker(const std::string& text, std::string_view who);

}  // namespace zp::demo::internal
