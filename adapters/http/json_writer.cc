#include "adapters/http/json_writer.h"

#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace stagecheck::http {

struct JsonWriter::Impl {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
};

JsonWriter::JsonWriter() : impl_(std::make_unique<Impl>()) {}
JsonWriter::~JsonWriter() = default;

JsonWriter& JsonWriter::StartObject() {
  impl_->writer.StartObject();
  return *this;
}
JsonWriter& JsonWriter::EndObject() {
  impl_->writer.EndObject();
  return *this;
}
JsonWriter& JsonWriter::StartArray() {
  impl_->writer.StartArray();
  return *this;
}
JsonWriter& JsonWriter::EndArray() {
  impl_->writer.EndArray();
  return *this;
}
JsonWriter& JsonWriter::Key(std::string_view key) {
  impl_->writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  return *this;
}
JsonWriter& JsonWriter::String(std::string_view value) {
  impl_->writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  return *this;
}
JsonWriter& JsonWriter::Int(int64_t value) {
  impl_->writer.Int64(value);
  return *this;
}
JsonWriter& JsonWriter::Double(double value) {
  impl_->writer.Double(value);
  return *this;
}
JsonWriter& JsonWriter::Bool(bool value) {
  impl_->writer.Bool(value);
  return *this;
}
JsonWriter& JsonWriter::Null() {
  impl_->writer.Null();
  return *this;
}

JsonWriter& JsonWriter::Field(std::string_view key, std::string_view value) {
  return Key(key).String(value);
}
JsonWriter& JsonWriter::Field(std::string_view key, const char* value) {
  return Key(key).String(value);
}
JsonWriter& JsonWriter::Field(std::string_view key, int64_t value) { return Key(key).Int(value); }
JsonWriter& JsonWriter::Field(std::string_view key, int value) { return Key(key).Int(value); }
JsonWriter& JsonWriter::Field(std::string_view key, double value) { return Key(key).Double(value); }
JsonWriter& JsonWriter::Field(std::string_view key, bool value) { return Key(key).Bool(value); }

std::string JsonWriter::Take() {
  std::string out(impl_->buffer.GetString(), impl_->buffer.GetSize());
  impl_->buffer.Clear();
  impl_->writer.Reset(impl_->buffer);
  return out;
}

}  // namespace stagecheck::http
