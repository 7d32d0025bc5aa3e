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

ApiToken Accounts::TokenRow(const User& user, const std::string& clear, std::string name) const {
  ApiToken t;
  t.team = user.team;
  t.user = user.id;
  t.role = user.role;
  t.token_hash = HashToken(clear);
  t.created_at = deps_.clock.Now();
  t.id = TokenId("tok_" + deps_.ids.NewId());
  t.name = std::move(name);
  return t;
}

absl::StatusOr<IssuedToken> Accounts::CreateTeam(std::string_view raw_name) {
  std::string name(absl::StripAsciiWhitespace(ToAbsl(raw_name)));
  if (name.empty() || name.size() > kMaxTeamNameLength) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_team_name",
                 "team name must be 1 to 200 characters");
  }
  absl::Time now = deps_.clock.Now();
  User admin{TeamId(deps_.ids.NewId()),
             UserId(deps_.ids.NewId()),
             "admin",
             Role::kAdmin,
             now,
             std::nullopt,
             std::nullopt};
  std::string clear = NewToken();
  ApiToken token = TokenRow(admin, clear, "bootstrap");
  absl::Status status = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    RETURN_IF_ERROR(uow.InsertTeam(Team{admin.team, name, std::nullopt, now}));
    RETURN_IF_ERROR(uow.InsertUser(admin));
    return uow.InsertToken(token);
  });
  if (!status.ok()) return status;
  return IssuedToken{admin.team, admin.id, Role::kAdmin, clear, token.id};
}

absl::StatusOr<IssuedToken> Accounts::CreateToken(const TeamId& team, Role role,
                                                  std::string_view user_name) {
  absl::Time now = deps_.clock.Now();
  std::string name = user_name.empty() ? std::string(RoleName(role)) : std::string(user_name);
  User user{team, UserId(deps_.ids.NewId()), name, role, now, std::nullopt, std::nullopt};
  std::string clear = NewToken();
  ApiToken token = TokenRow(user, clear, "cli");
  absl::Status status = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    if (auto t = uow.GetTeam(team); !t.ok()) return t.status();
    RETURN_IF_ERROR(uow.InsertUser(user));
    return uow.InsertToken(token);
  });
  if (!status.ok()) return status;
  return IssuedToken{team, user.id, role, clear, token.id};
}

absl::StatusOr<Principal> Accounts::Authenticate(std::string_view token) const {
  absl::Status invalid =
      Error(absl::StatusCode::kUnauthenticated, "invalid_token", "the API token is not valid");
  if (!absl::StartsWith(ToAbsl(token), ToAbsl(kTokenPrefix)) || token.size() > 200) return invalid;
  std::string hash = HashToken(token);
  absl::StatusOr<TokenLookup> found = InReadTransaction<TokenLookup>(
      deps_.store, [&](UnitOfWork& uow) { return uow.FindTokenByHash(hash); });
  if (found.status().code() == absl::StatusCode::kNotFound) return invalid;
  if (!found.ok()) return found.status();
  absl::Time now = deps_.clock.Now();
  if (found->expires_at && *found->expires_at <= now) {
    return Error(absl::StatusCode::kUnauthenticated, "token_expired", "the API token has expired");
  }
  NoteUse(*found, now);
  return found->who;
}

// Writes the token's last use when the stored one is older than the
// granularity: one write a minute per token at most, whatever the traffic. A
// failure to write is logged, never the caller's problem.
void Accounts::NoteUse(const TokenLookup& found, absl::Time now) const {
  if (found.last_used_at && now - *found.last_used_at < kTokenUseGranularity) return;
  absl::Status s = deps_.store.Transact([&](UnitOfWork& uow) {
    return uow.TouchToken(found.who.team, found.token, now, now - kTokenUseGranularity);
  });
  if (!s.ok()) {
    deps_.log.Log(LogLevel::kWarning, "token.last_used_not_saved",
                  {{"token_id", found.token.value()}, {"error", ToStd(s.message())}});
  }
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
