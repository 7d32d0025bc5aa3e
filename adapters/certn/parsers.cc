#include "adapters/certn/parsers.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/certn/status_map.h"
#include "core/strings.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace stagecheck::certn {
namespace {

using rapidjson::Value;

absl::Status FieldError(std::string_view path, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("field '", ToAbsl(path), "' ", ToAbsl(what)));
}

std::string Join(std::string_view parent, std::string_view name) {
  if (parent.empty()) return std::string(name);
  return absl::StrCat(ToAbsl(parent), ".", ToAbsl(name));
}

absl::StatusOr<rapidjson::Document> ParseDocument(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON at offset ", doc.GetErrorOffset(),
                                                   ": ", rapidjson::GetParseError_En(doc.GetParseError())));
  }
  return doc;
}

// Reads the fields of one JSON object, naming each field by its full path.
class ObjectReader {
 public:
  static absl::StatusOr<ObjectReader> Of(const Value& value, std::string path) {
    if (!value.IsObject()) return FieldError(path.empty() ? "$" : path, "is not an object");
    return ObjectReader(value, std::move(path));
  }

  absl::StatusOr<const Value*> Required(std::string_view name) const {
    auto it = object_->FindMember(rapidjson::StringRef(name.data(), name.size()));
    if (it == object_->MemberEnd()) return FieldError(Path(name), "is missing");
    return &it->value;
  }
  // nullptr when absent or null.
  const Value* Optional(std::string_view name) const {
    auto it = object_->FindMember(rapidjson::StringRef(name.data(), name.size()));
    if (it == object_->MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
  }

  absl::StatusOr<std::string> String(std::string_view name) const {
    auto v = Required(name);
    if (!v.ok()) return v.status();
    if (!(*v)->IsString()) return FieldError(Path(name), "is not a string");
    return std::string((*v)->GetString(), (*v)->GetStringLength());
  }
  // A string or a number (Certn ids are uuids, but a number is not wrong).
  absl::StatusOr<std::string> Id(std::string_view name) const {
    auto v = Required(name);
    if (!v.ok()) return v.status();
    if ((*v)->IsString()) return std::string((*v)->GetString(), (*v)->GetStringLength());
    if ((*v)->IsInt64()) return absl::StrCat((*v)->GetInt64());
    return FieldError(Path(name), "is not a string or integer id");
  }
  absl::StatusOr<std::optional<std::string>> NullableString(std::string_view name) const {
    const Value* v = Optional(name);
    if (v == nullptr) return std::optional<std::string>();
    if (!v->IsString()) return FieldError(Path(name), "is not a string or null");
    return std::optional<std::string>(std::string(v->GetString(), v->GetStringLength()));
  }
  absl::StatusOr<int64_t> Int(std::string_view name) const {
    auto v = Required(name);
    if (!v.ok()) return v.status();
    if (!(*v)->IsInt64()) return FieldError(Path(name), "is not an integer");
    return (*v)->GetInt64();
  }
  absl::StatusOr<absl::Time> Time(std::string_view name) const {
    auto s = String(name);
    if (!s.ok()) return s.status();
    auto t = ParseTimestamp(*s);
    if (!t.ok()) return FieldError(Path(name), "is not an ISO 8601 timestamp");
    return *t;
  }
  absl::StatusOr<std::optional<absl::Time>> NullableTime(std::string_view name) const {
    auto s = NullableString(name);
    if (!s.ok()) return s.status();
    if (!s->has_value()) return std::optional<absl::Time>();
    auto t = ParseTimestamp(**s);
    if (!t.ok()) return FieldError(Path(name), "is not an ISO 8601 timestamp");
    return std::optional<absl::Time>(*t);
  }
  absl::StatusOr<const Value*> Array(std::string_view name) const {
    auto v = Required(name);
    if (!v.ok()) return v.status();
    if (!(*v)->IsArray()) return FieldError(Path(name), "is not an array");
    return *v;
  }

  std::string Path(std::string_view name) const { return Join(path_, name); }

 private:
  ObjectReader(const Value& object, std::string path) : object_(&object), path_(std::move(path)) {}
  const Value* object_;
  std::string path_;
};

#define SC_ASSIGN(lhs, expr)              \
  do {                                    \
    auto _sc_v = (expr);                  \
    if (!_sc_v.ok()) return _sc_v.status(); \
    lhs = *std::move(_sc_v);              \
  } while (0)

// next_page may be a page number, a URL carrying "page=N", or null.
absl::StatusOr<std::optional<int64_t>> NextPage(const ObjectReader& reader) {
  const Value* v = reader.Optional("next_page");
  if (v == nullptr) return std::optional<int64_t>();
  if (v->IsInt64()) return std::optional<int64_t>(v->GetInt64());
  if (v->IsString()) {
    std::string_view url(v->GetString(), v->GetStringLength());
    size_t at = url.find("page=");
    while (at != std::string_view::npos && at > 0 && url[at - 1] != '?' && url[at - 1] != '&') {
      at = url.find("page=", at + 1);
    }
    int64_t n = 0;
    if (at != std::string_view::npos) {
      std::string_view digits = url.substr(at + 5);
      digits = digits.substr(0, digits.find('&'));
      if (absl::SimpleAtoi(ToAbsl(digits), &n)) return std::optional<int64_t>(n);
    }
  }
  return FieldError(reader.Path("next_page"), "is not a page number, page URL or null");
}

absl::StatusOr<Pagination> ParsePagination(const ObjectReader& root) {
  const Value* value = nullptr;
  SC_ASSIGN(value, root.Required("pagination"));
  auto checked = ObjectReader::Of(*value, "pagination");
  if (!checked.ok()) return checked.status();
  const ObjectReader& reader = *checked;
  Pagination p;
  SC_ASSIGN(p.result_count, reader.Int("result_count"));
  SC_ASSIGN(p.page_count, reader.Int("page_count"));
  SC_ASSIGN(p.page_size, reader.Int("page_size"));
  SC_ASSIGN(p.current_page, reader.Int("current_page"));
  SC_ASSIGN(p.next_page, NextPage(reader));
  return p;
}

template <typename T, typename ParseItem>
absl::StatusOr<Page<T>> ParsePage(std::string_view json, ParseItem parse_item) {
  auto doc = ParseDocument(json);
  if (!doc.ok()) return doc.status();
  auto root = ObjectReader::Of(*doc, "");
  if (!root.ok()) return root.status();
  Page<T> page;
  SC_ASSIGN(page.pagination, ParsePagination(*root));
  const Value* results = nullptr;
  SC_ASSIGN(results, root->Array("results"));
  for (rapidjson::SizeType i = 0; i < results->Size(); ++i) {
    auto item = ObjectReader::Of((*results)[i], absl::StrCat("results[", i, "]"));
    if (!item.ok()) return item.status();
    T parsed;
    SC_ASSIGN(parsed, parse_item(*item));
    page.results.push_back(std::move(parsed));
  }
  return page;
}

absl::StatusOr<CertnGroup> ParseGroup(const ObjectReader& r) {
  CertnGroup g;
  SC_ASSIGN(g.id, r.Id("id"));
  SC_ASSIGN(g.name, r.String("name"));
  SC_ASSIGN(g.team_id, r.Id("team_id"));
  return g;
}

absl::StatusOr<CertnPackage> ParsePackage(const ObjectReader& r) {
  CertnPackage p;
  SC_ASSIGN(p.id, r.Id("id"));
  SC_ASSIGN(p.name, r.String("name"));
  const Value* types = nullptr;
  SC_ASSIGN(types, r.Array("check_types"));
  for (rapidjson::SizeType i = 0; i < types->Size(); ++i) {
    const Value& t = (*types)[i];
    if (!t.IsString()) return FieldError(absl::StrCat(r.Path("check_types"), "[", i, "]"), "is not a string");
    p.check_types.emplace_back(t.GetString(), t.GetStringLength());
  }
  return p;
}

absl::StatusOr<CertnCheckResult> ParseCheck(const ObjectReader& r) {
  CertnCheckResult c;
  SC_ASSIGN(c.id, r.Id("id"));
  SC_ASSIGN(c.check_type, r.String("check_type"));
  SC_ASSIGN(c.status, r.String("status"));
  SC_ASSIGN(c.result, r.NullableString("result"));
  SC_ASSIGN(c.completed, r.NullableTime("completed"));
  return c;
}

absl::Status FillCase(const ObjectReader& r, CertnCase& c) {
  SC_ASSIGN(c.id, r.Id("id"));
  SC_ASSIGN(c.short_id, r.String("short_id"));
  SC_ASSIGN(c.overall_status, r.String("overall_status"));
  SC_ASSIGN(c.email, r.String("email_address"));
  SC_ASSIGN(c.package_id, r.Id("package_id"));
  SC_ASSIGN(c.created, r.Time("created"));
  SC_ASSIGN(c.modified, r.Time("modified"));
  SC_ASSIGN(c.completed, r.NullableTime("completed"));
  SC_ASSIGN(c.report_url, r.NullableString("report_url"));
  const Value* report_file = r.Optional("report_file_id");
  if (report_file != nullptr) {
    std::string id;
    SC_ASSIGN(id, r.Id("report_file_id"));
    c.report_file_id = id;
  }
  const Value* checks = nullptr;
  SC_ASSIGN(checks, r.Array("checks"));
  for (rapidjson::SizeType i = 0; i < checks->Size(); ++i) {
    auto item = ObjectReader::Of((*checks)[i], absl::StrCat("checks[", i, "]"));
    if (!item.ok()) return item.status();
    CertnCheckResult check;
    SC_ASSIGN(check, ParseCheck(*item));
    c.checks.push_back(std::move(check));
  }
  NormalizedStatus normalized;
  SC_ASSIGN(normalized, NormalizeCaseStatus(c.overall_status, c.checks));
  c.status = normalized.status;
  c.error_reason = normalized.error_reason;
  return absl::OkStatus();
}

std::string StringOf(const Value& v) { return std::string(v.GetString(), v.GetStringLength()); }

}  // namespace

