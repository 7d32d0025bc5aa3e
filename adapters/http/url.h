// URL pieces shared by the server (path decoding), the router (segment
// decoding) and Request::QueryParam.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stagecheck::http {

// Decodes %XX escapes (and '+' as a space when `plus_as_space`, for query
// strings). nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_as_space = false);

// ASCII case-insensitive equality (header names).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace stagecheck::http
