#include "adapters/store/sql/codec.h"

#include "absl/strings/escaping.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace stagecheck::store {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(std::string("stored ") + std::string(what) + " is not valid JSON");
}

absl::StatusOr<rapidjson::Document> ParseArray(const std::string& json, std::string_view what) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  if (doc.HasParseError() || !doc.IsArray()) return Corrupt(what);
  return doc;
}

void WriteString(Writer& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void WriteOptString(Writer& w, const char* key, const std::optional<std::string>& s) {
  if (!s.has_value()) return;
  w.Key(key);
  WriteString(w, *s);
}

std::string StringMember(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<std::string> OptStringMember(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<int64_t> OptIntMember(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
  return it->value.GetInt64();
}

void WriteSettings(Writer& w, const ActivitySettings& settings) {
  w.StartObject();
  for (const auto& [key, value] : settings.values()) {
    WriteString(w, key);
    if (const bool* b = std::get_if<bool>(&value)) {
      w.Bool(*b);
    } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
      w.Int64(*i);
    } else {
      WriteString(w, std::get<std::string>(value));
    }
  }
  w.EndObject();
}

absl::StatusOr<ActivitySettings> ReadSettings(const rapidjson::Value& v) {
  ActivitySettings settings;
  if (!v.IsObject()) return Corrupt("activity settings");
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    if (it->value.IsBool()) {
      settings.Set(key, it->value.GetBool());
    } else if (it->value.IsInt64()) {
      settings.Set(key, it->value.GetInt64());
    } else if (it->value.IsString()) {
      settings.Set(key, std::string(it->value.GetString(), it->value.GetStringLength()));
    } else {
      return Corrupt("activity setting value");
    }
  }
  return settings;
}

}  // namespace

std::string EncodeStrings(const std::vector<std::string>& values) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const std::string& v : values) WriteString(w, v);
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

