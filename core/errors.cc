#include "core/errors.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/strings.h"

namespace stagecheck {
namespace {
constexpr char kCodeUrl[] = "https://stagecheck.dev/errors/code";
constexpr char kRetryAfterUrl[] = "https://stagecheck.dev/errors/retry-after-ms";
constexpr char kFieldUrl[] = "https://stagecheck.dev/errors/field";

std::string_view CanonicalCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return "ok";
    case absl::StatusCode::kInvalidArgument:
      return "invalid_argument";
    case absl::StatusCode::kUnauthenticated:
      return "unauthenticated";
    case absl::StatusCode::kPermissionDenied:
      return "forbidden";
    case absl::StatusCode::kNotFound:
      return "not_found";
    case absl::StatusCode::kAlreadyExists:
      return "conflict";
    case absl::StatusCode::kAborted:
      return "conflict";
    case absl::StatusCode::kFailedPrecondition:
      return "failed_precondition";
    case absl::StatusCode::kResourceExhausted:
      return "rate_limited";
    case absl::StatusCode::kUnavailable:
      return "unavailable";
    case absl::StatusCode::kDeadlineExceeded:
      return "timeout";
    default:
      return "internal";
  }
}
}  // namespace

absl::Status Error(absl::StatusCode canonical, std::string_view code, std::string_view message) {
  absl::Status status(canonical, ToAbsl(message));
  status.SetPayload(kCodeUrl, absl::Cord(ToAbsl(code)));
  return status;
}

std::string ErrorCode(const absl::Status& status) {
  auto code = status.GetPayload(kCodeUrl);  // absl::optional in Debian's build
  if (code.has_value()) return std::string(*code);
  return std::string(CanonicalCode(status.code()));
}

absl::Status WithField(absl::Status status, std::string_view field) {
  if (!status.ok()) status.SetPayload(kFieldUrl, absl::Cord(ToAbsl(field)));
  return status;
}

std::optional<std::string> ErrorField(const absl::Status& status) {
  auto field = status.GetPayload(kFieldUrl);
  if (!field.has_value()) return std::nullopt;
  return std::string(*field);
}

absl::Status WithRetryAfter(absl::Status status, absl::Duration after) {
  if (status.ok()) return status;
  const int64_t ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(after));
  status.SetPayload(kRetryAfterUrl, absl::Cord(absl::StrCat(ms)));
  return status;
}

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

std::optional<absl::Duration> RetryAfterOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterUrl);
  if (!payload.has_value()) return std::nullopt;
  int64_t ms = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &ms) || ms < 0) return std::nullopt;
  return absl::Milliseconds(ms);
}

}  // namespace stagecheck
