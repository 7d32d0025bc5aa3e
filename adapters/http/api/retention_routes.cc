// Retention and erasure (issue 19; docs/operations.md, "Retention and
// erasure"): a team's retention settings, and erasing a candidate.
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute GetRetention, UpdateRetention, EraseCandidate;

// clang-format off
constexpr Route kRoutes[] = {
    {"GET",    "/api/v1/team/retention",            Access::kAdmin, GetRetention},
    {"PATCH",  "/api/v1/team/retention",            Access::kAdmin, UpdateRetention},
    {"DELETE", "/api/v1/candidates/{candidate_id}", Access::kAdmin, EraseCandidate},
};
// clang-format on

void WriteRetention(JsonWriter& w, const RetentionSettings& s) {
  w.StartObject()
      .Field("report_days", s.report_days)
      .Field("delivery_body_days", s.delivery_body_days)
      .Field("unverified_metadata_days", s.unverified_metadata_days)
      .Key("updated_at");
  if (s.updated_at)
    w.String(Rfc3339(*s.updated_at));
  else
    w.Null();
  w.EndObject();
}

std::optional<int> DaysOf(const JsonBody& body, const char* field) {
  std::optional<int64_t> v = body.Int(field);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);  // the schema bounds it
}

absl::StatusOr<Response> GetRetention(ApiContext& ctx, const Request&, const Principal& who) {
  ASSIGN_OR_RETURN(RetentionSettings s, ctx.retention.Get(who.team));
  return JsonOf(200, s, WriteRetention);
}

absl::StatusOr<Response> UpdateRetention(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "RetentionSettings"));
  RetentionPatch patch{.report_days = DaysOf(body, "report_days"),
                       .delivery_body_days = DaysOf(body, "delivery_body_days"),
                       .unverified_metadata_days = DaysOf(body, "unverified_metadata_days")};
  ASSIGN_OR_RETURN(RetentionSettings s, ctx.retention.Update(who, patch));
  return JsonOf(200, s, WriteRetention);
}

absl::StatusOr<Response> EraseCandidate(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(ErasureResult erased,
                   ctx.retention.Erase(who, CandidateId(Param(r, "candidate_id"))));
  JsonWriter w;
  w.StartObject()
      .Field("candidate_id", erased.candidate.value())
      .Field("erased", true)
      .Field("erased_at", Rfc3339(erased.erased_at))
      .EndObject();
  return Response::Json(200, w.Take());
}

}  // namespace

std::span<const Route> RetentionRoutes() { return kRoutes; }

}  // namespace stagecheck::http
