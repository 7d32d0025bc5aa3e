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

}  // namespace
}  // namespace stagecheck
