#pragma once

// The OpenAPI 3.0 document, built from the route table so no route goes undocumented.

#include <string>
#include <string_view>
#include <vector>

#include "http.h"

namespace zp::server {

std::string BuildOpenApi(const std::vector<Route>& routes, std::string_view version);

}  // namespace zp::server
