// Domain objects → JSON response bodies. One function per resource, so every
// route shows a resource the same way (and the OpenAPI schemas match one place).
#pragma once

#include <string>

#include "adapters/http/json_writer.h"
#include "core/services/applications.h"
#include "core/services/plans.h"
#include "plugin/certn/checks.h"
#include "plugin/certn/integrations.h"
#include "plugin/certn/refused_deliveries.h"

namespace stagecheck::http {

std::string Rfc3339(absl::Time t);

void WriteJob(JsonWriter& w, const Job& job);
void WritePlan(JsonWriter& w, const InterviewPlan& plan);
void WriteStage(JsonWriter& w, const Stage& stage);
void WriteActivity(JsonWriter& w, const Activity& activity);
void WriteCandidate(JsonWriter& w, const Candidate& candidate);
void WriteFile(JsonWriter& w, const CandidateFile& file);
void WriteDelivery(JsonWriter& w, const WebhookDelivery& d);
void WriteRefusedSummary(JsonWriter& w, const certn_plugin::RefusedSummary& s);
void WriteApplication(JsonWriter& w, const Application& application);
// A row of the pipeline overview (GET /api/v1/applications).
void WriteApplicationSummary(JsonWriter& w, const ApplicationSummary& summary);
void WriteApplicationTab(JsonWriter& w, const ApplicationTab& tab);
void WriteCheck(JsonWriter& w, const BackgroundCheck& check);
void WriteFeedEvent(JsonWriter& w, const FeedEvent& event);
// With the display name of the user the actor names ("user:<id>"), or null.
void WriteFeedEvent(JsonWriter& w, const FeedEvent& event, const std::string* actor_name);
void WriteUser(JsonWriter& w, const User& user);
// A token as listed (never its hash); WriteIssuedToken adds the clear token.
void WriteToken(JsonWriter& w, const ApiToken& token);
void WriteIssuedToken(JsonWriter& w, const ApiToken& token, const std::string& clear);
void WriteIntegration(JsonWriter& w, const certn_plugin::IntegrationView& view);
void WritePackage(JsonWriter& w, const CertnPackage& package);
void WriteReport(JsonWriter& w, const certn_plugin::InlineReport& report);

// "ADVERSE_MEDIA_1" → "Adverse Media".
std::string CheckTypeLabel(std::string_view check_type);

}  // namespace stagecheck::http