absl::StatusOr<std::vector<std::string>> DecodeStrings(const std::string& json) {
  absl::StatusOr<rapidjson::Document> doc = ParseArray(json, "tags");
  if (!doc.ok()) return doc.status();
  std::vector<std::string> out;
  for (const auto& v : doc->GetArray()) {
    if (!v.IsString()) return Corrupt("tags");
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

std::string EncodeResults(const std::vector<CheckResult>& results) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const CheckResult& r : results) {
    w.StartObject();
    w.Key("check_type");
    WriteString(w, r.check_type);
    w.Key("status");
    WriteString(w, r.status);
    WriteOptString(w, "result", r.result);
    if (r.completed.has_value()) {
      w.Key("completed_us");
      w.Int64(ToMicros(*r.completed));
    }
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

absl::StatusOr<std::vector<CheckResult>> DecodeResults(const std::string& json) {
  absl::StatusOr<rapidjson::Document> doc = ParseArray(json, "check results");
  if (!doc.ok()) return doc.status();
  std::vector<CheckResult> out;
  for (const auto& v : doc->GetArray()) {
    if (!v.IsObject()) return Corrupt("check results");
    CheckResult r;
    r.check_type = StringMember(v, "check_type");
    r.status = StringMember(v, "status");
    r.result = OptStringMember(v, "result");
    if (auto us = OptIntMember(v, "completed_us")) r.completed = FromMicros(*us);
    out.push_back(std::move(r));
  }
  return out;
}

std::string EncodeHistory(const std::vector<StatusTransition>& history) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const StatusTransition& t : history) {
    w.StartObject();
    w.Key("from");
    w.String(std::string(StatusName(t.from)));
    w.Key("to");
    w.String(std::string(StatusName(t.to)));
    w.Key("at_us");
    w.Int64(ToMicros(t.at));
    w.Key("source");
    WriteString(w, t.source);
    w.Key("reason");
    WriteString(w, t.reason);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

absl::StatusOr<std::vector<StatusTransition>> DecodeHistory(const std::string& json) {
  absl::StatusOr<rapidjson::Document> doc = ParseArray(json, "check history");
  if (!doc.ok()) return doc.status();
  std::vector<StatusTransition> out;
  for (const auto& v : doc->GetArray()) {
    if (!v.IsObject()) return Corrupt("check history");
    std::optional<CheckStatus> from = ParseStatus(StringMember(v, "from"));
    std::optional<CheckStatus> to = ParseStatus(StringMember(v, "to"));
    std::optional<int64_t> at = OptIntMember(v, "at_us");
    if (!from || !to || !at) return Corrupt("check history");
    out.push_back(StatusTransition{.from = *from,
                                   .to = *to,
                                   .at = FromMicros(*at),
                                   .source = StringMember(v, "source"),
                                   .reason = StringMember(v, "reason")});
  }
  return out;
}

std::string EncodeStages(const std::vector<Stage>& stages) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const Stage& s : stages) {
    w.StartObject();
    w.Key("id");
    WriteString(w, s.id.value());
    w.Key("name");
    WriteString(w, s.name);
    w.Key("activities");
    w.StartArray();
    for (const Activity& a : s.activities) {
      w.StartObject();
      w.Key("id");
      WriteString(w, a.id.value());
      w.Key("kind");
      WriteString(w, a.kind);
      w.Key("settings");
      WriteSettings(w, a.settings);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

absl::StatusOr<std::vector<Stage>> DecodeStages(const std::string& json) {
  absl::StatusOr<rapidjson::Document> doc = ParseArray(json, "interview plan");
  if (!doc.ok()) return doc.status();
  std::vector<Stage> out;
  for (const auto& sv : doc->GetArray()) {
    auto acts = sv.IsObject() ? sv.FindMember("activities") : sv.MemberEnd();
    if (!sv.IsObject() || acts == sv.MemberEnd() || !acts->value.IsArray()) {
      return Corrupt("interview plan");
    }
    Stage stage{
        .id = StageId(StringMember(sv, "id")), .name = StringMember(sv, "name"), .activities = {}};
    for (const auto& av : acts->value.GetArray()) {
      auto settings = av.IsObject() ? av.FindMember("settings") : av.MemberEnd();
      if (!av.IsObject() || settings == av.MemberEnd()) return Corrupt("interview plan");
      absl::StatusOr<ActivitySettings> parsed = ReadSettings(settings->value);
      if (!parsed.ok()) return parsed.status();
      stage.activities.push_back(Activity{.id = ActivityId(StringMember(av, "id")),
                                          .kind = StringMember(av, "kind"),
                                          .settings = *std::move(parsed)});
    }
    out.push_back(std::move(stage));
  }
  return out;
}

Cursor TimeCursor(absl::Time at, const std::string& id) {
  return Cursor{"", {std::to_string(ToMicros(at)), id}};
}

std::string EncodeCursor(const Cursor& cursor) {
  // Web-safe base64 keeps keys with odd characters out of query strings' way.
  std::vector<std::string> parts = {cursor.order};
  parts.insert(parts.end(), cursor.keys.begin(), cursor.keys.end());
  return absl::WebSafeBase64Escape(EncodeStrings(parts));
}

absl::StatusOr<std::optional<Cursor>> DecodeCursor(const std::string& after) {
  if (after.empty()) return std::nullopt;
  std::string raw;
  const absl::Status bad = absl::InvalidArgumentError("invalid pagination cursor");
  if (!absl::WebSafeBase64Unescape(after, &raw)) return bad;
  absl::StatusOr<std::vector<std::string>> parts = DecodeStrings(raw);
  if (!parts.ok() || parts->size() < 2) return bad;
  Cursor cursor{parts->front(), std::vector<std::string>(parts->begin() + 1, parts->end())};
  return cursor;
}

int PageLimit(int requested) {
  constexpr int kDefault = 50;
  constexpr int kMax = 500;
  if (requested <= 0) return kDefault;
  return requested > kMax ? kMax : requested;
}

}  // namespace stagecheck::store
