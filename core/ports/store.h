// The Store port: a unit of work over every aggregate. One request's writes go
// through one UnitOfWork inside Store::Transact, so they commit or roll back
// together. Every method takes the TeamId first and only ever sees that
// team's rows; the few global lookups (token hash, a check's external id)
// say so in their names and return the owning team. A plugin keeps its own
// rows behind a port of its own, which the store adapter implements on the
// same unit of work (docs/architecture.md, "Adding a vendor").
//
// Errors: NotFound for a missing row, AlreadyExists for a uniqueness
// violation, Aborted for an optimistic-lock conflict, Unavailable when the
// database cannot be reached (the caller may retry; HTTP 503).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/domain/background_check.h"
#include "core/domain/bulk_send.h"
#include "core/domain/candidate.h"
#include "core/domain/check_lifecycle.h"
#include "core/domain/delivery.h"
#include "core/domain/job.h"
#include "core/domain/team.h"
#include "core/ports/call_budget.h"

namespace stagecheck {

// Keyset pagination: items after `after` (an opaque cursor from the previous page).
struct PageRequest {
  int limit = 50;
  std::string after;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next;  // empty on the last page
};

// What an admin narrows a team's delivery log to; every field is optional.
struct DeliveryFilter {
  std::optional<DeliveryVerdict> verdict;
  std::optional<std::string> event_type;
  std::optional<std::string> case_id;  // the delivery's object_id
  std::optional<absl::Time> since;     // received_at >= since
  std::optional<absl::Time> until;     // received_at < until
};

// How the pipeline overview orders a team's applications.
enum class ApplicationSort {
  kUpdated,  // last activity (the application or its latest check), newest first
  kName,     // candidate name, then email, A to Z (any case)
  kStatus,   // the latest check: error, complete, partial, in progress, invited,
             // queued, cancelled, none sent; newest first within each
};

// What the pipeline overview narrows a team's applications to; every field
// is optional and they combine with AND.
struct ApplicationFilter {
  std::optional<JobId> job = std::nullopt;
  std::optional<CandidateId> candidate = std::nullopt;
  std::optional<StageId> stage = std::nullopt;  // the current stage
  std::optional<ApplicationStatus> status = std::nullopt;
  // The latest check's StatusName(), or kNoCheck for applications that have none.
  std::optional<std::string> check_status = std::nullopt;
  // The latest check's overall score, in its vendor's words (CLEAR, REVIEW, ...).
  std::optional<std::string> result = std::nullopt;
  // Part of the candidate's "first last email", in any case.
  std::optional<std::string> query = std::nullopt;
  ApplicationSort sort = ApplicationSort::kUpdated;
};
inline constexpr std::string_view kNoCheck = "none";

// The latest check of an application, as the pipeline overview shows it.
struct CheckSummary {
  CheckId id;
  CheckStatus status = CheckStatus::kQueued;
  std::string error_reason;
  std::optional<std::string> overall_score;
  std::string package_name;
  absl::Time sent_at;  // when it was sent (created)
  absl::Time updated_at;
};

// One row of the pipeline overview.
struct ApplicationSummary {
  Application application;
  std::string candidate_name;  // "First Last"
  std::optional<std::string> candidate_email;
  std::optional<CheckSummary> latest_check;
  absl::Time last_activity_at;  // the later of the application's and its check's change
  // Read from the job by the use case (Applications::ListApplications), not the store.
  std::string job_title;
  std::optional<std::string> stage_name;
};

class UnitOfWork {
 public:
  virtual ~UnitOfWork() = default;

