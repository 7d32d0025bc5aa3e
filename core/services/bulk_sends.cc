#include "core/services/bulk_sends.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {
namespace {

absl::Status InvalidSelection(std::string_view why) {
  return Error(absl::StatusCode::kInvalidArgument, "invalid_selection", why);
}

absl::Status TooLarge(size_t selected) {
  return Error(absl::StatusCode::kInvalidArgument, "selection_too_large",
               absl::StrCat("A bulk send takes at most ", kMaxBulkSelection,
                            " applications; this selection has ",
                            selected > kMaxBulkSelection ? absl::StrCat(selected) : "more",
                            ". Narrow it (a stage, a filter) and send in parts."));
}

// Skipped, not failed: nothing is wrong with the application, the send is
// simply not wanted (it has a check running, or it is no longer active).
bool IsSkip(std::string_view code) {
  return code == "check_already_active" || code == "application_not_active";
}

}  // namespace

absl::Status BulkSends::RegisterWork(WorkRunner& runner) {
  return runner.Register(
      std::string(kWorkBulkSendDrain),
      WorkHandler{.run = [this](const WorkItem& item) { return RunDrain(item); }});
}

absl::StatusOr<std::vector<ApplicationId>> BulkSends::ApplicationsInStage(UnitOfWork& uow,
                                                                          const Principal& who,
                                                                          const JobId& job,
                                                                          const StageId& stage) {
  ASSIGN_OR_RETURN(InterviewPlan plan, uow.GetPlan(who.team, job));
  if (plan.FindStage(stage) == nullptr) {
    return Error(absl::StatusCode::kNotFound, "stage_not_found",
                 "No such stage in this job's interview plan.");
  }
  ApplicationFilter filter;
  filter.job = job;
  filter.stage = stage;
  filter.sort = ApplicationSort::kName;
  // One page of the largest size: a next page means more than the cap.
  ASSIGN_OR_RETURN(
      Page<ApplicationSummary> page,
      uow.ListApplications(who.team, filter, PageRequest{static_cast<int>(kMaxBulkSelection), ""}));
  if (!page.next.empty()) return TooLarge(kMaxBulkSelection + 1);
  if (page.items.empty()) {
    return Error(absl::StatusCode::kFailedPrecondition, "empty_selection",
                 "No application is in this stage.");
  }
  std::vector<ApplicationId> ids;
  for (const ApplicationSummary& s : page.items) ids.push_back(s.application.id);
  return ids;
}

absl::StatusOr<std::vector<ApplicationId>> BulkSends::Resolve(UnitOfWork& uow, const Principal& who,
                                                              const BulkSelection& selection) {
  const bool by_stage = selection.job.has_value() || selection.stage.has_value();
  if (by_stage && !selection.applications.empty())
    return InvalidSelection("Select by application_ids or by job_id and stage_id, not both.");
  if (by_stage) {
    if (!selection.job || !selection.stage)
      return InvalidSelection("A stage is selected with both job_id and stage_id.");
    return ApplicationsInStage(uow, who, *selection.job, *selection.stage);
  }
  if (selection.applications.empty())
    return InvalidSelection("Select at least one application (application_ids).");
  // The same application twice is sent once, in the place it first appears.
  std::vector<ApplicationId> ids;
  std::set<ApplicationId> seen;
  for (const ApplicationId& id : selection.applications) {
    if (seen.insert(id).second) ids.push_back(id);
  }
  if (ids.size() > kMaxBulkSelection) return TooLarge(ids.size());
  for (const ApplicationId& id : ids) {
    // Another team's application reads as unknown: no ids leak across teams.
    absl::StatusOr<Application> app = uow.GetApplication(who.team, id);
    if (app.status().code() == absl::StatusCode::kNotFound) {
      return Error(absl::StatusCode::kNotFound, "application_not_found",
                   absl::StrCat("No application ", id.value(), " in this team."));
    }
    RETURN_IF_ERROR(app.status());
  }
  return ids;
}

