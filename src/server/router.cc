#include "router.h"

#include <fmt/format.h>

#include <algorithm>

namespace zp::server {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const size_t j = std::min(path.find('/', i), path.size());
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

Router::Router(std::vector<Route> routes) : routes_(std::move(routes)) {
  patterns_.resize(routes_.size());
  for (size_t i = 0; i < routes_.size(); ++i) {
    const std::string& path = routes_[i].path;
    if (path.find('{') == std::string::npos) {
      static_paths_[path].push_back(static_cast<int>(i));
    } else {
      for (std::string_view s : SplitPath(path)) patterns_[i].segments.emplace_back(s);
      patterned_.push_back(static_cast<int>(i));
    }
  }
}

int Router::Find(std::string_view method, std::string_view path,
                 std::vector<std::pair<std::string, std::string>>* path_params,
                 std::vector<std::string>* allowed) const {
  if (method == "HEAD") method = "GET";
  auto accept = [&](int index) {
    if (routes_[index].method == method) return true;
    allowed->push_back(routes_[index].method);
    return false;
  };
  std::string_view trimmed = path;
  if (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
  if (auto it = static_paths_.find(std::string(trimmed)); it != static_paths_.end()) {
    for (int index : it->second) {
      if (accept(index)) return index;
    }
  }
  const std::vector<std::string_view> segments = SplitPath(trimmed);
  for (int index : patterned_) {
    const Pattern& pattern = patterns_[index];
    if (pattern.segments.size() != segments.size()) continue;
    bool match = true;
    for (size_t k = 0; k < segments.size() && match; ++k) {
      const std::string& p = pattern.segments[k];
      const bool capture = p.size() > 2 && p.front() == '{' && p.back() == '}';
      match = capture ? !segments[k].empty() : p == segments[k];
    }
    if (!match || !accept(index)) continue;
    path_params->clear();
    for (size_t k = 0; k < segments.size(); ++k) {
      const std::string& p = pattern.segments[k];
      if (p.front() == '{') {
        path_params->emplace_back(p.substr(1, p.size() - 2), std::string(segments[k]));
      }
    }
    return index;
  }
  std::sort(allowed->begin(), allowed->end());
  allowed->erase(std::unique(allowed->begin(), allowed->end()), allowed->end());
  return -1;
}

Status Router::CheckQuery(const Route& route, const HttpRequest& request) {
  for (size_t i = 0; i < request.query.size(); ++i) {
    const std::string& name = request.query[i].first;
    auto spec = std::find_if(route.params.begin(), route.params.end(), [&](const ParamSpec& p) {
      return p.in == ParamIn::kQuery && p.name == name;
    });
    if (spec == route.params.end()) {
      std::string known;
      for (const ParamSpec& p : route.params) {
        if (p.in != ParamIn::kQuery) continue;
        if (!known.empty()) known += ", ";
        known += p.name;
      }
      return InvalidArgumentError(fmt::format(
          "unknown query parameter '{}' for {} {}{}", name, route.method, route.path,
          known.empty() ? std::string(" (it takes none)") : fmt::format(" (known: {})", known)));
    }
    if (!spec->repeated) {
      for (size_t j = 0; j < i; ++j) {
        if (request.query[j].first == name) {
          return InvalidArgumentError(
              fmt::format("query parameter '{}' given more than once", name));
        }
      }
    }
    if (!spec->values.empty()) {
      const std::string& value = request.query[i].second;
      if (std::find(spec->values.begin(), spec->values.end(), value) == spec->values.end()) {
        return InvalidArgumentError(fmt::format("query parameter '{}': '{}' is not one of {}", name,
                                                value, fmt::join(spec->values, ", ")));
      }
    }
  }
  for (const ParamSpec& p : route.params) {
    if (p.in != ParamIn::kQuery || !p.required) continue;
    if (!request.Query(p.name).has_value()) {
      return InvalidArgumentError(fmt::format("missing query parameter '{}'", p.name));
    }
  }
  return Status::OK();
}

}  // namespace zp::server
