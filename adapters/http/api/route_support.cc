#include "adapters/http/api/route_support.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/http/url.h"
#include "core/errors.h"
#include "core/strings.h"

namespace stagecheck::http {

namespace {

absl::StatusOr<Principal> Authenticate(ApiContext& ctx, const Request& request) {
  std::optional<std::string_view> header = request.Header("authorization");
  if (!header) {
    return Error(absl::StatusCode::kUnauthenticated, "missing_token",
                 "send an API token as 'Authorization: Bearer <token>'");
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (header->size() <= kBearer.size() ||
      !EqualsIgnoreCase(header->substr(0, kBearer.size()), kBearer)) {
    return Error(absl::StatusCode::kUnauthenticated, "invalid_token",
                 "the Authorization header must be 'Bearer <token>'");
  }
  return ctx.accounts.Authenticate(header->substr(kBearer.size()));
}

Handler Wrap(ApiContext& ctx, AuthedFn fn, bool admin_only) {
  return [&ctx, fn = std::move(fn), admin_only](Request request, Respond respond) {
    absl::StatusOr<Principal> who = Authenticate(ctx, request);
    if (!who.ok()) {
      Response r = ProblemResponse(who.status());
      r.SetHeader("WWW-Authenticate", "Bearer");
      respond(std::move(r));
      return;
    }
    if (admin_only && who->role != Role::kAdmin) {
      respond(ProblemResponse(Error(absl::StatusCode::kPermissionDenied, "admin_only",
                                    "only an admin of the team may do this")));
      return;
    }
    respond(fn(request, *who));
  };
}

}  // namespace

Handler Authed(ApiContext& ctx, AuthedFn fn) { return Wrap(ctx, std::move(fn), false); }
Handler AdminOnly(ApiContext& ctx, AuthedFn fn) { return Wrap(ctx, std::move(fn), true); }

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

Response ListError(const absl::Status& status) { return ProblemResponse(CursorError(status)); }

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
