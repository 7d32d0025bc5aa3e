#include "plugin/certn/addressees.h"

#include "core/strings.h"

namespace stagecheck::certn_plugin {

template <typename T>
std::optional<T> AddresseeCache::Find(const Map<T>& map, std::string_view key, Stamp at) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map.find(ToAbsl(key));
  if (it == map.end() || at.now >= it->second.until) return std::nullopt;
  // Read before an integration write of this process: maybe older than it.
  if (it->second.generation != at.generation) return std::nullopt;
  return it->second.value;
}

template <typename T>
void AddresseeCache::Put(Map<T>& map, std::string_view key, const T& value, Stamp at,
                         absl::Duration fresh) {
  std::lock_guard<std::mutex> lock(mu_);
  if (map.size() >= kPruneAbove) {
    absl::erase_if(map, [&at](const auto& kv) { return at.now >= kv.second.until; });
    if (map.size() > kPruneAbove / 2) map.clear();  // mostly fresh: a flood, start over
  }
  map.insert_or_assign(std::string(key), Entry<T>{value, at.now + fresh, at.generation});
}

std::optional<TeamId> AddresseeCache::TeamOf(std::string_view certn_team_id, Stamp at) const {
  return Find(teams_, certn_team_id, at);
}

std::optional<CaseCheck> AddresseeCache::CheckOf(std::string_view case_id, Stamp at) const {
  return Find(checks_, case_id, at);
}

std::shared_ptr<const CertnIntegration> AddresseeCache::IntegrationOf(const TeamId& team,
                                                                      Stamp at) const {
  return Find(integrations_, team.value(), at).value_or(nullptr);
}

void AddresseeCache::RememberTeam(std::string_view certn_team_id, const TeamId& team, Stamp at) {
  Put(teams_, certn_team_id, team, at, fresh_for_);
}

void AddresseeCache::RememberCheck(std::string_view case_id, const CaseCheck& check, Stamp at) {
  Put(checks_, case_id, check, at, case_fresh_for_);
}

void AddresseeCache::RememberIntegration(std::shared_ptr<const CertnIntegration> integration,
                                         Stamp at) {
  if (integration == nullptr) return;
  Put(integrations_, integration->team.value(), integration, at, fresh_for_);
}

}  // namespace stagecheck::certn_plugin
