// The check's later life (docs/openapi.yaml): bulk send of many
// applications at once and its progress; the turnaround report.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "core/errors.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute CreateBulkSend, GetBulkSend, GetTurnaround;

// clang-format off
constexpr Route kRoutes[] = {
    {"POST", "/api/v1/bulk-sends",                Access::kRecruit, CreateBulkSend},
    {"GET",  "/api/v1/bulk-sends/{bulk_send_id}", Access::kTeamMember, GetBulkSend},
    {"GET",  "/api/v1/reports/turnaround",        Access::kTeamMember, GetTurnaround},
};
// clang-format on

void NullOr(JsonWriter& w, std::string_view key, const std::optional<std::string>& v) {
  w.Key(key);
  if (v)
    w.String(*v);
  else
    w.Null();
}

// {"id", "status": running|done, "counts": {...}, "items": [...]}: every
// entry with its state, so a poll shows the whole progress at once.
void WriteBulkSend(JsonWriter& w, const BulkSend& bulk) {
  int64_t counts[4] = {0, 0, 0, 0};
  std::vector<BulkEntryProgress> progress;
  for (const BulkSendEntry& e : bulk.entries) {
    progress.push_back(ProgressOf(e));
    ++counts[static_cast<int>(progress.back().state)];
  }
  w.StartObject().Field("id", bulk.id.value()).Field("status", bulk.Done() ? "done" : "running");
  w.Field("requested_by", bulk.requested_by.value());
  NullOr(w, "package_id", bulk.package_id);
  w.Field("created_at", Rfc3339(bulk.created_at));
  w.Field("total", static_cast<int64_t>(bulk.entries.size()));
  w.Key("counts").StartObject();
  for (BulkEntryState s : {BulkEntryState::kQueued, BulkEntryState::kSent, BulkEntryState::kSkipped,
                           BulkEntryState::kFailed}) {
    w.Field(StateName(s), counts[static_cast<int>(s)]);
  }
  w.EndObject().Key("items").StartArray();
  for (size_t i = 0; i < bulk.entries.size(); ++i) {
    const BulkSendEntry& e = bulk.entries[i];
    w.StartObject().Field("application_id", e.application.value());
    w.Field("candidate_name", e.candidate_name);
    w.Field("state", StateName(progress[i].state));
    NullOr(w, "reason",
           progress[i].reason.empty() ? std::nullopt : std::optional(progress[i].reason));
    NullOr(w, "check_id", e.check ? std::optional(e.check->value()) : std::nullopt);
    w.EndObject();
  }
  w.EndArray().EndObject();
}

absl::StatusOr<BulkSelection> SelectionOf(const JsonBody& body) {
  BulkSelection selection;
  for (const std::string& id : body.Strings("application_ids").value_or(std::vector<std::string>{}))
    selection.applications.emplace_back(id);
  if (std::optional<std::string> job = body.String("job_id")) selection.job = JobId(*job);
  if (std::optional<std::string> stage = body.String("stage_id")) selection.stage = StageId(*stage);
  selection.package_id = body.String("package_id");
  return selection;
}

absl::StatusOr<Response> CreateBulkSend(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "CreateBulkSend"));
  ASSIGN_OR_RETURN(std::optional<IdempotencyKey> key, IdempotencyKeyOf(r, ctx.crypto));
  ASSIGN_OR_RETURN(BulkSelection selection, SelectionOf(body));
  ASSIGN_OR_RETURN(auto created, ctx.bulk_sends.Create(who, selection, key));
  ASSIGN_OR_RETURN(BulkSend bulk, ctx.bulk_sends.Get(who, created.id));
  Response resp = JsonOf(202, bulk, WriteBulkSend);
  resp.SetHeader("Location", "/api/v1/bulk-sends/" + created.id.value());
  if (created.replayed) resp.SetHeader("Idempotent-Replayed", "true");
  return resp;
}

absl::StatusOr<Response> GetBulkSend(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(BulkSend bulk, ctx.bulk_sends.Get(who, BulkSendId(Param(r, "bulk_send_id"))));
  return JsonOf(200, bulk, WriteBulkSend);
}

void WriteTurnaround(JsonWriter& w, const TurnaroundReport& report) {
  w.StartObject().Field("days", report.days).Field("since", Rfc3339(report.since));
  w.Key("packages").StartArray();
  for (const PackageTurnaround& p : report.packages) {
    w.StartObject().Field("package_id", p.package_id).Field("package_name", p.package_name);
    w.Field("count", p.stats.count);
    w.Field("median_seconds", absl::ToInt64Seconds(p.stats.median));
    w.Field("p90_seconds", absl::ToInt64Seconds(p.stats.p90));
    w.Field("needs_review_share", p.stats.needs_review_share).EndObject();
  }
  w.EndArray().EndObject();
}

absl::StatusOr<int> DaysParam(const Request& r) {
  std::optional<std::string> v = r.QueryParam("days");
  if (!v) return kDefaultReportDays;
  int days = 0;
  if (!absl::SimpleAtoi(*v, &days) || days < 1 || days > kMaxReportDays) {
    return InvalidQueryParam(
        "days", absl::StrCat("must be a whole number from 1 to ", kMaxReportDays, "."));
  }
  return days;
}

absl::StatusOr<Response> GetTurnaround(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(int days, DaysParam(r));
  ASSIGN_OR_RETURN(TurnaroundReport report, ctx.lifecycle.Report(who, days));
  return JsonOf(200, report, WriteTurnaround);
}

}  // namespace

std::span<const Route> LifecycleRoutes() { return kRoutes; }

}  // namespace stagecheck::http
