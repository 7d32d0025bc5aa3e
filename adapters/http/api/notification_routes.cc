// Notifications for people (issue 20, item 4): a signed-in user's own
// notifications (newest first, unread count, mark read) and the watch a user
// keeps on an application to be told about its checks. Any member reads
// their own (nobody reaches another user's: 404); watching needs the right
// to see results (kResults), since a notification says the result in words
// (and one read by a role without results, after a demotion or through a
// narrowed token, leaves the result out: ShowTo).
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "adapters/http/api/visibility.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute ListNotifications, UnreadCount, MarkRead, MarkAllRead, GetWatch, Watch, Unwatch;

// clang-format off
constexpr Route kRoutes[] = {
    {"GET",    "/api/v1/notifications",                        Access::kTeamMember, ListNotifications},
    {"GET",    "/api/v1/notifications/unread-count",           Access::kTeamMember, UnreadCount},
    {"POST",   "/api/v1/notifications/read-all",               Access::kTeamMember, MarkAllRead},
    {"POST",   "/api/v1/notifications/{notification_id}/read", Access::kTeamMember, MarkRead},
    {"GET",    "/api/v1/applications/{application_id}/watch",  Access::kResults,    GetWatch},
    {"POST",   "/api/v1/applications/{application_id}/watch",  Access::kResults,    Watch},
    {"DELETE", "/api/v1/applications/{application_id}/watch",  Access::kResults,    Unwatch},
};
// clang-format on

template <typename IdT>
void IdOrNull(JsonWriter& w, std::string_view key, const std::optional<IdT>& id) {
  w.Key(key);
  id ? w.String(id->value()) : w.Null();
}

void WriteNotification(JsonWriter& w, const Notification& n) {
  w.StartObject()
      .Field("id", n.id.value())
      .Field("kind", NotificationKindName(n.kind))
      .Field("text", n.text);
  IdOrNull(w, "check_id", n.check);
  IdOrNull(w, "candidate_id", n.candidate);
  IdOrNull(w, "application_id", n.application);
  IdOrNull(w, "endpoint_id", n.endpoint);
  w.Field("read", n.read_at.has_value());
  w.Key("read_at");
  n.read_at ? w.String(Rfc3339(*n.read_at)) : w.Null();
  w.Field("created_at", Rfc3339(n.created_at)).EndObject();
}

Response CountOf(std::string_view key, int64_t n) {
  JsonWriter w;
  w.StartObject().Field(key, n).EndObject();
  return Response::Json(200, w.Take());
}

Response WatchingOf(bool watching) {
  JsonWriter w;
  w.StartObject().Field("watching", watching).EndObject();
  return Response::Json(200, w.Take());
}

ApplicationId ApplicationOf(const Request& r) { return ApplicationId(Param(r, "application_id")); }

absl::StatusOr<Response> ListNotifications(ApiContext& ctx, const Request& r,
                                           const Principal& who) {
  ASSIGN_OR_RETURN(PageRequest page, PageOf(r));
  absl::StatusOr<Page<Notification>> list = ctx.notifications.List(who, page);
  if (list.ok()) {
    for (Notification& n : list->items) ShowTo(who.role, n);
  }
  return PageResponse(list, WriteNotification);
}

absl::StatusOr<Response> UnreadCount(ApiContext& ctx, const Request&, const Principal& who) {
  ASSIGN_OR_RETURN(int64_t n, ctx.notifications.UnreadCount(who));
  return CountOf("unread", n);
}

absl::StatusOr<Response> MarkRead(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(Notification n,
                   ctx.notifications.MarkRead(who, NotificationId(Param(r, "notification_id"))));
  ShowTo(who.role, n);
  return JsonOf(200, n, WriteNotification);
}

absl::StatusOr<Response> MarkAllRead(ApiContext& ctx, const Request&, const Principal& who) {
  ASSIGN_OR_RETURN(int64_t n, ctx.notifications.MarkAllRead(who));
  return CountOf("marked", n);
}

absl::StatusOr<Response> GetWatch(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(bool watching, ctx.notifications.Watching(who, ApplicationOf(r)));
  return WatchingOf(watching);
}

absl::StatusOr<Response> Watch(ApiContext& ctx, const Request& r, const Principal& who) {
  RETURN_IF_ERROR(ctx.notifications.Watch(who, ApplicationOf(r)));
  return WatchingOf(true);
}

absl::StatusOr<Response> Unwatch(ApiContext& ctx, const Request& r, const Principal& who) {
  RETURN_IF_ERROR(ctx.notifications.Unwatch(who, ApplicationOf(r)));
  return WatchingOf(false);
}

}  // namespace

std::span<const Route> NotificationRoutes() { return kRoutes; }

}  // namespace stagecheck::http
