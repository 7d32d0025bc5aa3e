#include "core/domain/settings.h"

namespace stagecheck {
namespace {

template <typename T>
std::optional<T> Get(const std::map<std::string, SettingValue>& values, const std::string& key) {
  auto it = values.find(key);
  if (it == values.end()) return std::nullopt;
  if (const T* v = std::get_if<T>(&it->second)) return *v;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ActivitySettings::GetString(const std::string& key) const {
  return Get<std::string>(values_, key);
}
std::optional<bool> ActivitySettings::GetBool(const std::string& key) const {
  return Get<bool>(values_, key);
}
std::optional<int64_t> ActivitySettings::GetInt(const std::string& key) const {
  return Get<int64_t>(values_, key);
}

}  // namespace stagecheck
