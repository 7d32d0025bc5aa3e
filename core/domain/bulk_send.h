// A bulk send: one request that sends a background check to many selected
// applications (docs/architecture.md, "Bulk send"). Each application is one
// entry; the durable bulk_send.drain work item hands entries to the check
// sender a few at a time, so the orders drain within the vendor's rate limit
// and other teams' work is never stuck behind a large selection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "core/domain/check_status.h"
#include "core/ids.h"

namespace stagecheck {

// What the drain recorded for one entry.
enum class BulkEntryStep {
  kPending,  // not handed to the sender yet
  kHanded,   // a check was created for it (BulkSendEntry::check)
  kSkipped,  // nothing was sent, on purpose (an active check, an inactive application)
  kFailed,   // the send was refused (no email, no package, ...)
};
std::string_view StepName(BulkEntryStep step);
std::optional<BulkEntryStep> ParseStep(std::string_view name);

// What a recruiter sees of one entry.
enum class BulkEntryState { kQueued, kSent, kSkipped, kFailed };
std::string_view StateName(BulkEntryState state);

struct BulkSendEntry {
  int64_t position = 0;  // order of the selection
  ApplicationId application;
  BulkEntryStep step = BulkEntryStep::kPending;
  std::string reason;  // an error code when skipped or failed
  std::optional<CheckId> check;
  absl::Time updated_at;
  // Read with the entry: the candidate's "First Last", and where its check
  // is (absent before it is handed over).
  std::string candidate_name;
  std::optional<CheckStatus> check_status;
  bool check_ordered = false;  // the vendor has the order (the check has its case)
  std::string check_error_reason;
};

// An entry's state for the recruiter: handed over counts as sent once the
// vendor has the order; an order the vendor refused is a failure with the
// check's reason.
struct BulkEntryProgress {
  BulkEntryState state = BulkEntryState::kQueued;
  std::string reason;
};
BulkEntryProgress ProgressOf(const BulkSendEntry& entry);

struct BulkSend {
  TeamId team;
  BulkSendId id;
  UserId requested_by;
  std::optional<std::string> package_id;  // the recruiter's choice, else each plan's default
  absl::Time created_at;
  std::vector<BulkSendEntry> entries;  // by position

  // Done once no entry is queued.
  bool Done() const;
};

}  // namespace stagecheck
