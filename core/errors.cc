#include "core/errors.h"

#include <optional>

#include "absl/strings/cord.h"
#include "core/strings.h"

namespace stagecheck {
namespace {
constexpr char kCodeUrl[] = "https://stagecheck.dev/errors/code";

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

}  // namespace stagecheck