  // Teams, users and tokens.
  virtual absl::Status InsertTeam(const Team& team) = 0;
  virtual absl::StatusOr<Team> GetTeam(const TeamId& team) = 0;
  virtual absl::Status UpdateTeam(const Team& team) = 0;
  virtual absl::Status InsertUser(const User& user) = 0;
  virtual absl::Status InsertToken(const ApiToken& token) = 0;
  // Global: the token hash is the only key a caller brings. NotFound unless
  // the token is not revoked and its user is active (read on every request,
  // so a revocation is seen by every replica at once). The role found is
  // Narrower(the user's current role, the token's role).
  virtual absl::StatusOr<TokenLookup> FindTokenByHash(const std::string& token_hash) = 0;
  // The team's users, by name; one user (NotFound when not the team's).
  virtual absl::StatusOr<std::vector<User>> ListUsers(const TeamId& team) = 0;
  virtual absl::StatusOr<User> GetUser(const TeamId& team, const UserId& user) = 0;
  // Sets deactivated_at unless already set; NotFound when not the team's.
  virtual absl::Status DeactivateUser(const TeamId& team, const UserId& user, absl::Time at) = 0;
  // Writes the user's name and role; NotFound when not the team's.
  virtual absl::Status UpdateUser(const User& user) = 0;
  // The team's active admins, their rows locked until the transaction ends
  // (so two admins demoting each other at once cannot leave none).
  virtual absl::StatusOr<std::vector<UserId>> LockActiveAdmins(const TeamId& team) = 0;
  // A user's tokens, newest first (hashes included: never render them).
  virtual absl::StatusOr<std::vector<ApiToken>> ListTokens(const TeamId& team,
                                                           const UserId& user) = 0;
  // Sets revoked_at unless already set; NotFound when not the user's token.
  virtual absl::Status RevokeToken(const TeamId& team, const UserId& user, const TokenId& token,
                                   absl::Time at) = 0;
  // Sets last_used_at = at unless it is already at or after `unless_since`.
  virtual absl::Status TouchToken(const TeamId& team, const TokenId& token, absl::Time at,
                                  absl::Time unless_since) = 0;

  // Jobs and their interview plans.
  virtual absl::Status InsertJob(const Job& job) = 0;
  virtual absl::StatusOr<Job> GetJob(const TeamId& team, const JobId& job) = 0;
  virtual absl::Status UpdateJob(const Job& job) = 0;
  virtual absl::StatusOr<Page<Job>> ListJobs(const TeamId& team, const PageRequest& page) = 0;
  virtual absl::StatusOr<InterviewPlan> GetPlan(const TeamId& team, const JobId& job) = 0;
  // Saves the whole plan; Aborted when plan.version() is not the stored one.
  // On success the stored (and plan's) version is incremented.
  virtual absl::Status SavePlan(InterviewPlan& plan) = 0;

  // Candidates and their files.
  virtual absl::Status InsertCandidate(const Candidate& candidate) = 0;
  virtual absl::StatusOr<Candidate> GetCandidate(const TeamId& team, const CandidateId& id) = 0;
  // GetCandidate for a read-modify-write (tags are rewritten by recruiters and
  // by status changes): the row stays locked until the transaction ends.
  virtual absl::StatusOr<Candidate> GetCandidateForUpdate(const TeamId& team,
                                                          const CandidateId& id) = 0;
  virtual absl::Status UpdateCandidate(const Candidate& candidate) = 0;
  virtual absl::StatusOr<Page<Candidate>> ListCandidates(const TeamId& team,
                                                         const PageRequest& page) = 0;
  virtual absl::Status InsertFile(const CandidateFile& file, const std::string& content) = 0;
  virtual absl::StatusOr<std::vector<CandidateFile>> ListFiles(const TeamId& team,
                                                               const CandidateId& candidate) = 0;
  virtual absl::StatusOr<CandidateFile> GetFile(const TeamId& team, const FileId& id) = 0;
  virtual absl::StatusOr<std::string> GetFileContent(const TeamId& team, const FileId& id) = 0;

  // Applications.
  virtual absl::Status InsertApplication(const Application& application) = 0;
  virtual absl::StatusOr<Application> GetApplication(const TeamId& team,
                                                     const ApplicationId& id) = 0;
  virtual absl::Status UpdateApplication(const Application& application) = 0;
  // The pipeline overview: a keyset page in filter.sort's order (a cursor
  // of another order is InvalidArgument). job_title and stage_name are left empty.
  virtual absl::StatusOr<Page<ApplicationSummary>> ListApplications(const TeamId& team,
                                                                    const ApplicationFilter& filter,
                                                                    const PageRequest& page) = 0;
  // How many applications match `filter` (its check_status and sort aside),
  // per latest check status (StatusName() or kNoCheck); statuses with none are absent.
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> CountApplicationsByCheck(
      const TeamId& team, const ApplicationFilter& filter) = 0;

