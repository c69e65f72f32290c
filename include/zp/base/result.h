#pragma once

// Result<T>: a value or a non-OK Status. Its member API copies std::expected<T, Status>
// (has_value, value, error, operator*, operator->) so it can become that alias under C++23.

#include <optional>
#include <utility>

#include "zp/base/status.h"

namespace zp {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(const T& value) : value_(value) {}             // NOLINT: implicit like std::expected
  Result(T&& value) : value_(std::move(value)) {}       // NOLINT
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    ZP_CHECK(!status_.ok());
  }

  bool has_value() const { return value_.has_value(); }
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    ZP_CHECK(has_value());
    return *value_;
  }
  const T& value() const& {
    ZP_CHECK(has_value());
    return *value_;
  }
  T&& value() && {
    ZP_CHECK(has_value());
    return std::move(*value_);
  }
  const Status& error() const { return status_; }
  // OK when a value is present, the error otherwise.
  const Status& status() const { return status_; }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  T value_or(T other) const { return has_value() ? *value_ : std::move(other); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace zp
