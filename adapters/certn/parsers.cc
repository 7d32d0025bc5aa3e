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

// What a flow cannot work without (docs/certn-api.md, "tolerant reader";
// the same table is in fixtures/README.md). Every other field is optional:
// absent, null or unreadable, it takes the default written beside it in
// ParseGroup / ParsePackage / ParseCheck / FillCase below.
const std::vector<RequiredFields>& RequiredFieldTable() {
  static const auto* const kTable = new std::vector<RequiredFields>{
      {"case", {"id", "overall_status"}},
      {"package", {"id", "name"}},
      {"page", {"results"}},
      {"group", {}},
      {"report_file", {"url"}},
      {"check", {}},
      // The event feed's shape is a third-party guess: every name it reads is
      // here. The case is the first of the case-id names present; an event
      // whose object_type is present and not CASE names no case.
      {"events_page", {"results"}, {"next"}},
      {"event", {"id"}, {"event_type", "object_type", "object_id", "case_id", "created"}},
  };
  return *kTable;
}

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
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at offset ", doc.GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(doc.GetParseError())));
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
  absl::StatusOr<const Value*> Array(std::string_view name) const {
    auto v = Required(name);
    if (!v.ok()) return v.status();
    if (!(*v)->IsArray()) return FieldError(Path(name), "is not an array");
    return *v;
  }

  // The tolerant readers of optional fields (RequiredFieldTable above):
  // absent, null or of a type we cannot read, the field takes its default.
  std::optional<std::string> OptString(std::string_view name) const {
    const Value* v = Optional(name);
    if (v == nullptr || !v->IsString()) return std::nullopt;
    return std::string(v->GetString(), v->GetStringLength());
  }
  std::optional<std::string> OptId(std::string_view name) const {
    const Value* v = Optional(name);
    if (v == nullptr) return std::nullopt;
    if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
    if (v->IsInt64()) return absl::StrCat(v->GetInt64());
    return std::nullopt;
  }
  std::optional<int64_t> OptInt(std::string_view name) const {
    const Value* v = Optional(name);
    if (v == nullptr || !v->IsInt64()) return std::nullopt;
    return v->GetInt64();
  }
  std::optional<absl::Time> OptTime(std::string_view name) const {
    std::optional<std::string> s = OptString(name);
    if (!s) return std::nullopt;
    auto t = ParseTimestamp(*s);
    if (!t.ok()) return std::nullopt;
    return *t;
  }
  // The elements of an optional array; none when absent or not an array.
  const Value* OptArray(std::string_view name) const {
    const Value* v = Optional(name);
    return v != nullptr && v->IsArray() ? v : nullptr;
  }

  std::string Path(std::string_view name) const { return Join(path_, name); }

 private:
  ObjectReader(const Value& object, std::string path) : object_(&object), path_(std::move(path)) {}
  const Value* object_;
  std::string path_;
};

