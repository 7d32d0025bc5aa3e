// Teams, users and API tokens: bootstrap from the CLI and authentication of
// every API call. Tokens are shown once and stored only as SHA-256 hashes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/services/deps.h"

namespace stagecheck {

struct IssuedToken {
  TeamId team;
  UserId user;
  Role role = Role::kRecruiter;
  std::string token;  // the clear token: print once, never log
  TokenId id;
};

// What an admin fills in to add a user.
struct NewUser {
  std::string name;
  std::string email;
  std::string role;  // "admin", "recruiter", "coordinator", "viewer"
};

// What an admin fills in to issue a token to a user.
struct TokenRequest {
  std::string name;
  std::optional<absl::Time> expires_at;
};

// A token just issued: its stored row and the clear token, shown once.
struct IssuedApiToken {
  ApiToken row;
  std::string token;  // never log
};

// How often a token's last_used_at is written at most: authentication reads
// on every request and writes only when the stored time is older than this.
inline constexpr absl::Duration kTokenUseGranularity = absl::Minutes(1);

class Accounts {
 public:
  explicit Accounts(const Deps& deps) : deps_(deps) {}

  // A new team with its first admin and that admin's token.
  absl::StatusOr<IssuedToken> CreateTeam(std::string_view name);
  absl::StatusOr<IssuedToken> CreateToken(const TeamId& team, Role role,
                                          std::string_view user_name);
  // Unauthenticated for a missing, malformed, unknown, revoked or expired
  // token, or one of a deactivated user. Reads the store on every call (no
  // cache), so a revocation on one replica is seen by all at once; writes the
  // token's last use at most once per kTokenUseGranularity.
  absl::StatusOr<Principal> Authenticate(std::string_view token) const;

  // Users and their tokens, managed by an admin of `who`'s team.
  absl::StatusOr<std::vector<User>> ListUsers(const Principal& who);
  absl::StatusOr<User> CreateUser(const Principal& who, const NewUser& user);
  // 409 cannot_deactivate_self for the caller's own user.
  absl::StatusOr<User> DeactivateUser(const Principal& who, const UserId& user);
  absl::StatusOr<std::vector<ApiToken>> ListTokens(const Principal& who, const UserId& user);
  // 409 user_deactivated for a deactivated user.
  absl::StatusOr<IssuedApiToken> IssueToken(const Principal& who, const UserId& user,
                                            const TokenRequest& token);
  absl::Status RevokeToken(const Principal& who, const UserId& user, const TokenId& token);

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
  ApiToken TokenRow(const User& user, const std::string& clear, std::string name) const;
  void NoteUse(const TokenLookup& found, absl::Time now) const;

  Deps deps_;
};

}  // namespace stagecheck
