#include "plugin/certn/domain/integration.h"

#include <array>

namespace stagecheck {
namespace {

constexpr std::array<std::pair<CertnRegion, std::string_view>, 4> kRegions = {{
    {CertnRegion::kNorthAmerica, "north_america"},
    {CertnRegion::kUkEmea, "uk_emea"},
    {CertnRegion::kApac, "apac"},
    {CertnRegion::kSandbox, "sandbox"},
}};

constexpr std::array<std::pair<ConnectionStatus, std::string_view>, 5> kConnection = {{
    {ConnectionStatus::kUnverified, "unverified"},
    {ConnectionStatus::kConnected, "connected"},
    {ConnectionStatus::kInvalidKey, "invalid_key"},
    {ConnectionStatus::kUnreachable, "unreachable"},
    {ConnectionStatus::kWrongRegion, "wrong_region"},
}};

template <typename E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return table[0].second;
}

template <typename E, size_t N>
std::optional<E> Parse(const std::array<std::pair<E, std::string_view>, N>& table,
                       std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view RegionName(CertnRegion region) { return NameOf(kRegions, region); }
std::optional<CertnRegion> ParseRegion(std::string_view name) { return Parse(kRegions, name); }
std::string_view ConnectionStatusName(ConnectionStatus s) { return NameOf(kConnection, s); }
std::optional<ConnectionStatus> ParseConnectionStatus(std::string_view name) {
  return Parse(kConnection, name);
}

std::string MaskSecret(std::string_view last4) {
  return "\u2022\u2022\u2022\u2022" +
         std::string(last4.substr(last4.size() > 4 ? last4.size() - 4 : 0));
}

}  // namespace stagecheck
