// The life of a Certn background check: send (manual, auto-send, ad hoc),
// apply what Certn says about the case, refresh, inline report. Every Certn
// call that creates something goes through the durable outbox (WorkItem), so
// a crash between deciding and Certn answering neither loses nor duplicates
// an order.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/services/check_lifecycle.h"
#include "core/services/deps.h"
#include "core/services/work_runner.h"
#include "plugin/certn/integrations.h"
#include "plugin/certn/ports/certn_gateway.h"

namespace stagecheck::certn_plugin {

inline constexpr std::string_view kWorkOrder = "certn.order";
inline constexpr std::string_view kWorkFetchCase = "certn.fetch_case";
inline constexpr std::string_view kWorkGenerateReport = "certn.generate_report";
inline constexpr std::string_view kWorkDownloadReport = "certn.download_report";
inline constexpr std::string_view kWorkCancel = "certn.cancel";

// The Certn activity's optional result rules (kind.cc validates them):
// on CLEAR move the application to this stage; on REVIEW or REJECT flag it.
inline constexpr std::string_view kOnClearMoveTo = "on_clear_move_to_stage";
inline constexpr std::string_view kFlagForReview = "flag_for_review";
ResultRule RuleOf(const ActivitySettings& settings);

struct SendRequest {
  std::optional<ActivityId> activity;     // a Certn activity of the job's plan
  std::optional<std::string> package_id;  // the recruiter's explicit choice
};

struct CancelRequest {
  std::string reason;  // optional words of the person who cancels, for the feed
};

struct ReorderRequest {
  std::optional<std::string> package_id;  // default: the ended check's package
};

struct InlineReport {
  BackgroundCheck check;
  Candidate candidate;
};

class Checks {
 public:
  Checks(const Deps& deps, CertnGateway& gateway, Integrations& integrations)
      : deps_(deps), gateway_(gateway), integrations_(integrations) {}

  // Called after a check is queued so the worker wakes up at once.
  void set_work_notifier(std::function<void()> notify) { notify_ = std::move(notify); }
  // A send's order is claimed in the send's own transaction and handed to
  // this runner's express thread once durable (WorkRunner::ClaimQueued), so
  // it leaves for Certn without a second commit; null: woken as other work.
  void set_work_runner(WorkRunner* runner) { runner_ = runner; }

  // Send from the application tab. 202 semantics: the check is queued and
  // ordered from Certn by the worker.
  absl::StatusOr<Created<CheckId>> Send(const Principal& who, const ApplicationId& application,
                                        const SendRequest& request,
                                        const std::optional<IdempotencyKey>& key);
  // Send from the candidate profile, without an interview-plan stage (Kula).
  absl::StatusOr<Created<CheckId>> SendAdHoc(const Principal& who, const CandidateId& candidate,
                                             const std::string& package_id,
                                             const std::optional<IdempotencyKey>& key);
  // The auto-send hook: an application entered a stage whose Certn activity
  // has auto_send. No email → a check in error (no_email), tagged and in the feed.
  absl::Status AutoSend(const StageEntry& entry);

  // Cancel an active check (cancel.cc). Through the outbox like the order:
  // one transaction records who asked and why and enqueues certn.cancel;
  // the worker calls Certn, and the check shows cancelled (reason
  // cancelled_by_user) once Certn confirms. A check Certn has not received
  // yet is cancelled at once (the order, should it be in flight, cancels
  // the case it gets). Asking again, or after the cancel went through,
  // answers the check as it is. Errors: check_complete (409) when Certn has
  // completed it, check_ended (409) when it ended otherwise.
  absl::StatusOr<BackgroundCheck> Cancel(const Principal& who, const CheckId& id,
                                         const CancelRequest& request);
  // Orders a fresh case for a check that ended in error or was cancelled:
  // the same package (or the one chosen), linked by reordered_from, with the
  // exactly-once guarantees of a send (Idempotency-Key, outbox). Errors:
  // check_not_ended (409) while it is open or complete, already_reordered
  // (409) when a later check re-orders it already, check_already_active (409).
  absl::StatusOr<Created<CheckId>> Reorder(const Principal& who, const CheckId& id,
                                           const ReorderRequest& request,
                                           const std::optional<IdempotencyKey>& key);

