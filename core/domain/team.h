#pragma once

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "core/ids.h"

namespace stagecheck {

// A tenant. Everything else belongs to exactly one team.
struct Team {
  TeamId id;
  std::string name;
  std::optional<std::string> default_package_id;
  absl::Time created_at;
};

// The vendor's own model: an admin does everything; a recruiter sends checks and sees
// status, result and report; a coordinator sends and sees status and result
// but not the report; a viewer sees status only. Which role may call which
// route is one table, kGrants (adapters/http/api/route_table.cc).
enum class Role { kAdmin, kRecruiter, kCoordinator, kViewer };

std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

// Who is calling, after authentication.
struct Principal {
  TeamId team;
  UserId user;
  Role role = Role::kRecruiter;
};

struct User {
  TeamId team;
  UserId id;
  std::string name;  // the display name the feed shows ("Dana Lee")
  Role role = Role::kRecruiter;
  absl::Time created_at;
  std::optional<std::string> email;
  // A deactivated user's tokens stop working at once.
  std::optional<absl::Time> deactivated_at;
};

// An API token as stored: only its SHA-256 hash is kept. `id` names it in the
// API (list, revoke) and is not a secret.
struct ApiToken {
  TeamId team;
  UserId user;
  Role role = Role::kRecruiter;
  std::string token_hash;
  absl::Time created_at;
  TokenId id;
  std::string name;
  std::optional<absl::Time> expires_at;
  std::optional<absl::Time> revoked_at;
  std::optional<absl::Time> last_used_at;  // coalesced: written at most once a minute
};

// What authentication reads for a token hash: the token of a user who is
// active, not revoked (expiry is the caller's to judge, by its clock).
struct TokenLookup {
  Principal who;
  TokenId token;
  std::optional<absl::Time> expires_at;
  std::optional<absl::Time> last_used_at;
};

}  // namespace stagecheck
