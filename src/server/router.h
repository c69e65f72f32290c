#pragma once

// Matches requests to the route table: static paths by hash, patterned paths ("{name}" segments)
// segment by segment. Immutable after construction; safe to share between threads.

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http.h"

namespace zp::server {

class Router {
 public:
  explicit Router(std::vector<Route> routes);

  const std::vector<Route>& routes() const { return routes_; }

  // Index of the route for method + path (HEAD matches GET), or -1. Fills *path_params. When
  // only the method is wrong, *allowed lists the methods the path accepts.
  int Find(std::string_view method, std::string_view path,
           std::vector<std::pair<std::string, std::string>>* path_params,
           std::vector<std::string>* allowed) const;

  // Refuses unknown query parameters, missing required ones, repeats of single ones and values
  // outside a parameter's allowed list, naming the parameter.
  static Status CheckQuery(const Route& route, const HttpRequest& request);

 private:
  struct Pattern {
    std::vector<std::string> segments;  // "{name}" captures
  };
  std::vector<Route> routes_;
  std::vector<Pattern> patterns_;
  std::unordered_map<std::string, std::vector<int>> static_paths_;
  std::vector<int> patterned_;
};

std::vector<std::string_view> SplitPath(std::string_view path);

}  // namespace zp::server
