// Activity settings as the core sees them: a flat map of typed values. The
// HTTP edge turns JSON into this, the store serialises it; the core never
// sees raw JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace stagecheck {

using SettingValue = std::variant<bool, int64_t, std::string>;

class ActivitySettings {
 public:
  void Set(std::string key, SettingValue value) { values_[std::move(key)] = std::move(value); }
  bool Has(const std::string& key) const { return values_.contains(key); }
  std::optional<std::string> GetString(const std::string& key) const;
  std::optional<bool> GetBool(const std::string& key) const;
  std::optional<int64_t> GetInt(const std::string& key) const;
  const std::map<std::string, SettingValue>& values() const { return values_; }

  friend bool operator==(const ActivitySettings&, const ActivitySettings&) = default;

 private:
  std::map<std::string, SettingValue> values_;
};

}  // namespace stagecheck
