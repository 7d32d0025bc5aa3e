// UnitOfWork written once over the driver interface; the dialect supplies
// the few differences. One instance lives for one transaction, and it also
// implements the Certn plugin's port for its rows (plugin/certn/ports/
// certn_store.h) and the outbound webhook rows (core/ports/outbound_store.h),
// so the plugin's writes and the outbox share the transaction.
#pragma once

#include <initializer_list>
#include <string_view>

#include "adapters/store/sql/dialect.h"
#include "adapters/store/sql/driver.h"
#include "core/domain/erasure.h"
#include "core/ports/cipher.h"
#include "core/ports/notification_store.h"
#include "core/ports/outbound_store.h"
#include "core/ports/retention_store.h"
#include "core/ports/store.h"
#include "plugin/certn/ports/certn_store.h"

namespace stagecheck::store {

class SqlUnitOfWork final : public UnitOfWork,
                            public CertnUnitOfWork,
                            public OutboundUnitOfWork,
                            public RetentionUnitOfWork,
                            public NotificationUnitOfWork {
 public:
  // A read-only unit of work refuses every write (the transaction was begun
  // read-only, and SQLite's deferred read must never upgrade to a writer
  // behind the writer mutex's back).
  // `at_rest` encrypts report data (file contents, per-check results); null
  // writes it in clear (StoreOptions::at_rest).
  SqlUnitOfWork(Connection& conn, const Dialect& dialect, bool read_only = false,
                Cipher* at_rest = nullptr)
      : conn_(conn), dialect_(dialect), read_only_(read_only), at_rest_(at_rest) {}

  absl::Status InsertTeam(const Team& team) override;
  absl::StatusOr<Team> GetTeam(const TeamId& team) override;
  absl::Status UpdateTeam(const Team& team) override;
  absl::Status InsertUser(const User& user) override;
  absl::Status InsertToken(const ApiToken& token) override;
  absl::StatusOr<TokenLookup> FindTokenByHash(const std::string& token_hash) override;
  absl::StatusOr<std::vector<User>> ListUsers(const TeamId& team) override;
  absl::StatusOr<User> GetUser(const TeamId& team, const UserId& user) override;
  absl::Status DeactivateUser(const TeamId& team, const UserId& user, absl::Time at) override;
  absl::Status UpdateUser(const User& user) override;
  absl::StatusOr<std::vector<UserId>> LockActiveAdmins(const TeamId& team) override;
  absl::StatusOr<std::vector<ApiToken>> ListTokens(const TeamId& team, const UserId& user) override;
  absl::Status RevokeToken(const TeamId& team, const UserId& user, const TokenId& token,
                           absl::Time at) override;
  absl::Status TouchToken(const TeamId& team, const TokenId& token, absl::Time at,
                          absl::Time unless_since) override;
  absl::Status UpsertIntegration(const CertnIntegration& integration) override;
  absl::StatusOr<CertnIntegration> GetIntegration(const TeamId& team) override;
  absl::StatusOr<CaseCheck> FindCheckByCaseId(const std::string& case_id) override;
  absl::StatusOr<std::map<std::string, CaseCheck>> FindChecksByCaseIds(
      std::span<const std::string> case_ids) override;
  absl::StatusOr<TeamId> FindTeamByCertnTeamId(const std::string& certn_team_id) override;
  absl::StatusOr<std::vector<CertnIntegration>> ListConnectedIntegrations(
      const std::optional<TeamId>& after, int limit) override;
  absl::Status AdvanceEventsCursor(const TeamId& team, const std::optional<std::string>& expected,
                                   const std::string& cursor) override;
  absl::Status InsertJob(const Job& job) override;
  absl::StatusOr<Job> GetJob(const TeamId& team, const JobId& job) override;
  absl::Status UpdateJob(const Job& job) override;
  absl::StatusOr<Page<Job>> ListJobs(const TeamId& team, const PageRequest& page) override;
  absl::StatusOr<InterviewPlan> GetPlan(const TeamId& team, const JobId& job) override;
  absl::Status SavePlan(InterviewPlan& plan) override;
  absl::Status InsertCandidate(const Candidate& candidate) override;
  absl::StatusOr<Candidate> GetCandidate(const TeamId& team, const CandidateId& id) override;
  absl::StatusOr<Candidate> GetCandidateForUpdate(const TeamId& team,
                                                  const CandidateId& id) override;
  absl::Status UpdateCandidate(const Candidate& candidate) override;
  absl::StatusOr<Page<Candidate>> ListCandidates(const TeamId& team,
                                                 const PageRequest& page) override;
  absl::Status InsertFile(const CandidateFile& file, const std::string& content) override;
  absl::StatusOr<std::vector<CandidateFile>> ListFiles(const TeamId& team,
                                                       const CandidateId& candidate) override;
  absl::StatusOr<CandidateFile> GetFile(const TeamId& team, const FileId& id) override;
  absl::StatusOr<std::string> GetFileContent(const TeamId& team, const FileId& id) override;
  absl::Status InsertApplication(const Application& application) override;
  absl::StatusOr<Application> GetApplication(const TeamId& team, const ApplicationId& id) override;
  absl::Status UpdateApplication(const Application& application) override;
  absl::StatusOr<Page<ApplicationSummary>> ListApplications(const TeamId& team,
                                                            const ApplicationFilter& filter,
                                                            const PageRequest& page) override;
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> CountApplicationsByCheck(
      const TeamId& team, const ApplicationFilter& filter) override;
  absl::Status InsertCheck(const BackgroundCheck& check) override;
  absl::StatusOr<BackgroundCheck> GetCheck(const TeamId& team, const CheckId& id) override;
  absl::StatusOr<BackgroundCheck> GetCheckForUpdate(const TeamId& team, const CheckId& id) override;
  absl::Status UpdateCheck(const BackgroundCheck& check) override;
  absl::Status TouchCheck(const TeamId& team, const CheckId& id, absl::Time updated_at) override;
  absl::StatusOr<std::optional<BackgroundCheck>> FindActiveCheck(
      const TeamId& team, const ApplicationId& application) override;
  absl::StatusOr<std::vector<BackgroundCheck>> ListChecksForApplication(
      const TeamId& team, const ApplicationId& application) override;
  absl::StatusOr<std::vector<BackgroundCheck>> ListChecksForCandidate(
      const TeamId& team, const CandidateId& candidate) override;
  absl::StatusOr<BackgroundCheck> FindCheckByExternalId(const std::string& external_id) override;
  absl::StatusOr<std::vector<BackgroundCheck>> ListQuietChecks(absl::Time before,
                                                               int limit) override;
  absl::StatusOr<std::vector<BackgroundCheck>> ListQuietChecksOfTeam(const TeamId& team,
                                                                     absl::Time before,
                                                                     int limit) override;
  absl::StatusOr<std::vector<BackgroundCheck>> ListOpenChecksOfTeam(
      const TeamId& team, const std::optional<CheckId>& after, int limit) override;
  absl::Status AppendFeedEvent(const FeedEvent& event) override;
  absl::StatusOr<Page<FeedEvent>> ListFeedExcept(const TeamId& team, const CandidateId& candidate,
                                                 const PageRequest& page,
                                                 std::string_view except_type) override;
  absl::StatusOr<Page<FeedEvent>> ListFeed(const TeamId& team, const CandidateId& candidate,
                                           const PageRequest& page) override;
  absl::StatusOr<std::optional<IdempotencyRecord>> GetIdempotency(const TeamId& team,
                                                                  const std::string& key) override;
  absl::Status PutIdempotency(const IdempotencyRecord& record) override;
  absl::Status InsertDelivery(const WebhookDelivery& delivery) override;
  absl::StatusOr<std::vector<bool>> InsertDeliveries(
      std::span<const WebhookDelivery* const> batch) override;
  absl::StatusOr<std::vector<WebhookDelivery>> ListDeliveries(std::optional<TeamId> team,
                                                              int limit) override;
  absl::StatusOr<WebhookDelivery> GetDelivery(const TeamId& team,
                                              const std::string& delivery_id) override;
  absl::Status UpdateDeliveryVerdict(const TeamId& team, const std::string& delivery_id,
                                     DeliveryVerdict verdict,
                                     const std::optional<CheckId>& check) override;
  absl::StatusOr<std::vector<WebhookDelivery>> ListOrphans(const TeamId& team,
                                                           const std::string& case_id) override;
  absl::Status EnqueueWork(const WorkItem& item) override;
  absl::StatusOr<Enqueued> EnqueueWorkUnlessPending(const WorkItem& item, TwinCheck check) override;
  // PendingDue's statement for `keys` keys (a power of two up to
  // rows::kMaxRun), portable `?` placeholders: team, key, team, key, ...
  // Public for the test that reads its plan on PostgreSQL.
  static std::string PendingDueSql(const Dialect& dialect, size_t keys);
  absl::StatusOr<std::map<DedupeKey, absl::Time>> PendingDue(
      std::span<const DedupeKey> keys) override;
  absl::Status ClaimWorkItem(const TeamId& team, const WorkItemId& id, const std::string& owner,
                             absl::Time lease_until) override;
  // ClaimWork's one statement, portable `?` placeholders: owner, lease
  // until, now, now, limit. Public for the test that reads its plan.
  static std::string ClaimWorkSql(const Dialect& dialect);
  absl::StatusOr<std::vector<WorkItem>> ClaimWork(absl::Time now, const std::string& owner,
                                                  absl::Time lease_until, int limit) override;
  absl::Status CompleteWork(const TeamId& team, const WorkItemId& id) override;
  absl::Status RetryWork(const TeamId& team, const WorkItemId& id, absl::Time run_at,
                         const std::string& error) override;
  absl::Status DeferWork(const TeamId& team, const WorkItemId& id, absl::Time run_at) override;
  absl::Status FailWork(const TeamId& team, const WorkItemId& id,
                        const std::string& error) override;
  absl::StatusOr<int64_t> CountWork(const std::string& state) override;
  absl::StatusOr<std::optional<absl::Time>> OldestDueWork(absl::Time now) override;
  absl::StatusOr<int64_t> ExpediteWork(const TeamId& team, const std::string& kind,
                                       absl::Time now) override;
  absl::StatusOr<CallSlot> TakeCallSlot(int64_t account, absl::Time now,
                                        const CallLimits& limits) override;
  absl::StatusOr<Page<WebhookDelivery>> ListTeamDeliveries(const TeamId& team,
                                                           const DeliveryFilter& filter,
                                                           const PageRequest& page) override;

  absl::Status InsertBulkSend(const BulkSend& bulk) override;
  absl::StatusOr<BulkSend> GetBulkSend(const TeamId& team, const BulkSendId& id) override;
  absl::Status UpdateBulkSendEntry(const TeamId& team, const BulkSendId& id,
                                   const BulkSendEntry& entry) override;
  absl::StatusOr<std::vector<CompletedCheck>> ListCompletedChecks(
      const TeamId& team, absl::Time since, const std::optional<std::string>& package_id,
      int limit) override;
  absl::Status SetCheckEstimate(const TeamId& team, const CheckId& check,
                                absl::Time estimated_completion) override;
  absl::StatusOr<std::optional<absl::Time>> GetCheckEstimate(const TeamId& team,
                                                             const CheckId& check) override;
  absl::Status InsertResultRuleRun(const ResultRuleRun& run) override;
  absl::StatusOr<std::optional<ResultRuleRun>> GetResultRuleRun(const TeamId& team,
                                                                const CheckId& check) override;

  // Outbound webhooks (outbound.cc).
  absl::Status InsertEndpoint(const WebhookEndpoint& endpoint) override;
  absl::StatusOr<WebhookEndpoint> GetEndpoint(const TeamId& team,
                                              const WebhookEndpointId& id) override;
  absl::Status UpdateEndpoint(const WebhookEndpoint& endpoint) override;
  absl::Status DeleteEndpoint(const TeamId& team, const WebhookEndpointId& id) override;
  absl::StatusOr<std::vector<WebhookEndpoint>> ListEndpoints(const TeamId& team) override;
  absl::StatusOr<int64_t> LastEventSequence(const TeamId& team,
                                            const std::string& subject) override;
  absl::Status InsertOutboundEvent(const OutboundEvent& event) override;
  absl::StatusOr<OutboundEvent> GetOutboundEvent(const TeamId& team,
                                                 const OutboundEventId& id) override;
  absl::Status InsertOutboundDelivery(const OutboundDelivery& delivery) override;
  absl::StatusOr<OutboundDelivery> GetOutboundDelivery(const TeamId& team,
                                                       const OutboundDeliveryId& id) override;
  absl::Status UpdateOutboundDelivery(const OutboundDelivery& delivery) override;
  absl::Status InsertDeliveryAttempt(const TeamId& team, const OutboundDeliveryId& id,
                                     const DeliveryAttempt& attempt) override;
  absl::StatusOr<Page<OutboundDelivery>> ListOutboundDeliveries(const TeamId& team,
                                                                const WebhookEndpointId& endpoint,
                                                                const PageRequest& page) override;

  // Retention and erasure (retention.cc).
  absl::StatusOr<RetentionSettings> GetRetention(const TeamId& team) override;
  absl::Status PutRetention(const TeamId& team, const RetentionSettings& settings) override;
  absl::StatusOr<std::vector<TeamId>> ListTeamIds(const std::optional<TeamId>& after,
                                                  int limit) override;
  absl::StatusOr<std::vector<std::pair<TeamId, RetentionSettings>>> ListChangedRetention() override;
  absl::StatusOr<std::vector<PurgedReport>> PurgeReports(const TeamId& team,
                                                         absl::Time completed_before,
                                                         absl::Time now, int limit) override;
  absl::StatusOr<int64_t> PurgeDeliveryBodies(const TeamId& team, absl::Time received_before,
                                              int limit) override;
  absl::StatusOr<OutboxPurge> PurgeOutbox(const TeamId& team, absl::Time finished_before,
                                          int limit) override;
  absl::StatusOr<int64_t> PurgeReadNotifications(const TeamId& team, absl::Time created_before,
                                                 int limit) override;
  absl::StatusOr<std::optional<absl::Time>> GetErasure(const TeamId& team,
                                                       const CandidateId& candidate) override;
  absl::StatusOr<ErasureCounts> EraseCandidate(const TeamId& team, const CandidateId& candidate,
                                               absl::Time now) override;
  // Notifications for people and application watches (notifications.cc).
  absl::Status AddWatch(const ApplicationWatch& watch) override;
  absl::Status RemoveWatch(const TeamId& team, const ApplicationId& application,
                           const UserId& user) override;
  absl::StatusOr<std::vector<UserId>> ListWatchers(const TeamId& team,
                                                   const ApplicationId& application) override;
  absl::Status InsertNotification(const Notification& notification) override;
  absl::StatusOr<Page<Notification>> ListNotifications(const TeamId& team, const UserId& user,
                                                       const PageRequest& page) override;
  absl::StatusOr<Notification> GetNotification(const TeamId& team, const UserId& user,
                                               const NotificationId& id) override;
  absl::StatusOr<int64_t> CountUnreadNotifications(const TeamId& team, const UserId& user) override;
  absl::Status MarkNotificationRead(const TeamId& team, const UserId& user,
                                    const NotificationId& id, absl::Time at) override;
  absl::StatusOr<int64_t> MarkAllNotificationsRead(const TeamId& team, const UserId& user,
                                                   absl::Time at) override;
  absl::StatusOr<bool> RecordDelayNotice(const TeamId& team, const CheckId& check,
                                         const std::string& delay_key, absl::Time late_at,
                                         absl::Time at) override;

 private:
  using Params = std::initializer_list<Value>;

  absl::Status ScrubFeedMessages(const TeamId& team, const CandidateId& candidate,
                                 const PersonalWords& words);

  absl::StatusOr<int64_t> Exec(std::string_view sql, Params params);
  absl::StatusOr<int64_t> Exec(std::string_view sql, std::span<const Value> params);
  // Inserts one run of deliveries (`params`: `rows` rows' columns); the
  // (team_id, delivery_id) of each row it stored, or nullopt when it stored
  // every row.
  absl::StatusOr<std::optional<std::vector<Row>>> InsertDeliveryRun(size_t rows,
                                                                    std::span<const Value> params);
  absl::StatusOr<std::vector<Row>> Query(std::string_view sql, Params params);
  absl::StatusOr<std::vector<Row>> Query(std::string_view sql, std::span<const Value> params);
  // A look-up of `count` keys in runs (rows::ForEachRun): `by_count[n]`
  // (rows::RunShapes) asks for n keys, key i bound by `bind(i, params)`;
  // `read` sees every row matched.
  absl::Status QueryInRuns(const std::vector<std::string>& by_count, size_t count,
                           const std::function<void(size_t i, std::vector<Value>& params)>& bind,
                           const std::function<void(const Row&)>& read);
  // For a statement that may break a constraint: on PostgreSQL it runs in a
  // savepoint so that the caller can go on after the error, as on SQLite.
  absl::StatusOr<int64_t> ExecGuarded(std::string_view sql, Params params);
  // An `INSERT ... ON CONFLICT DO NOTHING`: no row inserted means a unique
  // key was taken, reported as AlreadyExists without aborting the transaction.
  absl::Status Insert(std::string_view sql, Params params, std::string_view what);
  // An UPDATE of one row by key: NotFound when no row matched.
  absl::Status UpdateOne(std::string_view sql, Params params, std::string_view what,
                         bool guarded = false);
  absl::Status RefuseInReadOnly() const;
  absl::StatusOr<Candidate> GetOneCandidate(const TeamId& team, const CandidateId& id,
                                            std::string_view lock_suffix);
  absl::StatusOr<BackgroundCheck> GetOneCheck(const TeamId& team, const CheckId& id,
                                              std::string_view lock_suffix);
  absl::StatusOr<std::vector<BackgroundCheck>> QueryChecks(std::string_view where,
                                                           std::span<const Value> params);
  // The copies of the candidate and the latest check that the pipeline
  // overview reads on the application row (schema v6; applications.cc).
  absl::Status RefreshCandidateSort(const TeamId& team, const CandidateId& candidate);
  absl::Status RefreshLatestCheck(const BackgroundCheck& check, bool inserted);
  absl::StatusOr<std::vector<WebhookDelivery>> QueryDeliveries(std::string_view where,
                                                               std::span<const Value> params);

  Connection& conn_;
  const Dialect& dialect_;
  const bool read_only_;
  Cipher* const at_rest_;
};

}  // namespace stagecheck::store
