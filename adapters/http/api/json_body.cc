#include "adapters/http/api/json_body.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "adapters/http/url.h"
#include "core/errors.h"
#include "rapidjson/document.h"
#include "rapidjson/schema.h"
#include "rapidjson/stringbuffer.h"

namespace stagecheck::http {
namespace {

struct CompiledSchema {
  rapidjson::Document source;  // kept to name missing required fields
  std::unique_ptr<rapidjson::SchemaDocument> schema;
};

const CompiledSchema* FindSchema(std::string_view name) {
  static std::once_flag once;
  static std::map<std::string, CompiledSchema, std::less<>>* compiled;
  std::call_once(once, [] {
    compiled = new std::map<std::string, CompiledSchema, std::less<>>();
    for (const auto& [schema_name, text] : RequestSchemas()) {
      CompiledSchema& entry = (*compiled)[schema_name];
      entry.source.Parse(text.c_str());
      // A broken built-in schema is a programming error caught by the tests.
      if (entry.source.HasParseError()) {
        compiled->erase(schema_name);
        continue;
      }
      entry.schema = std::make_unique<rapidjson::SchemaDocument>(entry.source);
    }
  });
  auto it = compiled->find(name);
  return it == compiled->end() ? nullptr : &it->second;
}

// The first name in the failing sub-schema's "required" that the document lacks.
std::string MissingRequired(const CompiledSchema& compiled, const rapidjson::SchemaValidator& validator,
                            const rapidjson::Document& doc) {
  const rapidjson::Value* schema = validator.GetInvalidSchemaPointer().Get(compiled.source);
  const rapidjson::Value* object = validator.GetInvalidDocumentPointer().Get(doc);
  if (schema == nullptr || object == nullptr || !object->IsObject()) return "";
  auto required = schema->FindMember("required");
  if (required == schema->MemberEnd() || !required->value.IsArray()) return "";
  for (const auto& name : required->value.GetArray()) {
    if (name.IsString() && !object->HasMember(name)) return name.GetString();
  }
  return "";
}

bool IsJsonContentType(std::string_view value) {
  std::string_view media = value.substr(0, value.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return EqualsIgnoreCase(media, "application/json");
}

// Request bodies are never this deep; deeper ones are refused before the
// (recursive) schema validator walks them.
constexpr int kMaxJsonDepth = 32;

// The deepest nesting of arrays and objects in `text` (strings skipped).
int JsonDepth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}') --depth;
  }
  return deepest;
}

// "/settings/package_id" from a JSON pointer, or "body" for the root.
std::string FieldName(const rapidjson::StringBuffer& pointer) {
  std::string p(pointer.GetString(), pointer.GetSize());
  if (p.empty() || p == "#") return "body";
  if (p[0] == '#') p.erase(0, 1);
  if (!p.empty() && p[0] == '/') p.erase(0, 1);
  return p;
}

}  // namespace

struct JsonBody::Doc {
  rapidjson::Document doc;
  const rapidjson::Value* Find(const char* field) const {
    auto it = doc.FindMember(field);
    return it == doc.MemberEnd() ? nullptr : &it->value;
  }
};

absl::StatusOr<JsonBody> JsonBody::Parse(const Request& request, std::string_view schema_name) {
  std::optional<std::string_view> type = request.Header("content-type");
  if (!request.body.empty() && (!type || !IsJsonContentType(*type))) {
    return Error(absl::StatusCode::kInvalidArgument, "unsupported_media_type",
                 "the request body must be application/json");
  }
  JsonBody body;
  body.doc_ = std::make_shared<Doc>();
  std::string_view text = request.body.empty() ? std::string_view("{}") : std::string_view(request.body);
  // Iterative: a recursive parse of 1 MiB of '[' overflows the stack.
  body.doc_->doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (body.doc_->doc.HasParseError()) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_json", "the request body is not valid JSON");
  }
  if (JsonDepth(text) > kMaxJsonDepth) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_body",
                 absl::StrCat("the request body nests deeper than ", kMaxJsonDepth, " levels"));
  }
  const CompiledSchema* schema = FindSchema(schema_name);
  if (schema == nullptr) return absl::InternalError("unknown request schema");
  rapidjson::SchemaValidator validator(*schema->schema);
  if (!body.doc_->doc.Accept(validator)) {
    rapidjson::StringBuffer pointer;
    validator.GetInvalidDocumentPointer().StringifyUriFragment(pointer);
    std::string keyword = validator.GetInvalidSchemaKeyword();
    std::string field = FieldName(pointer);
    std::string detail;
    if (keyword == "additionalProperties") {
      detail = absl::StrCat("field '", field, "' is not allowed");
    } else if (keyword == "required") {
      std::string missing = MissingRequired(*schema, validator, body.doc_->doc);
      detail = missing.empty() ? absl::StrCat(field, " is missing a required field")
                               : absl::StrCat("missing required field '", missing, "'");
    } else {
      detail = absl::StrCat("field '", field, "' is invalid (", keyword, ")");
    }
    return Error(absl::StatusCode::kInvalidArgument, "invalid_body", detail);
  }
  return body;
}

bool JsonBody::Has(const char* field) const { return doc_->Find(field) != nullptr; }

bool JsonBody::IsNull(const char* field) const {
  const rapidjson::Value* v = doc_->Find(field);
  return v != nullptr && v->IsNull();
}

std::optional<std::string> JsonBody::String(const char* field) const {
  const rapidjson::Value* v = doc_->Find(field);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}

std::optional<bool> JsonBody::Bool(const char* field) const {
  const rapidjson::Value* v = doc_->Find(field);
  if (v == nullptr || !v->IsBool()) return std::nullopt;
  return v->GetBool();
}

std::optional<int64_t> JsonBody::Int(const char* field) const {
  const rapidjson::Value* v = doc_->Find(field);
  if (v == nullptr || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

std::optional<std::vector<std::string>> JsonBody::Strings(const char* field) const {
  const rapidjson::Value* v = doc_->Find(field);
  if (v == nullptr || !v->IsArray()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : v->GetArray()) {
    if (item.IsString()) out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

absl::StatusOr<ActivitySettings> JsonBody::Settings(const char* field) const {
  ActivitySettings settings;
  const rapidjson::Value* v = doc_->Find(field);
  if (v == nullptr || !v->IsObject()) return settings;
  for (const auto& member : v->GetObject()) {
    std::string key(member.name.GetString(), member.name.GetStringLength());
    const rapidjson::Value& value = member.value;
    if (value.IsBool()) {
      settings.Set(key, value.GetBool());
    } else if (value.IsInt64()) {
      settings.Set(key, value.GetInt64());
    } else if (value.IsString()) {
      settings.Set(key, std::string(value.GetString(), value.GetStringLength()));
    } else {
      return Error(absl::StatusCode::kInvalidArgument, "invalid_body",
                   absl::StrCat("field '", field, "/", key,
                                "' must be a string, an integer or a boolean"));
    }
  }
  return settings;
}

}  // namespace stagecheck::http
