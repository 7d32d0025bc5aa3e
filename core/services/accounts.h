// Teams, users and API tokens: bootstrap from the CLI and authentication of
// every API call. Tokens are shown once and stored only as SHA-256 hashes.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/services/deps.h"

namespace stagecheck {

struct IssuedToken {
  TeamId team;
  UserId user;
  Role role = Role::kRecruiter;
  std::string token;  // the clear token: print once, never log
};

class Accounts {
 public:
  explicit Accounts(const Deps& deps) : deps_(deps) {}

  // A new team with its first admin and that admin's token.
  absl::StatusOr<IssuedToken> CreateTeam(std::string_view name);
  absl::StatusOr<IssuedToken> CreateToken(const TeamId& team, Role role,
                                          std::string_view user_name);
  // Unauthenticated for a missing, malformed or unknown token.
  absl::StatusOr<Principal> Authenticate(std::string_view token) const;

  absl::StatusOr<Team> GetTeam(const TeamId& team);
  absl::Status SetTeamDefaultPackage(const TeamId& team, std::optional<std::string> package_id);
  // The team's settings form: `default_package_id` when given (set, or clear
  // with nullopt inside), after checking `if_match` against EtagOf(team).
  absl::StatusOr<Team> UpdateTeamSettings(
      const TeamId& team, std::optional<std::optional<std::string>> default_package_id,
      const std::optional<std::string>& if_match);

 private:
  std::string NewToken() const;
  std::string HashToken(std::string_view token) const;

  Deps deps_;
};

}  // namespace stagecheck
