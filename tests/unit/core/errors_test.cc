#include "core/errors.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

TEST(Errors, CarryTheirOwnCode) {
  absl::Status s = Error(absl::StatusCode::kFailedPrecondition, "no_email", "no email address");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCode(s), "no_email");
  EXPECT_EQ(s.message(), "no email address");
}

TEST(Errors, DeriveACodeFromTheCanonicalOne) {
  EXPECT_EQ(ErrorCode(absl::NotFoundError("x")), "not_found");
  EXPECT_EQ(ErrorCode(absl::InvalidArgumentError("x")), "invalid_argument");
  EXPECT_EQ(ErrorCode(absl::UnavailableError("x")), "unavailable");
  EXPECT_EQ(ErrorCode(absl::PermissionDeniedError("x")), "forbidden");
  EXPECT_EQ(ErrorCode(absl::OkStatus()), "ok");
}

TEST(Errors, RetryAfterTravelsWithTheStatus) {
  absl::Status limited =
      WithRetryAfter(absl::ResourceExhaustedError("slow down"), absl::Milliseconds(1500));
  EXPECT_EQ(limited.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(limited.message(), "slow down");
  EXPECT_EQ(RetryAfterOf(limited), absl::Milliseconds(1500));
  // A negative wait is "now"; an OK status carries nothing; a plain error has none.
  EXPECT_EQ(RetryAfterOf(WithRetryAfter(absl::UnavailableError("x"), -absl::Seconds(3))),
            absl::ZeroDuration());
  EXPECT_EQ(RetryAfterOf(WithRetryAfter(absl::OkStatus(), absl::Seconds(1))), std::nullopt);
  EXPECT_EQ(RetryAfterOf(absl::ResourceExhaustedError("x")), std::nullopt);
  // The stable code survives alongside it.
  absl::Status coded = WithRetryAfter(
      Error(absl::StatusCode::kResourceExhausted, "rate_limited", "x"), absl::Seconds(2));
  EXPECT_EQ(ErrorCode(coded), "rate_limited");
  EXPECT_EQ(RetryAfterOf(coded), absl::Seconds(2));
}

}  // namespace
}  // namespace stagecheck
