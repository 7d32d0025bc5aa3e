// libFuzzer target for the REST API's inputs before any use case sees them:
// a request body checked against each request schema (JsonBody::Parse, the
// same schemas docs/openapi.yaml shows) and read through the typed accessors,
// and the query string's percent-decoding (Request::QueryParam). Any bytes
// give a value or a clear error, never a crash, a hang or undefined behaviour;
// a body the schema accepts is valid JSON, so parsing it again succeeds.
// Input layout: byte 0 picks the schema, byte 1 the content type, then the
// query string up to the first '\n', then the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/http/api/json_body.h"
#include "adapters/http/http.h"
#include "rapidjson/document.h"

namespace {

// The property names a schema declares, each read with every accessor.
std::vector<std::string> FieldsOf(const std::string& schema) {
  rapidjson::Document doc;
  doc.Parse(schema.data(), schema.size());
  std::vector<std::string> fields;
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("properties")) return fields;
  // Indexed, not a range-for: RapidJSON's iterator comparison is ambiguous in C++20.
  const rapidjson::Value& properties = doc["properties"];
  if (!properties.IsObject()) return fields;
  for (auto it = properties.MemberBegin(); it != properties.MemberEnd(); ++it) {
    fields.emplace_back(it->name.GetString());
  }
  return fields;
}

constexpr const char* kQueryNames[] = {"after", "limit", "q", "job_id", "check_status", "sort"};

void ReadEveryField(const stagecheck::http::JsonBody& body, const std::string& schema) {
  for (const std::string& name : FieldsOf(schema)) {
    const char* field = name.c_str();
    (void)body.Has(field);
    (void)body.IsNull(field);
    (void)body.String(field);
    (void)body.Bool(field);
    (void)body.Int(field);
    (void)body.Strings(field);
    (void)body.Settings(field);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using stagecheck::http::JsonBody;
  using stagecheck::http::Request;
  const auto& schemas = stagecheck::http::RequestSchemas();
  if (size < 2 || schemas.empty()) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto& [schema, schema_text] = schemas[static_cast<uint8_t>(input[0]) % schemas.size()];
  const bool json_type = (input[1] & 1) == 0;
  input.remove_prefix(2);
  const size_t newline = input.find('\n');
  Request request;
  request.method = "POST";
  request.query = std::string(input.substr(0, newline));
  request.body =
      newline == std::string_view::npos ? std::string() : std::string(input.substr(newline + 1));
  request.headers.emplace_back("content-type",
                               json_type ? "application/json; charset=utf-8" : "text/plain");
  for (const char* name : kQueryNames) (void)request.QueryParam(name);

  auto body = JsonBody::Parse(request, schema);
  if (!body.ok()) return 0;
  // Only JSON is accepted (an empty body reads as {}, whatever its type).
  if (!json_type && !request.body.empty()) std::abort();
  ReadEveryField(*body, schema_text);
  if (!JsonBody::Parse(request, schema).ok()) std::abort();  // the same input, the same answer
  return 0;
}
