// Candidates and applications: the recruiter's use cases, including the
// "application tab" read and stage moves (which fire the activity kinds'
// on-entry hooks, e.g. a background-check plugin's auto-send).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/services/deps.h"
#include "core/services/work_runner.h"

namespace stagecheck {

struct NewCandidate {
  std::string first_name;
  std::string last_name;
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::vector<std::string> tags;
};

struct CandidateChanges {
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::optional<std::string>> email;
  std::optional<std::optional<std::string>> phone;
  // Replaces the recruiter's tags; system tags (IsSystemTag) are kept as they are.
  std::optional<std::vector<std::string>> tags;
  std::optional<std::string> if_match;  // the candidate's ETag the client read (EtagOf)
};

struct ActivityView {
  Activity activity;
  std::vector<BackgroundCheck> checks;  // checks sent for this activity, newest first
};

struct StageView {
  Stage stage;
  bool current = false;
  std::vector<ActivityView> activities;
};

// A look at a check's report, results page or report PDF, for the audit trail.
struct ReportView {
  CandidateId candidate;
  std::optional<ApplicationId> application;
  std::optional<CheckId> check;
  std::string what;  // "Opened the report", "Downloaded <report file name>", ...
};

// The feed type of those entries; the feed shows them to admins only.
inline constexpr std::string_view kReportViewedEvent = "report_viewed";

// Everything the application tab shows.
struct ApplicationTab {
  Application application;
  Candidate candidate;
  Job job;
  std::vector<StageView> stages;
  std::vector<BackgroundCheck> other_checks;  // checks not tied to an activity of the plan
};

// A stage the system moved an application into (a result rule's move on a
// clear result) runs that stage's on-entry hooks - e.g. the next stage's
// auto-send - from the durable work runner: the work item is written in the
// same transaction as the move, so a crash between the two loses nothing.
inline constexpr std::string_view kWorkStageEntered = "application.stage_entered";

// The work item of such a move; the hooks act for `on_behalf_of` (the person
// who sent the check whose result moved it). `cause` keeps it once per cause.
WorkItem StageEnteredWork(const Deps& deps, const Application& app, const StageId& stage,
                          const UserId& on_behalf_of, std::string_view cause);

struct MoveOutcome {
  Application application;
  // What each on-entry hook of the new stage said (e.g. auto-send refused: no email).
  std::vector<std::pair<ActivityId, absl::Status>> hooks;
};

class Applications {
 public:
  explicit Applications(const Deps& deps) : deps_(deps) {}

  absl::StatusOr<Created<CandidateId>> CreateCandidate(const Principal& who, const NewCandidate& c,
                                                       const std::optional<IdempotencyKey>& key);
  absl::StatusOr<Candidate> GetCandidate(const Principal& who, const CandidateId& id);
  absl::StatusOr<Page<Candidate>> ListCandidates(const Principal& who, const PageRequest& page);
  absl::StatusOr<Candidate> UpdateCandidate(const Principal& who, const CandidateId& id,
                                            const CandidateChanges& changes);
  absl::StatusOr<std::vector<CandidateFile>> ListFiles(const Principal& who, const CandidateId& id);
  absl::StatusOr<std::pair<CandidateFile, std::string>> GetFile(const Principal& who,
                                                                const CandidateId& candidate,
                                                                const FileId& file);
  // With `report_views` false, without the report-access trail.
  absl::StatusOr<Page<FeedEvent>> Feed(const Principal& who, const CandidateId& id,
                                       const PageRequest& page, bool report_views = true);
  // Records who looked at a report, and when, on the candidate's feed
  // (kReportViewedEvent). The caller answers only once it is recorded.
  absl::Status RecordReportView(const Principal& who, const ReportView& view);
  // Checks sent from the candidate profile (Kula's ad-hoc activities).
  absl::StatusOr<std::vector<BackgroundCheck>> AdHocChecks(const Principal& who,
                                                           const CandidateId& id);

  // Starts at the plan's first stage; the job's posting tags go onto the candidate.
  absl::StatusOr<Created<ApplicationId>> CreateApplication(
      const Principal& who, const CandidateId& candidate, const JobId& job,
      const std::optional<IdempotencyKey>& key);
  absl::StatusOr<ApplicationTab> ReadTab(const Principal& who, const ApplicationId& id);
  // The pipeline overview: one page of the team's applications in filter.sort's
  // order, each with its candidate, job title, stage name and latest check.
  absl::StatusOr<Page<ApplicationSummary>> ListApplications(const Principal& who,
                                                            const ApplicationFilter& filter,
                                                            const PageRequest& page);
  // How many applications match `filter` per latest check status (its
  // check_status aside, so that every status of the view can be offered).
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> CountByCheckStatus(
      const Principal& who, const ApplicationFilter& filter);
  absl::StatusOr<MoveOutcome> Move(const Principal& who, const ApplicationId& id,
                                   const StageId& stage);
  absl::StatusOr<Application> SetStatus(const Principal& who, const ApplicationId& id,
                                        ApplicationStatus status);

  // Registers kWorkStageEntered (before the runner starts).
  absl::Status RegisterWork(WorkRunner& runner);

 private:
  // The on-entry hook of every activity of `stage`, after the move committed.
  std::vector<std::pair<ActivityId, absl::Status>> RunEntryHooks(const Principal& who,
                                                                 const Application& app,
                                                                 const Stage& stage);
  absl::Status RunStageEntered(const WorkItem& item);

  Deps deps_;
};

absl::Status ValidateCandidateFields(const std::string& first, const std::string& last,
                                     const std::optional<std::string>& email,
                                     const std::optional<std::string>& phone);

}  // namespace stagecheck
