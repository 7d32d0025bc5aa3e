// Accounts: an admin's management of the team's users and their API tokens.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "core/errors.h"
#include "core/services/accounts.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {
namespace {

constexpr size_t kMaxNameLength = 200;
constexpr size_t kMaxEmailLength = 254;
constexpr size_t kMaxTokenNameLength = 100;

absl::Status Invalid(std::string_view code, std::string_view message, std::string_view field) {
  return WithField(Error(absl::StatusCode::kInvalidArgument, code, message), field);
}

// A trimmed, non-empty text of at most `max` characters.
absl::StatusOr<std::string> Trimmed(std::string_view raw, size_t max, std::string_view code,
                                    std::string_view message, std::string_view field) {
  std::string text(absl::StripAsciiWhitespace(ToAbsl(raw)));
  if (text.empty() || text.size() > max) return Invalid(code, message, field);
  return text;
}

absl::StatusOr<User> ValidUser(const NewUser& in) {
  ASSIGN_OR_RETURN(std::string name, Trimmed(in.name, kMaxNameLength, "invalid_name",
                                             "the name must be 1 to 200 characters", "name"));
  ASSIGN_OR_RETURN(std::string email,
                   Trimmed(in.email, kMaxEmailLength, "invalid_email",
                           "the email must look like name@example.com", "email"));
  size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == email.size() ||
      email.find_first_of(" \t\r\n") != std::string::npos) {
    return Invalid("invalid_email", "the email must look like name@example.com", "email");
  }
  std::optional<Role> role = ParseRole(in.role);
  if (!role) {
    return Invalid("invalid_role", "the role must be admin, recruiter, coordinator or viewer",
                   "role");
  }
  User user;
  user.name = std::move(name);
  user.email = absl::AsciiStrToLower(email);
  user.role = *role;
  return user;
}

}  // namespace

absl::StatusOr<std::vector<User>> Accounts::ListUsers(const Principal& who) {
  return InReadTransaction<std::vector<User>>(
      deps_.store, [&](UnitOfWork& uow) { return uow.ListUsers(who.team); });
}

absl::StatusOr<User> Accounts::CreateUser(const Principal& who, const NewUser& in) {
  ASSIGN_OR_RETURN(User user, ValidUser(in));
  user.team = who.team;
  user.id = UserId(deps_.ids.NewId());
  user.created_at = deps_.clock.Now();
  absl::Status s = deps_.store.Transact([&](UnitOfWork& uow) { return uow.InsertUser(user); });
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return WithField(Error(absl::StatusCode::kAlreadyExists, "email_taken",
                           "a user of the team already has this email"),
                     "email");
  }
  if (!s.ok()) return s;
  return user;
}

absl::StatusOr<User> Accounts::DeactivateUser(const Principal& who, const UserId& user) {
  if (user == who.user) {
    return Error(absl::StatusCode::kFailedPrecondition, "cannot_deactivate_self",
                 "you cannot deactivate yourself; ask another admin");
  }
  return InTransaction<User>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<User> {
    RETURN_IF_ERROR(uow.DeactivateUser(who.team, user, deps_.clock.Now()));
    return uow.GetUser(who.team, user);
  });
}

absl::StatusOr<std::vector<ApiToken>> Accounts::ListTokens(const Principal& who,
                                                           const UserId& user) {
  return InReadTransaction<std::vector<ApiToken>>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<std::vector<ApiToken>> {
        RETURN_IF_ERROR(uow.GetUser(who.team, user).status());
        return uow.ListTokens(who.team, user);
      });
}

absl::StatusOr<IssuedApiToken> Accounts::IssueToken(const Principal& who, const UserId& user,
                                                    const TokenRequest& in) {
  ASSIGN_OR_RETURN(std::string name,
                   Trimmed(in.name, kMaxTokenNameLength, "invalid_token_name",
                           "the token's name must be 1 to 100 characters", "name"));
  if (in.expires_at && *in.expires_at <= deps_.clock.Now()) {
    return Invalid("invalid_expiry", "the expiry must be in the future", "expires_at");
  }
  std::string clear = NewToken();
  return InTransaction<IssuedApiToken>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<IssuedApiToken> {
        ASSIGN_OR_RETURN(User owner, uow.GetUser(who.team, user));
        if (owner.deactivated_at) {
          return Error(absl::StatusCode::kFailedPrecondition, "user_deactivated",
                       "the user is deactivated");
        }
        IssuedApiToken issued{TokenRow(owner, clear, name), clear};
        issued.row.expires_at = in.expires_at;
        RETURN_IF_ERROR(uow.InsertToken(issued.row));
        return issued;
      });
}

absl::Status Accounts::RevokeToken(const Principal& who, const UserId& user, const TokenId& token) {
  return deps_.store.Transact(
      [&](UnitOfWork& uow) { return uow.RevokeToken(who.team, user, token, deps_.clock.Now()); });
}

}  // namespace stagecheck