  absl::StatusOr<BackgroundCheck> Get(const Principal& who, const CheckId& id);
  // Pulls the case from Certn now and applies it.
  absl::StatusOr<BackgroundCheck> Refresh(const Principal& who, const CheckId& id);
  // FailedPrecondition report_not_ready until the check is complete.
  absl::StatusOr<InlineReport> Report(const Principal& who, const CheckId& id);

  // Whether ApplyCase's `check` is the row as this transaction read it
  // (GetCheckForUpdate) and nothing changed it since. Only then may a case
  // that brings nothing new be written as the check's updated_at alone
  // (UnitOfWork::TouchCheck), and the events of one that does be found
  // without reading the row again: a caller's own changes must be written
  // whole and compared with the stored row.
  enum class CheckRow { kAsStored, kChangedByCaller };
  // Applies a fetched case to the check inside the caller's transaction:
  // status machine, per-check results, results URL, Lever status tag, feed,
  // follow-up work (report). Returns the status machine's outcome.
  absl::StatusOr<TransitionOutcome> ApplyCase(UnitOfWork& uow, BackgroundCheck& check,
                                              const CertnCase& certn_case,
                                              const std::string& source,
                                              CheckRow row = CheckRow::kChangedByCaller);

  // Durable work handlers, registered with the core's WorkRunner by
  // CertnPlugin (plugin.cc). Each is idempotent: a lost lease runs it again.
  absl::Status RunOrder(const WorkItem& item);
  absl::Status RecordOrder(const WorkItem& item, const absl::StatusOr<CertnCase>& certn_case);
  absl::Status RunFetch(const WorkItem& item);
  absl::Status RunGenerateReport(const WorkItem& item);
  absl::Status RunDownload(const WorkItem& item);
  // Reads one integration's event feed (Reconcile's durable item).
  absl::Status RunReadEvents(const WorkItem& item);
  absl::Status RunCancel(const WorkItem& item);
  // A work item gave up (permanent fault or attempts exhausted): an order
  // puts its check in error so the failure is visible, not silent.
  void WorkFailed(const WorkItem& item, const absl::Status& error);
  // A work item was put back until `until` by a rate limit. When an order
  // waits for Certn's daily budget, the check says so (waiting_reason), once.
  void WorkDeferred(const WorkItem& item, const absl::Status& why, absl::Time until);
  // Brings checks whose webhooks were lost up to date (docs/architecture.md
  // "Reconciliation"): makes sure each connected integration has its one
  // durable certn.read_events item (Integrations adds it on connect; each
  // run defers it to reconcile_interval later, so however many workers
  // there are, a feed is read once per interval). The item reads
  // the Certn event feed after the stored cursor and enqueues one
  // (deduplicated) case fetch per open check an event names, advancing the
  // cursor in the same transaction; where the feed cannot answer, it
  // enqueues fetches of the integration's checks quiet for longer than
  // reconcile_after instead. Returns how many integrations it looked at.
  absl::StatusOr<int> Reconcile();

  // The team's webhook delivery log (admins only; deliveries.cc). A replay
  // fetches the delivery's case again; case_not_known (422) when no check of
  // this team has that case.
  absl::StatusOr<Page<WebhookDelivery>> ListDeliveries(const Principal& who,
                                                       const DeliveryFilter& filter,
                                                       const PageRequest& page);
  absl::Status ReplayDelivery(const Principal& who, const std::string& delivery_id);
  // The same for the operator's CLI, which names the team itself.
  absl::Status ReplayDelivery(const TeamId& team, const std::string& delivery_id);

  Integrations& integrations() { return integrations_; }
  void NotifyWork() { Notify(); }
  const Deps& deps() const { return deps_; }

  // What a send decided (send_plan.h); public so that the send files' helpers
  // can name it.
  struct SendPlan;

