#pragma once

// Status: the outcome of an operation that can fail for expected reasons (bad input, missing row,
// I/O). A Status is a small value; OK carries no message. Multiple threads may call const methods
// on one Status concurrently.

#include <string>
#include <string_view>
#include <utility>

namespace zp {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// Canonical name of a code, e.g. "INVALID_ARGUMENT".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "context: message". OK stays OK.
  Status WithContext(std::string_view context) const;

  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;

  bool operator==(const Status& other) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status NotFoundError(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
inline Status AlreadyExistsError(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}
inline Status FailedPreconditionError(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
inline Status InternalError(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }
inline Status UnavailableError(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
inline Status DataLossError(std::string m) { return Status(StatusCode::kDataLoss, std::move(m)); }
inline Status ResourceExhaustedError(std::string m) {
  return Status(StatusCode::kResourceExhausted, std::move(m));
}
inline Status UnauthenticatedError(std::string m) {
  return Status(StatusCode::kUnauthenticated, std::move(m));
}
inline Status PermissionDeniedError(std::string m) {
  return Status(StatusCode::kPermissionDenied, std::move(m));
}
inline Status UnimplementedError(std::string m) {
  return Status(StatusCode::kUnimplemented, std::move(m));
}

}  // namespace zp

#define ZP_STATUS_CONCAT_INNER_(a, b) a##b
#define ZP_STATUS_CONCAT_(a, b) ZP_STATUS_CONCAT_INNER_(a, b)

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define ZP_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::zp::Status zp_status_ = (expr);        \
    if (!zp_status_.ok()) return zp_status_; \
  } while (0)

// `lhs = value of expr`, or returns its error. expr must yield a zp::Result<T>.
#define ZP_ASSIGN_OR_RETURN(lhs, expr) \
  ZP_ASSIGN_OR_RETURN_IMPL_(ZP_STATUS_CONCAT_(zp_result_, __LINE__), lhs, expr)
#define ZP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.has_value()) return tmp.error();       \
  lhs = std::move(*tmp)

// Aborts with file and line when `cond` is false: for invariants whose violation would corrupt
// data. Never use it on user, network or device input.
#define ZP_CHECK(cond)                                                   \
  do {                                                                   \
    if (!(cond)) ::zp::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (0)

namespace zp::internal {
[[noreturn]] void CheckFailed(const char* cond, const char* file, int line);
}  // namespace zp::internal
