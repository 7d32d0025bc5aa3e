// What the Certn plugin's send use cases share across their files
// (sends.cc decides, checks.cc queues): the plan a send has decided and the
// errors every way of sending answers alike. Private to plugin/certn.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "core/errors.h"
#include "plugin/certn/checks.h"

namespace stagecheck::certn_plugin {

// Everything a send has decided before it writes.
struct Checks::SendPlan {
  TeamId team;
  CandidateId candidate;
  std::optional<ApplicationId> application;
  std::optional<ActivityId> activity;
  std::string package_id;
  std::string package_name;
  SendTrigger trigger = SendTrigger::kManual;
  bool has_email = false;
  // A re-order: the ended check it replaces, and how that one ended (words).
  std::optional<CheckId> reordered_from;
  std::string reorder_note;
};

// The feed's actor for a person.
inline std::string Actor(const Principal& who) { return "user:" + who.user.value(); }

inline absl::Status NoEmail() {
  return Error(absl::StatusCode::kFailedPrecondition, "no_email",
               "This candidate has no email address, so Certn cannot invite them.");
}

}  // namespace stagecheck::certn_plugin