#define SC_ASSIGN(lhs, expr)                \
  do {                                      \
    auto _sc_v = (expr);                    \
    if (!_sc_v.ok()) return _sc_v.status(); \
    lhs = *std::move(_sc_v);                \
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

// Pagination is optional: without it (or its counts) a list is one page.
absl::StatusOr<Pagination> ParsePagination(const ObjectReader& root, size_t results) {
  Pagination p;
  p.result_count = static_cast<int64_t>(results);
  p.page_count = 1;
  p.page_size = static_cast<int64_t>(results);
  const Value* value = root.Optional("pagination");
  if (value == nullptr || !value->IsObject()) return p;
  auto checked = ObjectReader::Of(*value, "pagination");
  if (!checked.ok()) return checked.status();
  const ObjectReader& reader = *checked;
  p.result_count = reader.OptInt("result_count").value_or(p.result_count);
  p.page_count = reader.OptInt("page_count").value_or(p.page_count);
  p.page_size = reader.OptInt("page_size").value_or(p.page_size);
  p.current_page = reader.OptInt("current_page").value_or(p.current_page);
  // Not tolerant: ignoring an unreadable next_page would silently drop pages.
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
  const Value* results = nullptr;
  SC_ASSIGN(results, root->Array("results"));
  SC_ASSIGN(page.pagination, ParsePagination(*root, results->Size()));
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
  g.id = r.OptId("id").value_or("");
  g.name = r.OptString("name").value_or("");
  g.team_id = r.OptId("team_id");
  return g;
}

absl::StatusOr<CertnPackage> ParsePackage(const ObjectReader& r) {
  CertnPackage p;
  SC_ASSIGN(p.id, r.Id("id"));
  SC_ASSIGN(p.name, r.String("name"));
  if (const Value* types = r.OptArray("check_types"); types != nullptr) {
    for (const Value& t : types->GetArray()) {
      if (t.IsString()) p.check_types.emplace_back(t.GetString(), t.GetStringLength());
    }
  }
  return p;
}

CertnCheckResult ParseCheck(const ObjectReader& r) {
  CertnCheckResult c;
  c.id = r.OptId("id").value_or("");
  c.check_type = r.OptString("check_type").value_or("");
  c.status = r.OptString("status").value_or("");
  c.result = r.OptString("result");
  c.completed = r.OptTime("completed");
  return c;
}

// The case's package: "package" (docs/certn-api.md) as an id or an object
// with an id, else the older "package_id".
std::string PackageOf(const ObjectReader& r) {
  if (const Value* v = r.Optional("package"); v != nullptr && v->IsObject()) {
    auto inner = ObjectReader::Of(*v, r.Path("package"));
    if (inner.ok()) {
      if (auto id = inner->OptId("id")) return *id;
    }
  }
  if (auto id = r.OptId("package")) return *id;
  return r.OptId("package_id").value_or("");
}

absl::Status FillCase(const ObjectReader& r, CertnCase& c) {
  SC_ASSIGN(c.id, r.Id("id"));
  SC_ASSIGN(c.overall_status, r.String("overall_status"));
  c.short_id = r.OptString("short_id").value_or("");
  c.email = r.OptString("email_address").value_or("");
  c.package_id = PackageOf(r);
  c.created = r.OptTime("created");
  c.modified = r.OptTime("modified");
  c.completed = r.OptTime("completed");
  c.report_url = r.OptString("report_url");
  c.report_file_id = r.OptId("report_file_id");
  c.estimated_completion = r.OptTime("estimated_completion_date");
  c.overall_score = ParseOverallScore(r.OptString("overall_score").value_or(""));
  if (const Value* checks = r.OptArray("checks"); checks != nullptr) {
    for (rapidjson::SizeType i = 0; i < checks->Size(); ++i) {
      auto item = ObjectReader::Of((*checks)[i], absl::StrCat("checks[", i, "]"));
      if (!item.ok()) continue;  // an unreadable check is left out, not fatal
      c.checks.push_back(ParseCheck(*item));
    }
  }
  NormalizedStatus normalized = NormalizeCaseStatus(c.overall_status, c.checks);
  c.status = normalized.status;
  c.error_reason = normalized.error_reason;
  c.overall_status_known = normalized.known;
  return absl::OkStatus();
}

// The optional names of `object` in RequiredFieldTable, in their order.
std::vector<std::string_view> OptionalNames(std::string_view object) {
  for (const RequiredFields& row : RequiredFieldTable()) {
    if (row.object == object) return row.optional;
  }
  return {};
}

absl::StatusOr<CertnEvent> ParseEvent(const ObjectReader& r) {
  CertnEvent e;
  SC_ASSIGN(e.id, r.Id("id"));
  if (e.id.empty()) return FieldError(r.Path("id"), "is empty");
  e.event_type = r.OptString("event_type").value_or("");
  e.created = r.OptTime("created");
  std::optional<std::string> object_type = r.OptString("object_type");
  if (object_type && *object_type != "CASE") return e;  // about something else
  for (std::string_view name : OptionalNames("event")) {
    if (name != "object_id" && name != "case_id") continue;
    if (std::optional<std::string> id = r.OptId(name); id && !id->empty()) {
      e.case_id = std::move(id);
      break;
    }
  }
  return e;
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

absl::StatusOr<ReportFile> ParseReportFile(std::string_view json) {
  auto doc = ParseDocument(json);
  if (!doc.ok()) return doc.status();
  auto root = ObjectReader::Of(*doc, "");
  if (!root.ok()) return root.status();
  ReportFile file;
  SC_ASSIGN(file.url, root->String("url"));
  if (file.url.empty()) return FieldError("url", "is empty");
  file.id = root->OptId("id").value_or("");
  file.expires_at = root->OptTime("expires_at");
  return file;
}

absl::StatusOr<EventsPage> ParseEventsPage(std::string_view json) {
  auto doc = ParseDocument(json);
  if (!doc.ok()) return doc.status();
  auto root = ObjectReader::Of(*doc, "");
  if (!root.ok()) return root.status();
  EventsPage page;
  const Value* results = nullptr;
  SC_ASSIGN(results, root->Array("results"));
  for (rapidjson::SizeType i = 0; i < results->Size(); ++i) {
    auto item = ObjectReader::Of((*results)[i], absl::StrCat("results[", i, "]"));
    if (!item.ok()) return item.status();
    CertnEvent event;
    SC_ASSIGN(event, ParseEvent(*item));
    page.results.push_back(std::move(event));
  }
  // Not tolerant: ignoring an unreadable next would silently drop events.
  if (const Value* next = root->Optional("next"); next != nullptr) {
    if (!next->IsString()) return FieldError("next", "is not a URL or null");
    page.next = StringOf(*next);
    if (page.next->empty()) page.next.reset();
  }
  return page;
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
  w.Key("package");
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