  // Background checks (with their history and per-check results).
  // AlreadyExists when the application already has an active check: the
  // database enforces one active check per application.
  virtual absl::Status InsertCheck(const BackgroundCheck& check) = 0;
  virtual absl::StatusOr<BackgroundCheck> GetCheck(const TeamId& team, const CheckId& id) = 0;
  // GetCheck for a read-modify-write: the row stays locked until the
  // transaction ends, so replicas applying two vendor answers (or saving one
  // report) to the same check cannot overwrite each other's update.
  virtual absl::StatusOr<BackgroundCheck> GetCheckForUpdate(const TeamId& team,
                                                            const CheckId& id) = 0;
  virtual absl::Status UpdateCheck(const BackgroundCheck& check) = 0;
  // Sets only the check's updated_at: for a vendor answer that changed
  // nothing else (the time still tells reconciliation the check was looked
  // at). No copy on the application moves. NotFound when there is no such
  // check.
  virtual absl::Status TouchCheck(const TeamId& team, const CheckId& id, absl::Time updated_at) = 0;
  virtual absl::StatusOr<std::optional<BackgroundCheck>> FindActiveCheck(
      const TeamId& team, const ApplicationId& application) = 0;
  virtual absl::StatusOr<std::vector<BackgroundCheck>> ListChecksForApplication(
      const TeamId& team, const ApplicationId& application) = 0;
  virtual absl::StatusOr<std::vector<BackgroundCheck>> ListChecksForCandidate(
      const TeamId& team, const CandidateId& candidate) = 0;
  // Global: which team and check a vendor's case (external id) belongs to.
  virtual absl::StatusOr<BackgroundCheck> FindCheckByExternalId(const std::string& external_id) = 0;
  // Open checks with a vendor case whose last update is older than `before`.
  virtual absl::StatusOr<std::vector<BackgroundCheck>> ListQuietChecks(absl::Time before,
                                                                       int limit) = 0;
  // The same for one team (reconciliation's fallback for an integration
  // whose event feed cannot answer).
  virtual absl::StatusOr<std::vector<BackgroundCheck>> ListQuietChecksOfTeam(const TeamId& team,
                                                                             absl::Time before,
                                                                             int limit) = 0;
  // A team's open checks with ids after `after` (all when empty), by id, at
  // most `limit` (the delayed-check job's walk).
  virtual absl::StatusOr<std::vector<BackgroundCheck>> ListOpenChecksOfTeam(
      const TeamId& team, const std::optional<CheckId>& after, int limit) = 0;

  // Activity feed: newest first.
  virtual absl::Status AppendFeedEvent(const FeedEvent& event) = 0;
  // The feed without the events of one type (the report-access trail, for
  // those who may not read it), paged as ListFeed.
  virtual absl::StatusOr<Page<FeedEvent>> ListFeedExcept(const TeamId& team,
                                                         const CandidateId& candidate,
                                                         const PageRequest& page,
                                                         std::string_view except_type) = 0;
  virtual absl::StatusOr<Page<FeedEvent>> ListFeed(const TeamId& team, const CandidateId& candidate,
                                                   const PageRequest& page) = 0;

  // Idempotency keys.
  virtual absl::StatusOr<std::optional<IdempotencyRecord>> GetIdempotency(
      const TeamId& team, const std::string& key) = 0;
  // AlreadyExists when the key was stored meanwhile.
  virtual absl::Status PutIdempotency(const IdempotencyRecord& record) = 0;

  // Webhook deliveries, verified ones only: InvalidArgument for one without
  // a team or with verdict unverified. AlreadyExists when (team, delivery_id) is known.
  virtual absl::Status InsertDelivery(const WebhookDelivery& delivery) = 0;
  // As InsertDelivery for each of `batch`, in few statements (one for up to
  // 16 rows: a burst's deliveries cost the database one round trip, not one
  // each). Returns, in order, whether each was inserted: false for one
  // already stored, or a second copy within `batch`. InvalidArgument (and
  // nothing inserted) when one was not verified.
  virtual absl::StatusOr<std::vector<bool>> InsertDeliveries(
      std::span<const WebhookDelivery* const> batch) = 0;
  virtual absl::StatusOr<std::vector<WebhookDelivery>> ListDeliveries(std::optional<TeamId> team,
                                                                      int limit) = 0;
  // One team's deliveries, newest first, keyset-paginated like every list.
  virtual absl::StatusOr<Page<WebhookDelivery>> ListTeamDeliveries(const TeamId& team,
                                                                   const DeliveryFilter& filter,
                                                                   const PageRequest& page) = 0;
  virtual absl::StatusOr<WebhookDelivery> GetDelivery(const TeamId& team,
                                                      const std::string& delivery_id) = 0;
  virtual absl::Status UpdateDeliveryVerdict(const TeamId& team, const std::string& delivery_id,
                                             DeliveryVerdict verdict,
                                             const std::optional<CheckId>& check) = 0;
  // Orphans of a team waiting for a case to appear.
  virtual absl::StatusOr<std::vector<WebhookDelivery>> ListOrphans(const TeamId& team,
                                                                   const std::string& case_id) = 0;

