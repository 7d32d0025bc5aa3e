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

enum class Role { kAdmin, kRecruiter };

std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

struct User {
  TeamId team;
  UserId id;
  std::string name;
  Role role = Role::kRecruiter;
  absl::Time created_at;
};

// An API token as stored: only its SHA-256 hash is kept.
struct ApiToken {
  TeamId team;
  UserId user;
  Role role = Role::kRecruiter;
  std::string token_hash;
  absl::Time created_at;
};

// Who is calling, after authentication.
struct Principal {
  TeamId team;
  UserId user;
  Role role = Role::kRecruiter;
};

}  // namespace stagecheck
