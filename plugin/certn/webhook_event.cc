// Reading the thin event. simdjson reads a Certn body in about a fifth of the
// instructions rapidjson's SAX reader takes (5.9k against 26k for a
// ~900-byte body under callgrind, issue 21), but it refuses some JSON that
// rapidjson reads: integers beyond 64 bits, trailing bytes after the object,
// bytes that are not UTF-8, nesting deeper than 1,024. A body simdjson
// refuses is therefore read again by rapidjson, which decides; the
// differential fuzz target (tests/fuzz/webhook) checks that what simdjson
// reads, rapidjson reads the same.
#include "plugin/certn/webhook_event.h"

#include <simdjson.h>

#include <array>
#include <cstddef>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace stagecheck::certn_plugin {
namespace {

constexpr std::array<const char*, 4> kFields = {"id", "event_type", "object_id", "object_type"};

// What a parser found of the four fields, before they are checked.
struct Field {
  bool seen = false;
  bool is_string = false;
  std::string value;
};
struct EventFields {
  bool root_is_object = false;
  std::array<Field, kFields.size()> fields;
};

// Bodies above this are read by rapidjson alone: a thread's simdjson parser
// keeps buffers the size of the largest body it read, and Certn's are a few
// KiB (the webhook takes up to 256 KiB).
constexpr size_t kFastParserMaxBytes = 64 * 1024;

// simdjson's DOM: every key unescaped, the first of a repeated key counts
// (at_key looks in order), as in the rapidjson reader below.
bool ReadFast(std::string_view body, EventFields& out) {
  if (body.size() > kFastParserMaxBytes) return false;
  thread_local simdjson::dom::parser parser(kFastParserMaxBytes);
  simdjson::dom::element root;
  // Copied into the parser's own padded buffer (simdjson reads past the end).
  if (parser.parse(body.data(), body.size(), /*realloc_if_needed=*/true).get(root)) return false;
  simdjson::dom::object object;
  if (root.get(object)) return true;  // JSON, but not an object
  out.root_is_object = true;
  // One pass over the keys (at_key per field walked them four times); the
  // first of a repeated key counts, as at_key would have it.
  for (const simdjson::dom::key_value_pair member : object) {
    for (size_t i = 0; i < kFields.size(); ++i) {
      Field& f = out.fields[i];
      if (f.seen || member.key != kFields[i]) continue;
      f.seen = true;
      std::string_view text;
      f.is_string = !member.value.get(text);
      if (f.is_string) f.value.assign(text);
      break;
    }
  }
  return true;
}

// Reads the four top-level strings of an event without building a document.
// The whole body is still parsed, so anything that is not JSON is refused.
class EventFieldsReader
    : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, EventFieldsReader> {
 public:
  explicit EventFieldsReader(EventFields& out) : out_(out) {}

  bool Key(const char* s, rapidjson::SizeType n, bool) {
    pending_ = -1;
    if (depth_ != 1) return true;
    for (size_t i = 0; i < kFields.size(); ++i) {
      if (std::string_view(kFields[i]) == std::string_view(s, n)) pending_ = static_cast<int>(i);
    }
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) { return Value(true, s, n); }
  bool StartObject() {
    if (depth_ == 0) out_.root_is_object = true;
    Value(false, nullptr, 0);
    ++depth_;
    return true;
  }
  bool StartArray() {
    Value(false, nullptr, 0);
    ++depth_;
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return End(); }
  bool EndArray(rapidjson::SizeType) { return End(); }
  // Numbers, booleans and null: a value that is not a string.
  bool Default() { return Value(false, nullptr, 0); }

 private:
  bool End() {
    --depth_;
    return true;
  }
  bool Value(bool is_string, const char* s, size_t n) {
    if (depth_ == 1 && pending_ >= 0 && !out_.fields[pending_].seen) {
      Field& f = out_.fields[pending_];
      f.seen = true;
      f.is_string = is_string;
      if (is_string) f.value.assign(s, n);
    }
    pending_ = -1;
    return true;
  }

  EventFields& out_;
  int depth_ = 0;
  int pending_ = -1;  // the top-level field whose value comes next, if wanted
};

bool ReadTolerantly(std::string_view body, EventFields& out) {
  EventFieldsReader reader(out);
  rapidjson::Reader parser;
  rapidjson::MemoryStream stream(body.data(), body.size());
  // Iterative: the body is not authenticated yet, and a recursive parse of
  // 200 KB of '[' overflows the stack.
  return !parser
              .Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag>(stream,
                                                                                         reader)
              .IsError();
}

// A JSON object that is not a thin event is "invalid_event" (a body that is
// not JSON at all is "invalid_json"): Receive tells them apart by code.
absl::Status InvalidEvent(std::string_view message) {
  return Error(absl::StatusCode::kInvalidArgument, "invalid_event", message);
}

// Takes the found values (moved, not copied: each is an allocation).
absl::StatusOr<WebhookEvent> EventOf(EventFields& found) {
  if (!found.root_is_object) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_json", "body is not a JSON object");
  }
  WebhookEvent event;
  std::string* targets[] = {&event.id, &event.event_type, &event.object_id, &event.object_type};
  for (size_t i = 0; i < std::size(targets); ++i) {
    const char* name = kFields[i];
    Field& f = found.fields[i];
    if (!f.seen) return InvalidEvent(absl::StrCat("event has no '", name, "'"));
    if (!f.is_string) return InvalidEvent(absl::StrCat("event field '", name, "' is not a string"));
    if (f.value.empty() || f.value.size() > 200) {
      return InvalidEvent(absl::StrCat("event field '", name, "' is empty or too long"));
    }
    *targets[i] = std::move(f.value);
  }
  return event;
}

absl::Status NotJson() {
  return Error(absl::StatusCode::kInvalidArgument, "invalid_json", "body is not JSON");
}

}  // namespace

absl::StatusOr<WebhookEvent> ParseWebhookEventWith(EventParser parser, std::string_view body) {
  EventFields found;
  const bool read =
      parser == EventParser::kFast ? ReadFast(body, found) : ReadTolerantly(body, found);
  if (!read) return NotJson();
  return EventOf(found);
}

absl::StatusOr<WebhookEvent> ParseWebhookEvent(std::string_view body) {
  EventFields found;
  if (ReadFast(body, found)) return EventOf(found);
  found = EventFields{};
  if (ReadTolerantly(body, found)) return EventOf(found);
  return NotJson();
}

}  // namespace stagecheck::certn_plugin
