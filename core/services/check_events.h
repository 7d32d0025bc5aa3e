// The outbox of outbound webhooks (issue 20): the events a change of a check
// or an application causes, written in the transaction of that change. Write
// a check with InsertCheckWithEvents / UpdateCheckWithEvents and an
// application with UpdateApplicationWithEvents instead of the unit of work's
// own methods: each compares the stored row with the one about to be written
// (RecordCheckEvents, RecordApplicationEvents), so callers say nothing about
// what changed. (A caller that read the check in the same transaction may
// hand over what it read, StoredCheck, instead of a second read.)
//
// A change becomes events (docs/outbound-webhooks.md):
//   new check                      check.created
//   another status                 check.status_changed, and check.completed,
//                                  check.error or check.cancelled for those
//   our copy of the report saved   check.report_ready
//   an application in another stage application.moved
// The same comparison writes the notifications for people
// (core/services/notifications.h: completed, needs review, error).
// An event is stored only when an enabled endpoint of the team subscribes to
// it, numbered per check (or application) so a receiver can order them, with
// one delivery and one `webhook.deliver` work item per such endpoint.
#pragma once

#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "core/services/deps.h"

namespace stagecheck {

inline constexpr std::string_view kWorkWebhookDeliver = "webhook.deliver";

// The `webhook.deliver` work item of one delivery, due at `at`.
WorkItem DeliveryWork(const Deps& deps, const TeamId& team, const std::string& delivery,
                      absl::Time at);

// What the comparison needs of the stored row: its status and whether our
// copy of its report was saved.
struct StoredCheck {
  CheckStatus status;
  bool report_saved = false;
};
StoredCheck StoredCheckOf(const BackgroundCheck& stored);

// Reads the stored row (none: a new check) and compares.
absl::Status RecordCheckEvents(UnitOfWork& uow, const Deps& deps, const BackgroundCheck& check);
// Compares with `stored`, which the caller read in this transaction and
// noted before changing the check: one read of the row fewer.
absl::Status RecordCheckEvents(UnitOfWork& uow, const Deps& deps, const BackgroundCheck& check,
                               const std::optional<StoredCheck>& stored);
absl::Status RecordApplicationEvents(UnitOfWork& uow, const Deps& deps,
                                     const Application& application);

// The events, then uow.InsertCheck / UpdateCheck / UpdateApplication.
absl::Status InsertCheckWithEvents(UnitOfWork& uow, const Deps& deps, const BackgroundCheck& check);
absl::Status UpdateCheckWithEvents(UnitOfWork& uow, const Deps& deps, const BackgroundCheck& check);
// The same, compared with `stored` (RecordCheckEvents above).
absl::Status UpdateCheckWithEvents(UnitOfWork& uow, const Deps& deps, const BackgroundCheck& check,
                                   const StoredCheck& stored);
absl::Status UpdateApplicationWithEvents(UnitOfWork& uow, const Deps& deps,
                                         const Application& application);

}  // namespace stagecheck
