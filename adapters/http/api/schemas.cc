// Request schemas, shared with docs/openapi.yaml (tests/contract checks that
// the two agree). Keep to: type, properties, required, enum, minLength,
// maxLength, pattern, minimum, maximum, items, maxItems, additionalProperties.
#include "adapters/http/api/json_body.h"

#include <string_view>
#include <utility>

namespace stagecheck::http {
namespace {

constexpr std::pair<std::string_view, std::string_view> kSchemas[] = {
    {"ConnectCertn", R"({"type":"object","additionalProperties":false,
        "properties":{
          "api_key":{"type":"string","minLength":8,"maxLength":512},
          "region":{"type":"string","enum":["north_america","uk_emea","apac","sandbox"]},
          "environment":{"type":"string","enum":["production","sandbox"]},
          "webhook_secret":{"type":"string","minLength":16,"maxLength":512},
          "requests_per_minute":{"type":"integer","minimum":1,"maximum":6000},
          "requests_per_day":{"type":"integer","minimum":1,"maximum":10000000}}})"},
    {"RotateWebhookSecret", R"({"type":"object","additionalProperties":false,
        "required":["webhook_secret"],
        "properties":{"webhook_secret":{"type":"string","minLength":16,"maxLength":512}}})"},
    {"TeamSettings", R"({"type":"object","additionalProperties":false,
        "properties":{"default_package_id":{"type":["string","null"],"minLength":1,"maxLength":200}}})"},
    {"RetentionSettings", R"({"type":"object","additionalProperties":false,
        "properties":{
          "report_days":{"type":"integer","minimum":1,"maximum":3650},
          "delivery_body_days":{"type":"integer","minimum":1,"maximum":3650},
          "unverified_metadata_days":{"type":"integer","minimum":1,"maximum":3650}}})"},
    {"CreateJob", R"({"type":"object","additionalProperties":false,"required":["title"],
        "properties":{
          "title":{"type":"string","minLength":1,"maxLength":200},
          "default_package_id":{"type":["string","null"],"minLength":1,"maxLength":200},
          "tags":{"type":"array","maxItems":50,"items":{"type":"string","minLength":1,"maxLength":100}}}})"},
    {"UpdateJob", R"({"type":"object","additionalProperties":false,
        "properties":{
          "title":{"type":"string","minLength":1,"maxLength":200},
          "default_package_id":{"type":["string","null"],"minLength":1,"maxLength":200},
          "tags":{"type":"array","maxItems":50,"items":{"type":"string","minLength":1,"maxLength":100}}}})"},
    {"AddStage", R"({"type":"object","additionalProperties":false,"required":["name"],
        "properties":{
          "name":{"type":"string","minLength":1,"maxLength":200},
          "position":{"type":"integer","minimum":0,"maximum":1000}}})"},
    {"UpdateStage", R"({"type":"object","additionalProperties":false,
        "properties":{
          "name":{"type":"string","minLength":1,"maxLength":200},
          "position":{"type":"integer","minimum":0,"maximum":1000}}})"},
    {"AddActivity", R"({"type":"object","additionalProperties":false,"required":["kind"],
        "properties":{
          "kind":{"type":"string","minLength":1,"maxLength":100},
          "settings":{"type":"object"}}})"},
    {"UpdateActivity", R"({"type":"object","additionalProperties":false,"required":["settings"],
        "properties":{"settings":{"type":"object"}}})"},
    {"CreateCandidate", R"({"type":"object","additionalProperties":false,
        "required":["first_name","last_name"],
        "properties":{
          "first_name":{"type":"string","minLength":1,"maxLength":100},
          "last_name":{"type":"string","minLength":1,"maxLength":100},
          "email":{"type":["string","null"],"maxLength":254},
          "phone":{"type":["string","null"],"maxLength":40},
          "tags":{"type":"array","maxItems":50,"items":{"type":"string","minLength":1,"maxLength":100}}}})"},
    {"UpdateCandidate", R"({"type":"object","additionalProperties":false,
        "properties":{
          "first_name":{"type":"string","minLength":1,"maxLength":100},
          "last_name":{"type":"string","minLength":1,"maxLength":100},
          "email":{"type":["string","null"],"maxLength":254},
          "phone":{"type":["string","null"],"maxLength":40},
          "tags":{"type":"array","maxItems":50,"items":{"type":"string","minLength":1,"maxLength":100}}}})"},
    {"CreateApplication", R"({"type":"object","additionalProperties":false,
        "required":["candidate_id","job_id"],
        "properties":{
          "candidate_id":{"type":"string","minLength":1,"maxLength":100},
          "job_id":{"type":"string","minLength":1,"maxLength":100}}})"},
    {"MoveApplication", R"({"type":"object","additionalProperties":false,"required":["stage_id"],
        "properties":{"stage_id":{"type":"string","minLength":1,"maxLength":100}}})"},
    {"SetApplicationStatus",
     R"({"type":"object","additionalProperties":false,"required":["status"],
        "properties":{"status":{"type":"string","enum":["active","rejected","hired"]}}})"},
    {"SendCheck", R"({"type":"object","additionalProperties":false,
        "properties":{
          "activity_id":{"type":"string","minLength":1,"maxLength":100},
          "package_id":{"type":"string","minLength":1,"maxLength":200}}})"},
    {"CancelCheck", R"({"type":"object","additionalProperties":false,
        "properties":{"reason":{"type":"string","maxLength":500}}})"},
    {"ReorderCheck", R"({"type":"object","additionalProperties":false,
        "properties":{"package_id":{"type":"string","minLength":1,"maxLength":200}}})"},
    {"CreateBulkSend", R"({"type":"object","additionalProperties":false,
        "properties":{
          "application_ids":{"type":"array","items":{"type":"string","minLength":1,"maxLength":100}},
          "job_id":{"type":"string","minLength":1,"maxLength":100},
          "stage_id":{"type":"string","minLength":1,"maxLength":100},
          "package_id":{"type":"string","minLength":1,"maxLength":200}}})"},
    {"AdHocCheck", R"({"type":"object","additionalProperties":false,"required":["package_id"],
        "properties":{"package_id":{"type":"string","minLength":1,"maxLength":200}}})"},
    {"CreateWebhookEndpoint", R"({"type":"object","additionalProperties":false,
        "required":["url","event_types"],
        "properties":{
          "url":{"type":"string","minLength":1,"maxLength":2048},
          "event_types":{"type":"array","maxItems":20,"items":{"type":"string","minLength":1,"maxLength":100}},
          "description":{"type":"string","maxLength":200}}})"},
    {"UpdateWebhookEndpoint", R"({"type":"object","additionalProperties":false,
        "properties":{
          "url":{"type":"string","minLength":1,"maxLength":2048},
          "event_types":{"type":"array","maxItems":20,"items":{"type":"string","minLength":1,"maxLength":100}},
          "description":{"type":"string","maxLength":200},
          "enabled":{"type":"boolean"}}})"},
    {"CreateUser", R"({"type":"object","additionalProperties":false,
        "required":["name","email","role"],
        "properties":{
          "name":{"type":"string","minLength":1,"maxLength":200},
          "email":{"type":"string","minLength":3,"maxLength":254},
          "role":{"type":"string","enum":["admin","recruiter","coordinator","viewer"]}}})"},
    {"IssueToken", R"({"type":"object","additionalProperties":false,"required":["name"],
        "properties":{
          "name":{"type":"string","minLength":1,"maxLength":100},
          "expires_in_days":{"type":"integer","minimum":1,"maximum":3650}}})"},
};

}  // namespace

const std::vector<std::pair<std::string, std::string>>& RequestSchemas() {
  static const auto* schemas = new std::vector<std::pair<std::string, std::string>>(
      std::begin(kSchemas), std::end(kSchemas));
  return *schemas;
}

}  // namespace stagecheck::http
