// A small streaming JSON writer (RapidJSON underneath, kept out of this header)
// for response bodies: escaping is always right and nothing is built twice.
//
//   JsonWriter w;
//   w.StartObject().Field("id", id).Field("count", int64_t{3}).EndObject();
//   Response::Json(200, w.Take());
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace stagecheck::http {

class JsonWriter {
 public:
  JsonWriter();
  ~JsonWriter();
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& StartObject();
  JsonWriter& EndObject();
  JsonWriter& StartArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  // Key + value in one call. The const char* overload exists because a string
  // literal would otherwise pick the bool overload.
  JsonWriter& Field(std::string_view key, std::string_view value);
  JsonWriter& Field(std::string_view key, const char* value);
  JsonWriter& Field(std::string_view key, int64_t value);
  JsonWriter& Field(std::string_view key, int value);
  JsonWriter& Field(std::string_view key, double value);
  JsonWriter& Field(std::string_view key, bool value);

  // The text written so far; the writer is empty afterwards.
  std::string Take();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagecheck::http
