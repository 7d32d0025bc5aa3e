// The one global Certn webhook (plugin/certn/webhook.h): deliveries, and the
// cases API's GET ?challenge= check of the endpoint. Public: a delivery is
// authenticated by its signature, not by a token.
#include "adapters/http/api/certn/certn_routes.h"
#include "adapters/http/api/route_support.h"
#include "core/errors.h"

namespace stagecheck::http {
namespace {

PublicRoute ReceiveDelivery, AnswerChallenge;
IoRoute ReceiveRememberedDelivery;

// clang-format off
constexpr Route kRoutes[] = {
    {"POST", certn_plugin::kWebhookPath, Access::kPublic, ReceiveDelivery,
     ReceiveRememberedDelivery},
    {"GET",  certn_plugin::kWebhookPath, Access::kPublic, AnswerChallenge},
};
// clang-format on

// The request as the receiver reads it; the body is moved out of `r`.
certn_plugin::WebhookRequest WebhookRequestOf(Request& r) {
  certn_plugin::WebhookRequest request;
  auto header = [&](const char* name) -> std::optional<std::string> {
    if (auto v = r.Header(name)) return std::string(*v);
    return std::nullopt;
  };
  request.certn_team_id = header("certn-team-id");
  request.certn_signature = header("certn-signature");
  request.x_signature = header("x-signature");
  request.remote_address = r.remote_address;
  request.body = std::move(r.body);
  return request;
}

std::function<void(certn_plugin::WebhookAnswer)> Answering(Respond respond) {
  return [respond = std::move(respond)](certn_plugin::WebhookAnswer answer) {
    if (answer.http_status >= 400) {
      respond(ProblemResponse(answer.http_status, answer.code, answer.detail));
      return;
    }
    JsonWriter w;
    w.StartObject().Field("status", "ok").Field("verdict", answer.code).EndObject();
    respond(Response::Json(answer.http_status, w.Take()));
  };
}

void ReceiveDelivery(ApiContext& ctx, Request r, Respond respond) {
  ctx.webhook.Receive(WebhookRequestOf(r), Answering(std::move(respond)));
}

// A delivery whose team, case and integration the receiver remembers is
// verified and handed to the group commit right on the io thread: one
// thread hop fewer per delivery (issue 21). The rest go to ReceiveDelivery.
bool ReceiveRememberedDelivery(ApiContext& ctx, Request& r, Respond& respond) {
  certn_plugin::WebhookRequest request = WebhookRequestOf(r);
  std::function<void(certn_plugin::WebhookAnswer)> done = Answering(respond);
  if (ctx.webhook.ReceiveWithoutBlocking(request, done)) return true;
  r.body = std::move(request.body);  // declined: the worker reads it again
  return false;
}

void AnswerChallenge(ApiContext&, Request r, Respond respond) {
  std::optional<std::string> challenge = r.QueryParam("challenge");
  if (!challenge || challenge->empty() || challenge->size() > 1024) {
    respond(ProblemResponse(Error(absl::StatusCode::kInvalidArgument, "missing_challenge",
                                  "GET expects ?challenge=<value>")));
    return;
  }
  Response resp = Response::Text(200, *challenge);
  resp.SetHeader("Content-Type", "text/plain; charset=utf-8");
  resp.SetHeader("X-Content-Type-Options", "nosniff");
  respond(std::move(resp));
}

}  // namespace

std::span<const Route> CertnWebhookRoutes() { return kRoutes; }

}  // namespace stagecheck::http
