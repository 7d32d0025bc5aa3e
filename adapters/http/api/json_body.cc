#include "adapters/http/api/json_body.h"

#include <algorithm>
#include <cctype>
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
std::string MissingRequired(const CompiledSchema& compiled,
                            const rapidjson::SchemaValidator& validator,
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
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{')
      deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}')
      --depth;
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

// "package_id" → "Package ID", "first_name" → "First name": the field as a
// person reads it in a sentence.
std::string Label(std::string_view field) {
  if (field == "body") return "The request body";
  size_t slash = field.rfind('/');
  std::string_view last = slash == std::string_view::npos ? field : field.substr(slash + 1);
  if (slash != std::string_view::npos && !last.empty() &&
      std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // "tags/0": an entry of a list.
    std::string parent = Label(field.substr(0, slash));
    if (!parent.empty())
      parent[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(parent[0])));
    return absl::StrCat("Entry ", std::stoi(std::string(last)) + 1, " of ", parent);
  }
  std::string out;
  size_t start = 0;
  while (start <= last.size()) {
    size_t end = std::min(last.find('_', start), last.size());
    std::string_view word = last.substr(start, end - start);
    if (!out.empty()) out += ' ';
    if (word == "id" || word == "url" || word == "api") {
      for (char c : word) out += static_cast<char>(c - 'a' + 'A');
    } else {
      out.append(word);
    }
    start = end + 1;
  }
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string TypeWords(const rapidjson::Value* type) {
  if (type == nullptr || !type->IsString()) return "of another type";
  std::string_view t = type->GetString();
  if (t == "string") return "text";
  if (t == "integer") return "a whole number";
  if (t == "number") return "a number";
  if (t == "boolean") return "true or false";
  if (t == "array") return "a list";
  if (t == "object") return "an object";
  return std::string(t);
}

// The sentence for one failed schema keyword, e.g. "Title is required."
std::string Sentence(std::string_view keyword, const std::string& label,
                     const rapidjson::Value* rule) {
  auto number = [&]() -> std::string {
    return rule != nullptr && rule->IsNumber() ? absl::StrCat(rule->GetDouble()) : std::string("?");
  };
  if (keyword == "required") return absl::StrCat(label, " is required.");
  if (keyword == "additionalProperties")
    return absl::StrCat(label, " is not a field this request accepts.");
  if (keyword == "minLength") {
    if (rule != nullptr && rule->IsNumber() && rule->GetDouble() <= 1)
      return absl::StrCat(label, " is required.");
    return absl::StrCat(label, " must be at least ", number(), " characters long.");
  }
  if (keyword == "maxLength")
    return absl::StrCat(label, " must be at most ", number(), " characters long.");
  if (keyword == "type") return absl::StrCat(label, " must be ", TypeWords(rule), ".");
  if (keyword == "minimum") return absl::StrCat(label, " must be at least ", number(), ".");
  if (keyword == "maximum") return absl::StrCat(label, " must be at most ", number(), ".");
  if (keyword == "minItems")
    return absl::StrCat(label, " must have at least ", number(), " entries.");
  if (keyword == "maxItems")
    return absl::StrCat(label, " must have at most ", number(), " entries.");
  if (keyword == "uniqueItems") return absl::StrCat(label, " must not repeat an entry.");
  if (keyword == "enum" && rule != nullptr && rule->IsArray()) {
    std::string allowed;
    for (const auto& v : rule->GetArray()) {
      if (v.IsString()) absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", v.GetString());
    }
    return absl::StrCat(label, " must be one of: ", allowed, ".");
  }
  if (keyword == "pattern" || keyword == "format")
    return absl::StrCat(label, " is not in the expected format.");
  return absl::StrCat(label, " is not valid.");
}

// The failing keyword's value in the schema (200 for a maxLength of 200), if any.
const rapidjson::Value* FailedRule(const CompiledSchema& compiled,
                                   const rapidjson::SchemaValidator& validator,
                                   const std::string& keyword) {
  const rapidjson::Value* schema = validator.GetInvalidSchemaPointer().Get(compiled.source);
  if (schema == nullptr || !schema->IsObject()) return nullptr;
  auto it = schema->FindMember(keyword.c_str());
  return it == schema->MemberEnd() ? nullptr : &it->value;
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
  std::string_view text =
      request.body.empty() ? std::string_view("{}") : std::string_view(request.body);
  // Iterative: a recursive parse of 1 MiB of '[' overflows the stack.
  // Validated UTF-8 (RFC 8259 requires it): RapidJSON's own error path reads
  // past the end of a member name that ends inside a multi-byte sequence
  // (found by api.fuzz.request_body).
  body.doc_->doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
      text.data(), text.size());
  if (body.doc_->doc.HasParseError()) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_json",
                 "the request body is not valid JSON");
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
    if (keyword == "required") {
      std::string missing = MissingRequired(*schema, validator, body.doc_->doc);
      if (!missing.empty()) field = field == "body" ? missing : absl::StrCat(field, "/", missing);
    }
    // A sentence a person can read; the JSON field rides along for programs.
    std::string detail = Sentence(keyword, Label(field), FailedRule(*schema, validator, keyword));
    return WithField(Error(absl::StatusCode::kInvalidArgument, "invalid_body", detail), field);
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
      return Error(
          absl::StatusCode::kInvalidArgument, "invalid_body",
          absl::StrCat("field '", field, "/", key, "' must be a string, an integer or a boolean"));
    }
  }
  return settings;
}

}  // namespace stagecheck::http
