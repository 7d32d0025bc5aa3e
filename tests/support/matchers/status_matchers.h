// GoogleMock matchers for absl::Status and absl::StatusOr<T>, shaped like
// Abseil's own (absl/status/status_matchers.h, which Debian's Abseil does
// not ship), so that a test reads
//
//   EXPECT_THAT(store.GetJob(team, id), IsOkAndHolds(Field(&Job::title, "Ops")));
//   EXPECT_THAT(plans.CreateJob(who, bad, {}), StatusIs(absl::StatusCode::kInvalidArgument));
//   EXPECT_THAT(send.status(), StatusIs(_, HasSubstr("already active")));
//   ASSERT_THAT(store.Ping(), IsOk());
//
// A failure prints the status (code and message), never just "false".
#pragma once

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace stagecheck::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "whose status is " << status.ToString();
  return status.ok();
}

MATCHER_P(IsOkAndHolds, value_matcher,
          negation ? "is not OK or holds a value that does not match"
                   : "is OK and holds a value that matches") {
  if (!arg.ok()) {
    *result_listener << "whose status is " << arg.status().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

MATCHER_P2(StatusIs, code_matcher, message_matcher,
           std::string(negation ? "has a status whose code or message does not match"
                                : "has a status whose code and message match")) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "whose status is " << status.ToString();
  return ::testing::Matches(code_matcher)(status.code()) &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

// StatusIs(code): any message.
template <typename CodeMatcher>
auto StatusIs(CodeMatcher code_matcher) {
  return StatusIs(std::move(code_matcher), ::testing::_);
}

}  // namespace stagecheck::testing
