#include "core/services/accounts.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "core/domain/etag.h"
#include "core/errors.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {
namespace {
constexpr std::string_view kTokenPrefix = "sc_";
constexpr size_t kTokenRandomBytes = 32;
constexpr size_t kMaxTeamNameLength = 200;
}  // namespace

std::string Accounts::NewToken() const {
  return std::string(kTokenPrefix) + HexEncode(deps_.crypto.RandomBytes(kTokenRandomBytes));
}

std::string Accounts::HashToken(std::string_view token) const {
  return HexEncode(deps_.crypto.Sha256(token));
}

absl::StatusOr<IssuedToken> Accounts::CreateTeam(std::string_view raw_name) {
  std::string name(absl::StripAsciiWhitespace(ToAbsl(raw_name)));
  if (name.empty() || name.size() > kMaxTeamNameLength) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_team_name",
                 "team name must be 1 to 200 characters");
  }
  absl::Time now = deps_.clock.Now();
  IssuedToken issued{TeamId(deps_.ids.NewId()), UserId(deps_.ids.NewId()), Role::kAdmin,
                     NewToken()};
  absl::Status status = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    RETURN_IF_ERROR(uow.InsertTeam(Team{issued.team, name, std::nullopt, now}));
    if (auto s = uow.InsertUser(User{issued.team, issued.user, "admin", Role::kAdmin, now});
        !s.ok()) {
      return s;
    }
    return uow.InsertToken(
        ApiToken{issued.team, issued.user, Role::kAdmin, HashToken(issued.token), now});
  });
  if (!status.ok()) return status;
  return issued;
}

absl::StatusOr<IssuedToken> Accounts::CreateToken(const TeamId& team, Role role,
                                                  std::string_view user_name) {
  absl::Time now = deps_.clock.Now();
  IssuedToken issued{team, UserId(deps_.ids.NewId()), role, NewToken()};
  std::string name = user_name.empty() ? std::string(RoleName(role)) : std::string(user_name);
  absl::Status status = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    if (auto t = uow.GetTeam(team); !t.ok()) return t.status();
    RETURN_IF_ERROR(uow.InsertUser(User{team, issued.user, name, role, now}));
    return uow.InsertToken(ApiToken{team, issued.user, role, HashToken(issued.token), now});
  });
  if (!status.ok()) return status;
  return issued;
}

absl::StatusOr<Principal> Accounts::Authenticate(std::string_view token) const {
  if (!absl::StartsWith(ToAbsl(token), ToAbsl(kTokenPrefix)) || token.size() > 200) {
    return Error(absl::StatusCode::kUnauthenticated, "invalid_token", "the API token is not valid");
  }
  std::string hash = HashToken(token);
  absl::StatusOr<Principal> principal = InReadTransaction<Principal>(
      deps_.store, [&](UnitOfWork& uow) { return uow.FindPrincipalByTokenHash(hash); });
  if (principal.status().code() == absl::StatusCode::kNotFound) {
    return Error(absl::StatusCode::kUnauthenticated, "invalid_token", "the API token is not valid");
  }
  return principal;
}

absl::StatusOr<Team> Accounts::GetTeam(const TeamId& team) {
  return InReadTransaction<Team>(deps_.store, [&](UnitOfWork& uow) { return uow.GetTeam(team); });
}

absl::Status Accounts::SetTeamDefaultPackage(const TeamId& team,
                                             std::optional<std::string> package_id) {
  return UpdateTeamSettings(team, std::move(package_id), std::nullopt).status();
}

absl::StatusOr<Team> Accounts::UpdateTeamSettings(
    const TeamId& team, std::optional<std::optional<std::string>> default_package_id,
    const std::optional<std::string>& if_match) {
  return InTransaction<Team>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Team> {
    absl::StatusOr<Team> t = uow.GetTeam(team);
    if (!t.ok()) return t.status();
    RETURN_IF_ERROR(CheckIfMatch(if_match, EtagOf(*t)));
    if (!default_package_id) return t;
    t->default_package_id = *default_package_id;
    RETURN_IF_ERROR(uow.UpdateTeam(*t));
    return t;
  });
}

}  // namespace stagecheck