 private:
  absl::StatusOr<Created<CheckId>> QueueCheck(const Principal& who, SendPlan plan,
                                              const std::optional<IdempotencyKey>& key);
  absl::StatusOr<std::string> ResolvePackage(const TeamId& team, const Candidate& candidate,
                                             const std::optional<std::string>& explicit_package,
                                             const std::optional<std::string>& activity_package,
                                             const Job* job, const Team& team_row);
  // A fresh check (status queued) for what the send decided.
  BackgroundCheck NewCheck(const Principal& who, const SendPlan& plan, absl::Time now);
  absl::Status RecordNoEmail(const Principal& who, const SendPlan& plan);
  // An auto-send that could not choose a package says why in the feed.
  absl::Status RecordAutoSendFailure(const SendPlan& plan, const absl::Status& why);
  // already_reordered / check_already_active: what a send must not duplicate.
  absl::Status RefuseDuplicate(UnitOfWork& uow, const SendPlan& plan);
  // check_already_active when an ad-hoc check of this package is still open.
  absl::Status RefuseSecondActiveAdHoc(UnitOfWork& uow, const SendPlan& plan);
  // Reconcile's work for one integration, and its fallback.
  absl::StatusOr<int> ReconcileIntegration(const CertnIntegration& integration);
  absl::StatusOr<int> EnqueueQuietChecks(const TeamId& team);
  // The case fetches a page of feed events asks for, inside `uow`.
  struct EventFetches {
    int queued = 0;
    size_t skipped = 0;  // older than reconcile_after
  };
  absl::StatusOr<EventFetches> QueueFetchesForEvents(UnitOfWork& uow,
                                                     const CertnIntegration& integration,
                                                     const std::vector<CertnEvent>& events,
                                                     absl::Time now);
  // An unknown Certn status: logged and counted (docs/certn-api.md).
  void NoteUnknownStatus(const BackgroundCheck& check, const CertnCase& certn_case);
  // generate-report or download-report when a complete check needs it.
  absl::Status QueueReportWork(UnitOfWork& uow, const BackgroundCheck& check,
                               TransitionOutcome outcome, absl::Time now);
  // Logs when an integration's feed stops (or starts again) answering, once
  // per change, and counts each fallback.
  void NoteFeed(const TeamId& team, const absl::Status& feed);
  // What else Certn's answer brings (result_rules.cc): its completion
  // estimate, and on the transition to complete the activity's result rules.
  absl::Status AfterCase(UnitOfWork& uow, const BackgroundCheck& check, const CertnCase& certn_case,
                         TransitionOutcome outcome);
  // Ends a check a person cancelled (status, tag, feed) inside `uow`.
  absl::Status EndCancelled(UnitOfWork& uow, BackgroundCheck& check, const std::string& source);
  // Loads check + credentials for a work item.
  struct Loaded {
    BackgroundCheck check;
    CertnIntegration integration;
    std::optional<Candidate> candidate;  // read only for an order, which sends it
  };
  // For an order `refused` by the daily limit: a one-second Retry-After when
  // the team's Certn settings were saved after the version the attempt
  // loaded (updated_at later); OK otherwise.
  absl::Status AgainIfSettingsChanged(const TeamId& team, const absl::Status& refused,
                                      absl::Time loaded_version);
  // A check and its team's integration, read together; its candidate too
  // when `with_candidate` (only an order sends the candidate to Certn: a
  // fetch, say, saves the read, a round trip on PostgreSQL).
  absl::StatusOr<Loaded> Load(const TeamId& team, const CheckId& id, bool with_candidate = false);
  void SetStatusTag(Candidate& candidate, const BackgroundCheck& check);
  absl::Status Feed(UnitOfWork& uow, const BackgroundCheck& check, std::string type,
                    std::string actor, std::string message);
  absl::Status EnqueueWork(UnitOfWork& uow, const TeamId& team, std::string_view kind,
                           const CheckId& check, absl::Time run_at);
  WorkItem NewWork(const TeamId& team, std::string_view kind, const CheckId& check,
                   absl::Time run_at);
  std::string ResultsUrl(const BackgroundCheck& check, const CertnCase& certn_case) const;
  void Notify() {
    if (notify_) notify_();
  }
  // A work handler's last write, after its call to Certn, returned as the
  // handler's result: a piece of the group commit's batches
  // (WorkRunner::RecordLast), on the lane of the case `key` when known, so a
  // busy case's fetches neither take the writer apart from its deliveries
  // nor wait for an fsync of their own, and `item` is recorded done in the
  // same transaction (one fsync per fetch, not two; issue 21). Without a
  // runner, a transaction of its own.
  absl::Status RecordLastWork(const WorkItem& item,
                              const std::function<absl::Status(UnitOfWork&)>& work,
                              std::string_view key = {});

  Deps deps_;
  CertnGateway& gateway_;
  Integrations& integrations_;
  std::function<void()> notify_;
  WorkRunner* runner_ = nullptr;
  std::mutex feed_mu_;
  std::set<TeamId> feed_unavailable_;  // GUARDED_BY(feed_mu_): logged as such
};

}  // namespace stagecheck::certn_plugin