absl::StatusOr<absl::Time> ParseTimestamp(std::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, ToAbsl(text), &t, &err)) {
    return absl::InvalidArgumentError("not an ISO 8601 timestamp");
  }
  return t;
}

absl::StatusOr<Page<CertnGroup>> ParseGroupsPage(std::string_view json) {
  return ParsePage<CertnGroup>(json, ParseGroup);
}

absl::StatusOr<Page<CertnPackage>> ParsePackagesPage(std::string_view json) {
  return ParsePage<CertnPackage>(json, ParsePackage);
}

absl::StatusOr<CertnCase> ParseCase(std::string_view json) {
  auto doc = ParseDocument(json);
  if (!doc.ok()) return doc.status();
  auto root = ObjectReader::Of(*doc, "");
  if (!root.ok()) return root.status();
  CertnCase c;
  absl::Status filled = FillCase(*root, c);
  if (!filled.ok()) return filled;
  return c;
}

ErrorBody ParseErrorBody(std::string_view json) {
  ErrorBody out;
  auto doc = ParseDocument(json);
  if (!doc.ok() || !doc->IsObject()) return out;
  // Const iteration: RapidJSON 1.1's mutable member iterators are ambiguous
  // under C++20's rewritten comparisons (clang -Wambiguous-reversed-operator).
  for (const auto& member : std::as_const(*doc).GetObject()) {
    std::string name = StringOf(member.name);
    const Value& v = member.value;
    if (name == "detail" && v.IsString()) {
      out.detail = StringOf(v);
    } else if (name == "code" && v.IsString()) {
      out.code = StringOf(v);
    } else if (v.IsArray()) {
      std::vector<std::string> messages;
      for (const auto& m : v.GetArray()) {
        if (m.IsString()) messages.push_back(StringOf(m));
      }
      out.field_errors.emplace_back(std::move(name), std::move(messages));
    } else if (v.IsString()) {
      out.field_errors.emplace_back(std::move(name), std::vector<std::string>{StringOf(v)});
    }
  }
  return out;
}

std::string SerializeOrderPackage(const CertnOrder& order) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("package_id");
  w.String(order.package_id);
  w.Key("email_address");
  w.String(order.email);
  w.Key("send_invite_email");
  w.Bool(true);
  w.Key("input_claims");
  w.StartObject();
  w.Key("name");
  w.StartObject();
  w.Key("given_name");
  w.String(order.first_name);
  w.Key("family_name");
  w.String(order.last_name);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace stagecheck::certn