  // Durable work. EnqueueWork is a no-op (OK) when a pending item with the
  // same dedupe key exists that no worker has claimed yet; claiming releases
  // the key, so work enqueued while an item runs gets a run of its own.
  virtual absl::Status EnqueueWork(const WorkItem& item) = 0;
  // As EnqueueWork, saying which item covers the work: `item` itself, or the
  // pending twin that was there already, with its run_at.
  struct Enqueued {
    bool queued = false;  // `item` was inserted; false: a pending twin covers it
    absl::Time run_at;    // when the covering item is due
  };
  // kLookFirst: the twin is looked for before the INSERT, as a burst meets
  // it far more often than not. kInsertFirst: the caller has just found no
  // twin in this transaction (PendingDue), so the INSERT goes first and the
  // look-up follows only a conflict.
  enum class TwinCheck { kLookFirst, kInsertFirst };
  virtual absl::StatusOr<Enqueued> EnqueueWorkUnlessPending(const WorkItem& item,
                                                            TwinCheck check) = 0;
  // A pending item's team and dedupe key.
  using DedupeKey = std::pair<TeamId, std::string>;
  // When the pending item of each of `keys` that has one is due: the twins
  // EnqueueWorkUnlessPending would meet, found together (issue 21: a bundle
  // of webhook deliveries asks once, not once per case). Keys without a
  // pending item are absent.
  virtual absl::StatusOr<std::map<DedupeKey, absl::Time>> PendingDue(
      std::span<const DedupeKey> keys) = 0;
  // Leases up to `limit` due items to `owner` until `lease_until`, earliest
  // due first; an item whose lease expired (its worker died) is due again.
  // Returned as claimed: `attempts` counts this run, and the dedupe key is
  // released (nullopt), so the same key may be queued again meanwhile.
  virtual absl::StatusOr<std::vector<WorkItem>> ClaimWork(absl::Time now, const std::string& owner,
                                                          absl::Time lease_until, int limit) = 0;
  // Leases one pending, unleased item to `owner` as ClaimWork would, whether
  // it is due or not (the transaction that queued it hands it straight to
  // a runner: WorkRunner::ClaimQueued). NotFound when it is not pending or
  // already leased.
  virtual absl::Status ClaimWorkItem(const TeamId& team, const WorkItemId& id,
                                     const std::string& owner, absl::Time lease_until) = 0;
  virtual absl::Status CompleteWork(const TeamId& team, const WorkItemId& id) = 0;
  // Puts a claimed item back to run at `run_at` without counting the run as
  // an attempt: it was refused by a rate limit, not failed, and a burst of
  // queued orders must not exhaust max_attempts while waiting its turn.
  virtual absl::Status DeferWork(const TeamId& team, const WorkItemId& id, absl::Time run_at) = 0;
  // Makes every unleased pending item of `kind` in `team` scheduled after
  // `now` due at `now` (a limit was raised: what waited for it may go now).
  // Returns how many.
  virtual absl::StatusOr<int64_t> ExpediteWork(const TeamId& team, const std::string& kind,
                                               absl::Time now) = 0;
  // Releases the lease and schedules the next attempt.
  virtual absl::Status RetryWork(const TeamId& team, const WorkItemId& id, absl::Time run_at,
                                 const std::string& error) = 0;
  virtual absl::Status FailWork(const TeamId& team, const WorkItemId& id,
                                const std::string& error) = 0;
  virtual absl::StatusOr<int64_t> CountWork(const std::string& state) = 0;
  // The run_at of the item that has waited longest while due (pending with
  // run_at <= now, leased or not); nullopt when nothing is due. An item a
  // worker defers (a rate limit, a retry's backoff) is not due until then.
  virtual absl::StatusOr<std::optional<absl::Time>> OldestDueWork(absl::Time now) = 0;

