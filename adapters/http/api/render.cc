#include "adapters/http/api/render.h"

#include <cctype>

#include "absl/time/time.h"
#include "core/strings.h"
#include "plugin/certn/domain/status_labels.h"
#include "plugin/certn/ports/certn_gateway.h"

namespace stagecheck::http {
namespace {

void OptionalString(JsonWriter& w, std::string_view key, const std::optional<std::string>& value) {
  w.Key(key);
  if (value)
    w.String(*value);
  else
    w.Null();
}

void OptionalTime(JsonWriter& w, std::string_view key, const std::optional<absl::Time>& value) {
  w.Key(key);
  if (value)
    w.String(Rfc3339(*value));
  else
    w.Null();
}

// An optional id (CheckId, FileId, ...) as its value or null.
template <typename Id>
void OptionalId(JsonWriter& w, std::string_view key, const std::optional<Id>& id) {
  w.Key(key);
  if (id)
    w.String(id->value());
  else
    w.Null();
}

void WriteCheckResults(JsonWriter& w, const std::vector<CheckResult>& results) {
  w.Key("results").StartArray();
  for (const CheckResult& r : results) {
    w.StartObject();
    w.Field("check_type", r.check_type)
        .Field("label", CheckTypeLabel(r.check_type))
        .Field("status", r.status);
    OptionalString(w, "result", r.result);
    OptionalTime(w, "completed_at", r.completed);
    w.EndObject();
  }
  w.EndArray();
}

void WriteCheckHistory(JsonWriter& w, const std::vector<StatusTransition>& history) {
  w.Key("history").StartArray();
  for (const StatusTransition& t : history) {
    w.StartObject();
    w.Field("from", StatusName(t.from)).Field("to", StatusName(t.to)).Field("at", Rfc3339(t.at));
    w.Field("source", t.source);
    if (!t.reason.empty()) w.Field("reason", t.reason);
    w.EndObject();
  }
  w.EndArray();
}

void Strings(JsonWriter& w, std::string_view key, const std::vector<std::string>& values) {
  w.Key(key).StartArray();
  for (const std::string& v : values) w.String(v);
  w.EndArray();
}

void WriteLabels(JsonWriter& w, CheckStatus status, const std::string& error_reason,
                 const std::optional<std::string>& overall_score) {
  StatusLabels labels = LabelsFor(status, error_reason, overall_score.value_or(""));
  w.Key("labels").StartObject();
  w.Field("gem", labels.gem).Field("lever_tag", labels.lever_tag).Field("kula", labels.kula);
  w.EndObject();
}

// Why a queued check waits, in words a recruiter reads, or null.
void WriteWaiting(JsonWriter& w, const BackgroundCheck& c) {
  w.Key("waiting");
  if (c.waiting_reason.empty() || !c.waiting_until) {
    w.Null();
    return;
  }
  w.StartObject();
  w.Field("reason", c.waiting_reason);
  w.Field("message", c.waiting_reason == kDailyLimitCode
                         ? "Certn's daily limit is reached; sending resumes at 00:00 UTC."
                         : "Waiting for Certn; it is sent by itself once the wait is over.");
  w.Field("until", Rfc3339(*c.waiting_until));
  w.EndObject();
}

// When an open check should be done (Certn's estimate, or the projection
// from the team's completed checks of its package) and whether it is late;
// null for a check that has ended.
void WriteExpectedCompletion(JsonWriter& w, const BackgroundCheck& c) {
  const std::optional<ExpectedCompletion>& e = c.expected_completion;
  w.Field("delayed", e.has_value() && e->delayed);
  w.Key("expected_completion");
  if (!e) {
    w.Null();
    return;
  }
  using Source = ExpectedCompletion::Source;
  w.StartObject().Field("source", e->source == Source::kVendor       ? "certn"
                                  : e->source == Source::kProjection ? "projection"
                                                                     : "none");
  OptionalTime(w, "at", e->at);
  OptionalTime(w, "late_at", e->late_at);
  w.Field("based_on", e->based_on);
  w.Field("median_seconds", absl::ToInt64Seconds(e->median));
  w.Field("p90_seconds", absl::ToInt64Seconds(e->p90));
  w.Field("delayed", e->delayed).EndObject();
}

// What the activity's result rule did once the check completed, or null.
void WriteResultRule(JsonWriter& w, const BackgroundCheck& c) {
  w.Key("result_rule");
  if (!c.result_rule) {
    w.Null();
    return;
  }
  const ResultRuleRun& r = *c.result_rule;
  w.StartObject().Field("activity_id", r.activity.value()).Field("action", r.action);
  w.Key("stage_id");
  if (r.stage)
    w.String(r.stage->value());
  else
    w.Null();
  w.Field("detail", r.detail).Field("at", Rfc3339(r.at)).EndObject();
}

// Who asked to cancel the check, when and why, or null; `pending` until
// Certn confirms.
void WriteCancellation(JsonWriter& w, const BackgroundCheck& c) {
  w.Key("cancellation");
  if (!c.cancel_requested_at) {
    w.Null();
    return;
  }
  w.StartObject();
  w.Field("requested_at", Rfc3339(*c.cancel_requested_at));
  w.Key("requested_by");
  if (c.cancel_requested_by)
    w.String(c.cancel_requested_by->value());
  else
    w.Null();
  w.Key("reason");
  if (c.cancel_reason.empty())
    w.Null();
  else
    w.String(c.cancel_reason);
  w.Field("pending", IsActive(c.status));
  w.EndObject();
}

}  // namespace

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string CheckTypeLabel(std::string_view type) {
  size_t last = type.rfind('_');
  if (last != std::string_view::npos && last + 1 < type.size()) {
    bool digits = true;
    for (char c : type.substr(last + 1)) digits &= std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (digits) type = type.substr(0, last);
  }
  std::string out;
  bool start = true;
  for (char c : type) {
    if (c == '_') {
      out.push_back(' ');
      start = true;
      continue;
    }
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(static_cast<char>(start ? std::toupper(u) : std::tolower(u)));
    start = false;
  }
  return out;
}

void WriteJob(JsonWriter& w, const Job& job) {
  w.StartObject();
  w.Field("id", job.id.value()).Field("title", job.title);
  OptionalString(w, "default_package_id", job.default_package_id);
  Strings(w, "tags", job.tags);
  w.Field("created_at", Rfc3339(job.created_at));
  w.EndObject();
}

void WriteActivity(JsonWriter& w, const Activity& activity) {
  w.StartObject();
  w.Field("id", activity.id.value()).Field("kind", activity.kind);
  w.Key("settings").StartObject();
  for (const auto& [key, value] : activity.settings.values()) {
    w.Key(key);
    if (const bool* b = std::get_if<bool>(&value))
      w.Bool(*b);
    else if (const int64_t* i = std::get_if<int64_t>(&value))
      w.Int(*i);
    else
      w.String(std::get<std::string>(value));
  }
  w.EndObject();
  w.EndObject();
}

void WriteStage(JsonWriter& w, const Stage& stage) {
  w.StartObject();
  w.Field("id", stage.id.value()).Field("name", stage.name);
  w.Key("activities").StartArray();
  for (const Activity& a : stage.activities) WriteActivity(w, a);
  w.EndArray();
  w.EndObject();
}

void WritePlan(JsonWriter& w, const InterviewPlan& plan) {
  w.StartObject();
  w.Field("job_id", plan.job().value()).Field("version", plan.version());
  w.Key("stages").StartArray();
  for (const Stage& s : plan.stages()) WriteStage(w, s);
  w.EndArray();
  w.EndObject();
}

void WriteCandidate(JsonWriter& w, const Candidate& c) {
  w.StartObject();
  w.Field("id", c.id.value()).Field("first_name", c.first_name).Field("last_name", c.last_name);
  OptionalString(w, "email", c.email);
  OptionalString(w, "phone", c.phone);
  // The recruiter's tags and, apart, the ones integrations keep current.
  Strings(w, "tags", c.RecruiterTags());
  Strings(w, "system_tags", c.SystemTags());
  w.Field("created_at", Rfc3339(c.created_at)).Field("updated_at", Rfc3339(c.updated_at));
  w.EndObject();
}

void WriteFile(JsonWriter& w, const CandidateFile& f) {
  w.StartObject();
  w.Field("id", f.id.value()).Field("name", f.name).Field("content_type", f.content_type);
  w.Field("size", f.size).Field("sha256", f.sha256_hex).Field("created_at", Rfc3339(f.created_at));
  w.Field("download_url", "/api/v1/candidates/" + f.candidate.value() + "/files/" + f.id.value());
  w.EndObject();
}

// The team's deliveries this replica refused in the last hour: counts only,
// never a body, a header or a sender's address.
void WriteRefusedSummary(JsonWriter& w, const certn_plugin::RefusedSummary& s) {
  w.StartObject();
  w.Field("window_seconds", absl::ToInt64Seconds(s.window));
  w.Field("failed_signature", s.failed_signature).Field("refused", s.refused);
  OptionalTime(w, "last_failed_at", s.last_failed_at);
  w.Field("scope", "replica");
  w.EndObject();
}

// A delivery as an admin sees it: what arrived and what Stagecheck did with
// it. Never its body or its headers (signatures, Certn's team id).
void WriteDelivery(JsonWriter& w, const WebhookDelivery& d) {
  w.StartObject();
  w.Field("delivery_id", d.delivery_id).Field("received_at", Rfc3339(d.received_at));
  w.Field("event_type", d.event_type)
      .Field("case_id", d.object_id)
      .Field("verdict", VerdictName(d.verdict));
  w.Field("scheme", d.scheme);
  w.Key("check_id");
  if (d.check)
    w.String(d.check->value());
  else
    w.Null();
  w.EndObject();
}

namespace {

void WriteApplicationFields(JsonWriter& w, const Application& a) {
  w.Field("id", a.id.value())
      .Field("candidate_id", a.candidate.value())
      .Field("job_id", a.job.value());
  w.Key("stage_id");
  if (a.stage)
    w.String(a.stage->value());
  else
    w.Null();
  w.Field("status", ApplicationStatusName(a.status));
  w.Field("created_at", Rfc3339(a.created_at)).Field("updated_at", Rfc3339(a.updated_at));
}

void WriteCheckSummary(JsonWriter& w, const CheckSummary& k) {
  w.StartObject().Field("id", k.id.value()).Field("status", StatusName(k.status));
  WriteLabels(w, k.status, k.error_reason, k.overall_score);
  w.Key("error_reason");
  if (k.error_reason.empty())
    w.Null();
  else
    w.String(k.error_reason);
  OptionalString(w, "overall_score", k.overall_score);
  w.Field("package_name", k.package_name);
  w.Field("sent_at", Rfc3339(k.sent_at)).Field("updated_at", Rfc3339(k.updated_at));
  w.EndObject();
}

}  // namespace

void WriteApplication(JsonWriter& w, const Application& a) {
  w.StartObject();
  WriteApplicationFields(w, a);
  w.EndObject();
}

void WriteApplicationSummary(JsonWriter& w, const ApplicationSummary& s) {
  w.StartObject();
  WriteApplicationFields(w, s.application);
  w.Key("candidate").StartObject().Field("name", s.candidate_name);
  OptionalString(w, "email", s.candidate_email);
  w.EndObject();
  w.Field("job_title", s.job_title);
  OptionalString(w, "stage_name", s.stage_name);
  w.Key("latest_check");
  if (s.latest_check)
    WriteCheckSummary(w, *s.latest_check);
  else
    w.Null();
  w.Field("last_activity_at", Rfc3339(s.last_activity_at));
  w.EndObject();
}

void WriteCheck(JsonWriter& w, const BackgroundCheck& c) {
  w.StartObject();
  w.Field("id", c.id.value()).Field("candidate_id", c.candidate.value());
  OptionalId(w, "application_id", c.application);
  OptionalId(w, "activity_id", c.activity);
  w.Field("package_id", c.package_id).Field("package_name", c.package_name);
  w.Field("trigger", TriggerName(c.trigger)).Field("requested_by", c.requested_by.value());
  w.Field("status", StatusName(c.status));
  WriteLabels(w, c.status, c.error_reason, c.overall_score);
  w.Key("error_reason");
  if (c.error_reason.empty())
    w.Null();
  else
    w.String(c.error_reason);
  OptionalString(w, "certn_case_id", c.external_id);
  OptionalString(w, "certn_short_id", c.external_short_id);
  w.Field("certn_status", c.external_status);
  OptionalString(w, "overall_score", c.overall_score);
  OptionalString(w, "results_url", c.results_url);
  OptionalId(w, "report_file_id", c.report_saved_as);
  WriteWaiting(w, c);
  WriteCancellation(w, c);
  WriteExpectedCompletion(w, c);
  WriteResultRule(w, c);
  OptionalId(w, "reordered_from", c.reordered_from);
  WriteCheckResults(w, c.results);
  WriteCheckHistory(w, c.history);
  w.Field("created_at", Rfc3339(c.created_at));
  OptionalTime(w, "ordered_at", c.ordered_at);
  OptionalTime(w, "completed_at", c.completed_at);
  w.Field("updated_at", Rfc3339(c.updated_at));
  w.EndObject();
}

void WriteApplicationTab(JsonWriter& w, const ApplicationTab& tab) {
  const Application& a = tab.application;
  w.StartObject();
  w.Field("id", a.id.value()).Field("status", ApplicationStatusName(a.status));
  w.Key("stage_id");
  if (a.stage)
    w.String(a.stage->value());
  else
    w.Null();
  w.Key("candidate");
  WriteCandidate(w, tab.candidate);
  w.Key("job");
  WriteJob(w, tab.job);
  w.Key("stages").StartArray();
  for (const StageView& sv : tab.stages) {
    w.StartObject();
    w.Field("id", sv.stage.id.value()).Field("name", sv.stage.name).Field("current", sv.current);
    w.Key("activities").StartArray();
    for (const ActivityView& av : sv.activities) {
      w.StartObject();
      w.Field("id", av.activity.id.value()).Field("kind", av.activity.kind);
      w.Key("activity");
      WriteActivity(w, av.activity);
      w.Key("background_check");
      if (av.checks.empty())
        w.Null();
      else
        WriteCheck(w, av.checks.front());
      w.Key("earlier_checks").StartArray();
      for (size_t i = 1; i < av.checks.size(); ++i) WriteCheck(w, av.checks[i]);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("other_checks").StartArray();
  for (const BackgroundCheck& c : tab.other_checks) WriteCheck(w, c);
  w.EndArray();
  w.Field("created_at", Rfc3339(a.created_at)).Field("updated_at", Rfc3339(a.updated_at));
  w.EndObject();
}

void WriteFeedEvent(JsonWriter& w, const FeedEvent& e) { WriteFeedEvent(w, e, nullptr); }

void WriteFeedEvent(JsonWriter& w, const FeedEvent& e, const std::string* actor_name) {
  w.StartObject();
  w.Field("id", e.id.value())
      .Field("type", e.type)
      .Field("actor", e.actor)
      .Field("message", e.message);
  w.Key("actor_name");
  if (actor_name)
    w.String(*actor_name);
  else
    w.Null();
  w.Field("at", Rfc3339(e.at));
  w.Key("application_id");
  if (e.application)
    w.String(e.application->value());
  else
    w.Null();
  w.Key("check_id");
  if (e.check)
    w.String(e.check->value());
  else
    w.Null();
  w.EndObject();
}

void WriteIntegration(JsonWriter& w, const certn_plugin::IntegrationView& v) {
  w.StartObject();
  w.Field("status", ConnectionStatusName(v.status));
  w.Field("connected", v.status == ConnectionStatus::kConnected);
  w.Field("status_reason", v.status_reason);
  w.Field("region", RegionName(v.region));
  w.Field("api_key", v.masked_api_key);
  w.Field("webhook_url", v.webhook_url);
  OptionalString(w, "certn_team_id", v.certn_team_id);
  OptionalTime(w, "verified_at", v.verified_at);
  OptionalTime(w, "last_delivery_at", v.last_delivery_at);
  OptionalTime(w, "previous_secret_valid_until", v.previous_secret_valid_until);
  w.Field("requests_per_minute", v.requests_per_minute);
  w.Field("requests_per_day", v.requests_per_day);
  w.EndObject();
}

void WritePackage(JsonWriter& w, const CertnPackage& p) {
  w.StartObject();
  w.Field("id", p.id).Field("name", p.name);
  w.Key("check_types").StartArray();
  for (const std::string& t : p.check_types) w.String(t);
  w.EndArray();
  w.EndObject();
}

void WriteReport(JsonWriter& w, const certn_plugin::InlineReport& r) {
  const BackgroundCheck& c = r.check;
  w.StartObject();
  w.Field("check_id", c.id.value());
  w.Key("candidate").StartObject();
  w.Field("first_name", r.candidate.first_name).Field("last_name", r.candidate.last_name);
  OptionalString(w, "email", r.candidate.email);
  OptionalString(w, "phone", r.candidate.phone);
  w.EndObject();
  OptionalString(w, "case_id", c.external_short_id);
  OptionalString(w, "certn_case_id", c.external_id);
  w.Field("package_id", c.package_id).Field("package_name", c.package_name);
  OptionalTime(w, "date_ordered", c.ordered_at);
  OptionalTime(w, "date_completed", c.completed_at);
  w.Field("status", StatusName(c.status));
  OptionalString(w, "overall_score", c.overall_score);
  OptionalString(w, "results_url", c.results_url);
  w.Key("report_file_id");
  if (c.report_saved_as)
    w.String(c.report_saved_as->value());
  else
    w.Null();
  w.Key("checks").StartArray();
  for (const CheckResult& res : c.results) {
    w.StartObject();
    w.Field("check_type", res.check_type).Field("label", CheckTypeLabel(res.check_type));
    w.Field("status", res.status);
    OptionalString(w, "result", res.result);
    OptionalTime(w, "completed_at", res.completed);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteUser(JsonWriter& w, const User& u) {
  w.StartObject().Field("id", u.id.value()).Field("name", u.name);
  OptionalString(w, "email", u.email);
  w.Field("role", RoleName(u.role)).Field("active", !u.deactivated_at.has_value());
  w.Field("created_at", Rfc3339(u.created_at));
  OptionalTime(w, "deactivated_at", u.deactivated_at);
  w.EndObject();
}

namespace {

// A token as listed: never its hash, never the clear token.
void WriteTokenFields(JsonWriter& w, const ApiToken& t) {
  w.Field("id", t.id.value()).Field("name", t.name).Field("created_at", Rfc3339(t.created_at));
  OptionalTime(w, "expires_at", t.expires_at);
  OptionalTime(w, "last_used_at", t.last_used_at);
  OptionalTime(w, "revoked_at", t.revoked_at);
}

}  // namespace

void WriteToken(JsonWriter& w, const ApiToken& t) {
  w.StartObject();
  WriteTokenFields(w, t);
  w.EndObject();
}

void WriteIssuedToken(JsonWriter& w, const ApiToken& t, const std::string& clear) {
  w.StartObject();
  WriteTokenFields(w, t);
  w.Field("token", clear);
  w.EndObject();
}

}  // namespace stagecheck::http
