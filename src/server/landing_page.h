#pragma once

// The bilingual (zh/en) landing page at "/": the park, registry counts, example links into the
// data and the list of every route.

#include <cstddef>
#include <string>
#include <vector>

#include "http.h"
#include "zp/model/registry.h"

namespace zp::server {

struct LandingInfo {
  model::Park park;
  size_t zones = 0;
  size_t enterprises = 0;
  size_t meters = 0;
  std::string version;
  std::string backend;
  std::string signed_in_as;  // "name (role)" when the request carried credentials
  // Example links; empty codes leave their examples out.
  std::string example_meter;
  std::string example_enterprise;
  std::string example_zone;
  // Local dates (YYYY-MM-DD) of the examples: the latest day with data and its month and year.
  std::string day_from, day_to;      // one day
  std::string month_from, month_to;  // its month
  std::string year_from, year_to;    // its year
  const std::vector<Route>* routes = nullptr;
};

std::string RenderLandingPage(const LandingInfo& info);
std::string HtmlEscape(std::string_view s);

}  // namespace zp::server