absl::StatusOr<Created<BulkSendId>> BulkSends::Create(const Principal& who,
                                                      const BulkSelection& selection,
                                                      const std::optional<IdempotencyKey>& key) {
  if (selection.applications.size() > 10 * kMaxBulkSelection)
    return TooLarge(selection.applications.size());  // not worth deduplicating first
  // Outside the transaction: the vendor may be asked for its package list.
  if (selection.package_id) RETURN_IF_ERROR(sender_.CheckPackage(who.team, *selection.package_id));
  Created<BulkSendId> created;
  absl::Status status = TransactIdempotent(deps_.store, key, [&](UnitOfWork& uow) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, LookupIdempotency(uow, who.team, key));
    if (earlier) {
      created = {BulkSendId(*earlier), true};
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::vector<ApplicationId> ids, Resolve(uow, who, selection));
    const absl::Time now = deps_.clock.Now();
    BulkSend bulk{who.team, BulkSendId(deps_.ids.NewId()), who.user, selection.package_id, now, {}};
    for (size_t i = 0; i < ids.size(); ++i) {
      BulkSendEntry entry;
      entry.position = static_cast<int64_t>(i);
      entry.application = ids[i];
      entry.updated_at = now;
      bulk.entries.push_back(std::move(entry));
    }
    RETURN_IF_ERROR(uow.InsertBulkSend(bulk));
    WorkItem drain;
    drain.team = who.team;
    drain.id = WorkItemId(deps_.ids.NewId());
    drain.kind = std::string(kWorkBulkSendDrain);
    drain.subject = bulk.id.value();
    drain.dedupe_key = absl::StrCat(ToAbsl(kWorkBulkSendDrain), ":", bulk.id.value());
    drain.run_at = now;
    RETURN_IF_ERROR(uow.EnqueueWork(drain));
    created = {bulk.id, false};
    return RememberIdempotency(uow, who.team, key, 202, bulk.id.value(), now);
  });
  RETURN_IF_ERROR(status);
  if (!created.replayed) Notify();
  return created;
}

absl::StatusOr<BulkSend> BulkSends::Get(const Principal& who, const BulkSendId& id) {
  return InReadTransaction<BulkSend>(
      deps_.store, [&](UnitOfWork& uow) { return uow.GetBulkSend(who.team, id); });
}

absl::Status BulkSends::RunDrain(const WorkItem& item) {
  ASSIGN_OR_RETURN(BulkSend bulk, InReadTransaction<BulkSend>(deps_.store, [&](UnitOfWork& uow) {
                     return uow.GetBulkSend(item.team, BulkSendId(item.subject));
                   }));
  int in_flight = 0;
  std::vector<const BulkSendEntry*> pending;
  for (const BulkSendEntry& e : bulk.entries) {
    if (e.step == BulkEntryStep::kPending) pending.push_back(&e);
    if (e.step == BulkEntryStep::kHanded && ProgressOf(e).state == BulkEntryState::kQueued)
      ++in_flight;
  }
  if (pending.empty()) return absl::OkStatus();  // every entry is handed over: done
  const size_t room = static_cast<size_t>(std::max(options_.max_in_flight - in_flight, 0));
  const size_t batch = std::min(room, pending.size());
  for (size_t i = 0; i < batch; ++i) RETURN_IF_ERROR(HandOver(bulk, *pending[i]));
  if (batch == pending.size()) return absl::OkStatus();
  // Entries wait: this same item runs again shortly (a planned deferral, not
  // an attempt), after the work that is due meanwhile, other teams' included.
  return WithRetryAfter(Error(absl::StatusCode::kUnavailable, "next_batch_scheduled",
                              "the bulk send's next entries are handed over shortly"),
                        options_.next_batch);
}

absl::Status BulkSends::HandOver(const BulkSend& bulk, BulkSendEntry entry) {
  const Principal who{bulk.team, bulk.requested_by, Role::kRecruiter};
  const IdempotencyKey key{absl::StrCat("bulk:", bulk.id.value(), ":", entry.application.value()),
                           "bulk-send"};
  absl::StatusOr<CheckId> sent = sender_.SendForBulk(who, entry.application, bulk.package_id, key);
  if (!sent.ok() && (IsTransient(sent.status()) || RetryAfterOf(sent.status()))) {
    return sent.status();
  }
  if (sent.ok()) {
    entry.step = BulkEntryStep::kHanded;
    entry.check = *sent;
  } else {
    const std::string code = ErrorCode(sent.status());
    entry.step = IsSkip(code) ? BulkEntryStep::kSkipped : BulkEntryStep::kFailed;
    entry.reason = code;
  }
  entry.updated_at = deps_.clock.Now();
  return deps_.store.Transact(
      [&](UnitOfWork& uow) { return uow.UpdateBulkSendEntry(bulk.team, bulk.id, entry); });
}

}  // namespace stagecheck
