#include "core/domain/team.h"

namespace stagecheck {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kRecruiter:
      return "recruiter";
    case Role::kCoordinator:
      return "coordinator";
    case Role::kViewer:
      return "viewer";
  }
  return "recruiter";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "recruiter") return Role::kRecruiter;
  if (name == "coordinator") return Role::kCoordinator;
  if (name == "viewer") return Role::kViewer;
  return std::nullopt;
}

}  // namespace stagecheck
