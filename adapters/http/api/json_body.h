// Request bodies: content type checked, JSON parsed, validated against the
// request's schema (the same schemas docs/openapi.yaml shows), then read
// through typed accessors. RapidJSON stays inside json_body.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/http/http.h"
#include "core/domain/settings.h"

namespace stagecheck::http {

class JsonBody {
 public:
  // UnsupportedMediaType-coded error for a non-JSON content type, invalid_json
  // for bad JSON, invalid_body (naming the offending field) when the schema
  // refuses it. An empty body counts as {} for schemas that allow it.
  static absl::StatusOr<JsonBody> Parse(const Request& request, std::string_view schema);

  bool Has(const char* field) const;
  bool IsNull(const char* field) const;
  std::optional<std::string> String(const char* field) const;
  std::optional<bool> Bool(const char* field) const;
  std::optional<int64_t> Int(const char* field) const;
  std::optional<std::vector<std::string>> Strings(const char* field) const;
  // A JSON object of scalars (activity settings).
  // Nested objects, arrays, floats and nulls are refused (invalid_body).
  absl::StatusOr<ActivitySettings> Settings(const char* field) const;

 private:
  struct Doc;
  std::shared_ptr<Doc> doc_;
};

// The request schemas by name (JSON Schema, the subset draft-04 and 2020-12
// read alike). Exposed so a test can compare them with docs/openapi.yaml.
const std::vector<std::pair<std::string, std::string>>& RequestSchemas();

}  // namespace stagecheck::http