  // Bulk sends (adapters/store/sql/bulk_sends.cc). Insert writes the send
  // and its entries; AlreadyExists when the id is taken.
  virtual absl::Status InsertBulkSend(const BulkSend& bulk) = 0;
  // The send with its entries by position, each with its check's progress.
  virtual absl::StatusOr<BulkSend> GetBulkSend(const TeamId& team, const BulkSendId& id) = 0;
  // Records what the drain did with the entry at entry.position (step,
  // reason, check, updated_at). NotFound when there is no such entry.
  virtual absl::Status UpdateBulkSendEntry(const TeamId& team, const BulkSendId& id,
                                           const BulkSendEntry& entry) = 0;

  // Turnaround (adapters/store/sql/check_lifecycle.cc): the team's checks
  // completed at or after `since`, of one package when given, oldest first;
  // only the `limit` most recent when limit > 0 (a projection need not read
  // a large team's whole quarter on every view of a check).
  virtual absl::StatusOr<std::vector<CompletedCheck>> ListCompletedChecks(
      const TeamId& team, absl::Time since, const std::optional<std::string>& package_id,
      int limit) = 0;
  // The vendor's estimate of a check's completion, when its case carries one.
  virtual absl::Status SetCheckEstimate(const TeamId& team, const CheckId& check,
                                        absl::Time estimated_completion) = 0;
  virtual absl::StatusOr<std::optional<absl::Time>> GetCheckEstimate(const TeamId& team,
                                                                     const CheckId& check) = 0;
  // Result rules: AlreadyExists when the check has a run already.
  virtual absl::Status InsertResultRuleRun(const ResultRuleRun& run) = 0;
  virtual absl::StatusOr<std::optional<ResultRuleRun>> GetResultRuleRun(const TeamId& team,
                                                                        const CheckId& check) = 0;

  // A vendor account's call budget shared by every replica (CallBudget): takes
  // a slot at `now` when `limits` allow it, else says how long to wait.
  // Serialised per account (PostgreSQL: an advisory lock for the rest of the
  // transaction; SQLite: the writer lock); grants older than both the window
  // and the UTC day are removed as it goes.
  virtual absl::StatusOr<CallSlot> TakeCallSlot(int64_t account, absl::Time now,
                                                const CallLimits& limits) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `work` in one transaction: commits when it returns OK, rolls back
  // otherwise (and returns its status). Serialization conflicts are retried
  // by the store a bounded number of times, so `work` may run more than once
  // and must have no side effects outside the unit of work.
  virtual absl::Status Transact(const std::function<absl::Status(UnitOfWork&)>& work) = 0;
  // Runs `work` in a read-only transaction: one consistent snapshot that does
  // not queue behind writers (on SQLite, Transact holds the single writer
  // lock, commit and fsync included; a Read does not). Any write in `work`
  // fails with FailedPrecondition and nothing is written.
  virtual absl::Status Read(const std::function<absl::Status(UnitOfWork&)>& work) = 0;
  // The same, for many independent pieces of work in one transaction (group
  // commit): one failing piece rolls back only itself (the batch is then
  // rerun with each piece in its own savepoint, so pieces may run twice). A
  // piece that alone hit a serialization failure or deadlock (with another
  // transaction, e.g. another group-commit lane's batch) runs again in a
  // batch of its own. Returns one status per piece; every one carries the
  // commit's error if it failed. Committed, not necessarily durable yet: see
  // WhenDurable.
  virtual std::vector<absl::Status> TransactBatch(
      const std::vector<std::function<absl::Status(UnitOfWork&)>>& pieces) = 0;
  // Calls `then` once every transaction this store committed before the call
  // is on disk: at once where a commit already is (the default), else from
  // the store's flusher, with the flush's error if it failed. A group
  // committer writes its next batch while the last one is being flushed and
  // answers the last one's callers from here. Transact waits for it itself.
  virtual void WhenDurable(std::function<void(absl::Status)> then) { then(absl::OkStatus()); }
  // Cheap liveness check of the database (for /readyz).
  virtual absl::Status Ping() = 0;
  virtual std::string_view backend() const = 0;  // "sqlite" or "postgres"
};

}  // namespace stagecheck
