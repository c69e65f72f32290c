#include "zp/base/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "zp/base/result.h"

namespace zp {
namespace {

using ::testing::HasSubstr;

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s, Status::OK());
}

TEST(StatusTest, ErrorFactoriesSetCodeAndMessage) {
  const std::pair<Status, StatusCode> cases[] = {
      {InvalidArgumentError("m"), StatusCode::kInvalidArgument},
      {NotFoundError("m"), StatusCode::kNotFound},
      {AlreadyExistsError("m"), StatusCode::kAlreadyExists},
      {FailedPreconditionError("m"), StatusCode::kFailedPrecondition},
      {InternalError("m"), StatusCode::kInternal},
      {UnavailableError("m"), StatusCode::kUnavailable},
      {DataLossError("m"), StatusCode::kDataLoss},
      {ResourceExhaustedError("m"), StatusCode::kResourceExhausted},
      {UnimplementedError("m"), StatusCode::kUnimplemented},
  };
  for (const auto& [status, code] : cases) {
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(status.code(), code);
    EXPECT_EQ(status.message(), "m");
  }
}

TEST(StatusTest, CodeNames) {
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "OK");
  EXPECT_EQ(StatusCodeName(StatusCode::kInvalidArgument), "INVALID_ARGUMENT");
  EXPECT_EQ(StatusCodeName(StatusCode::kDeadlineExceeded), "DEADLINE_EXCEEDED");
  EXPECT_EQ(StatusCodeName(StatusCode::kNotFound), "NOT_FOUND");
  EXPECT_EQ(StatusCodeName(StatusCode::kAlreadyExists), "ALREADY_EXISTS");
  EXPECT_EQ(StatusCodeName(StatusCode::kPermissionDenied), "PERMISSION_DENIED");
  EXPECT_EQ(StatusCodeName(StatusCode::kResourceExhausted), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(StatusCodeName(StatusCode::kFailedPrecondition), "FAILED_PRECONDITION");
  EXPECT_EQ(StatusCodeName(StatusCode::kUnimplemented), "UNIMPLEMENTED");
  EXPECT_EQ(StatusCodeName(StatusCode::kInternal), "INTERNAL");
  EXPECT_EQ(StatusCodeName(StatusCode::kUnavailable), "UNAVAILABLE");
  EXPECT_EQ(StatusCodeName(StatusCode::kDataLoss), "DATA_LOSS");
  EXPECT_EQ(StatusCodeName(StatusCode::kUnauthenticated), "UNAUTHENTICATED");
  EXPECT_EQ(StatusCodeName(static_cast<StatusCode>(99)), "UNKNOWN");
}

TEST(StatusTest, ToString) {
  EXPECT_EQ(NotFoundError("meter M1").ToString(), "NOT_FOUND: meter M1");
  EXPECT_EQ(Status(StatusCode::kUnauthenticated, "no token").ToString(),
            "UNAUTHENTICATED: no token");
}

TEST(StatusTest, WithContext) {
  Status s = InvalidArgumentError("bad unit").WithContext("meter M1").WithContext("line 3");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "line 3: meter M1: bad unit");
  EXPECT_TRUE(Status::OK().WithContext("ignored").ok());
  EXPECT_EQ(Status::OK().WithContext("ignored").message(), "");
}

TEST(StatusTest, Equality) {
  EXPECT_EQ(NotFoundError("a"), NotFoundError("a"));
  EXPECT_NE(NotFoundError("a"), NotFoundError("b"));
  EXPECT_NE(NotFoundError("a"), InternalError("a"));
  EXPECT_NE(NotFoundError(""), Status::OK());
}

TEST(ResultTest, HoldsValue) {
  Result<int> r = 42;
  EXPECT_TRUE(r.has_value());
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 42);
  EXPECT_EQ(*r, 42);
  EXPECT_TRUE(r.status().ok());
  EXPECT_TRUE(r.error().ok());
  EXPECT_EQ(r.value_or(7), 42);
  *r = 43;
  EXPECT_EQ(r.value(), 43);
}

