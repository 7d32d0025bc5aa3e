#include "adapters/http/api/route_support.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/http/url.h"
#include "core/errors.h"
#include "core/strings.h"

namespace stagecheck::http {

absl::StatusOr<std::optional<IdempotencyKey>> IdempotencyKeyOf(const Request& request,
                                                               const Crypto& crypto) {
  std::optional<std::string_view> key = request.Header("idempotency-key");
  if (!key) return std::optional<IdempotencyKey>();
  bool printable = !key->empty() && key->size() <= 255;
  for (char c : *key) printable &= c > ' ' && c <= '~';
  if (!printable) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_idempotency_key",
                 "Idempotency-Key must be 1 to 255 printable characters without spaces");
  }
  std::string fingerprint =
      HexEncode(crypto.Sha256(absl::StrCat(request.method, " ", request.path, "\n", request.body)));
  return std::optional<IdempotencyKey>(IdempotencyKey{std::string(*key), std::move(fingerprint)});
}

absl::Status InvalidQueryParam(std::string_view param, std::string_view why) {
  return WithField(Error(absl::StatusCode::kInvalidArgument, "invalid_filter",
                         absl::StrCat(ToAbsl(param), " ", ToAbsl(why))),
                   param);
}

absl::Status CursorError(absl::Status status) {
  if (status.code() == absl::StatusCode::kInvalidArgument &&
      ErrorCode(status) == "invalid_argument") {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_cursor",
                 "after is not a valid cursor");
  }
  return status;
}

Response CreatedAt(std::string location, bool replayed, Response response) {
  response.SetHeader("Location", std::move(location));
  if (replayed) response.SetHeader("Idempotent-Replayed", "true");
  return response;
}

absl::StatusOr<PageRequest> PageOf(const Request& request) {
  PageRequest page;
  if (std::optional<std::string> limit = request.QueryParam("limit")) {
    int value = 0;
    if (!absl::SimpleAtoi(*limit, &value) || value < 1 || value > 100) {
      return Error(absl::StatusCode::kInvalidArgument, "invalid_limit", "limit must be 1 to 100");
    }
    page.limit = value;
  }
  if (std::optional<std::string> after = request.QueryParam("after")) {
    if (after->size() > 200) {
      return Error(absl::StatusCode::kInvalidArgument, "invalid_cursor",
                   "after is not a valid cursor");
    }
    page.after = *after;
  }
  return page;
}

std::optional<std::string> IfMatchOf(const Request& request) {
  std::optional<std::string_view> value = request.Header("if-match");
  if (!value) return std::nullopt;
  return std::string(*value);
}

}  // namespace stagecheck::http