TEST(ResultTest, HoldsError) {
  Result<std::string> r = NotFoundError("no such meter");
  EXPECT_FALSE(r.has_value());
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status(), NotFoundError("no such meter"));
  EXPECT_EQ(r.value_or("fallback"), "fallback");
}

TEST(ResultTest, ArrowAndMoveOnly) {
  Result<std::string> s = std::string("abc");
  EXPECT_EQ(s->size(), 3u);
  const Result<std::string>& cs = s;
  EXPECT_EQ(cs->size(), 3u);

  Result<std::unique_ptr<int>> p = std::make_unique<int>(5);
  ASSERT_TRUE(p.ok());
  std::unique_ptr<int> taken = std::move(p).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 5);

  Result<std::vector<int>> v = std::vector<int>{1, 2, 3};
  std::vector<int> moved = *std::move(v);
  EXPECT_EQ(moved.size(), 3u);
}

TEST(ResultDeathTest, OkStatusIsAProgrammerError) {
  EXPECT_DEATH({ Result<int> r(Status::OK()); }, "ZP_CHECK failed");
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = InternalError("x");
  EXPECT_DEATH({ (void)r.value(); }, "ZP_CHECK failed: has_value\\(\\)");
}

TEST(CheckDeathTest, NamesConditionFileAndLine) {
  EXPECT_DEATH({ ZP_CHECK(1 + 1 == 3); },
               "ZP_CHECK failed: 1 \\+ 1 == 3 at .*status_test.cc:[0-9]+");
}

// ---- Macros ---------------------------------------------------------------------------------

int calls = 0;

Status Fails() {
  ++calls;
  return UnavailableError("down");
}
Status Succeeds() {
  ++calls;
  return Status::OK();
}
Result<int> Half(int x) {
  ++calls;
  if (x % 2 != 0) return InvalidArgumentError(std::to_string(x) + " is odd");
  return x / 2;
}
Result<std::unique_ptr<int>> Boxed(int x) { return std::make_unique<int>(x); }

Status Chain(bool first_fails, int* reached) {
  *reached = 0;
  ZP_RETURN_IF_ERROR(first_fails ? Fails() : Succeeds());
  *reached = 1;
  ZP_RETURN_IF_ERROR(Succeeds());
  *reached = 2;
  return Status::OK();
}

Result<int> Quarter(int x) {
  ZP_ASSIGN_OR_RETURN(int half, Half(x));
  ZP_ASSIGN_OR_RETURN(int quarter, Half(half));  // second use in one scope
  return quarter;
}

Status AssignExisting(int x, int* out) {
  ZP_ASSIGN_OR_RETURN(*out, Half(x));
  return Status::OK();
}

Result<int> Unbox(int x) {
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<int> p, Boxed(x));
  return *p + 1;
}

TEST(MacroTest, ReturnIfErrorStopsAtFirstError) {
  int reached = -1;
  calls = 0;
  EXPECT_EQ(Chain(true, &reached), UnavailableError("down"));
  EXPECT_EQ(reached, 0);
  EXPECT_EQ(calls, 1);  // the expression is evaluated once
  calls = 0;
  EXPECT_TRUE(Chain(false, &reached).ok());
  EXPECT_EQ(reached, 2);
  EXPECT_EQ(calls, 2);
}

TEST(MacroTest, AssignOrReturn) {
  calls = 0;
  Result<int> q = Quarter(12);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q, 3);
  EXPECT_EQ(calls, 2);

  Result<int> odd_first = Quarter(7);
  ASSERT_FALSE(odd_first.ok());
  EXPECT_THAT(odd_first.error().message(), HasSubstr("7 is odd"));

  Result<int> odd_second = Quarter(6);
  ASSERT_FALSE(odd_second.ok());
  EXPECT_THAT(odd_second.error().message(), HasSubstr("3 is odd"));

  int out = -1;
  EXPECT_TRUE(AssignExisting(8, &out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_EQ(AssignExisting(5, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out, 4);

  EXPECT_EQ(Unbox(9).value(), 10);
}

}  // namespace
}  // namespace zp
