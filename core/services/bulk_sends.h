// Bulk send (docs/architecture.md, "Bulk send"): one request selects up to
// kMaxBulkSelection applications (by ids, or every application in a job's
// stage) and answers 202 with the bulk send's id at once. A durable
// bulk_send.drain work item then hands the entries to the vendor plugin's
// CheckSender a few at a time: at most max_in_flight checks of one bulk send
// wait for the vendor at any moment, so the orders drain at the account's
// rate limit while other teams' work (and this team's own single sends)
// never queues behind hundreds of orders. Each hand-over carries an
// Idempotency-Key made of the bulk send and the application, so a drain that
// dies mid-batch and runs again sends nothing twice.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/services/deps.h"
#include "core/services/work_runner.h"

namespace stagecheck {

inline constexpr std::string_view kWorkBulkSendDrain = "bulk_send.drain";
// The most applications one bulk send may select (docs/openapi.yaml).
inline constexpr size_t kMaxBulkSelection = 500;

// A vendor plugin's send of one check, as the application tab's send does it.
class CheckSender {
 public:
  virtual ~CheckSender() = default;
  // Queues a check for `application`; `key` makes a repeated call answer the
  // same check. Errors carry a code (core/errors.h): check_already_active and
  // application_not_active make the entry skipped, a transient error is
  // retried, any other fails the entry with its code.
  virtual absl::StatusOr<CheckId> SendForBulk(const Principal& who,
                                              const ApplicationId& application,
                                              const std::optional<std::string>& package_id,
                                              const IdempotencyKey& key) = 0;
  // Whether `package_id` is one the team can order, asked once before a bulk
  // send with a chosen package is accepted: a typo is refused at once (400,
  // the vendor's code) instead of failing every entry of the bulk.
  virtual absl::Status CheckPackage(const TeamId& team, const std::string& package_id) = 0;
};

// What a bulk send selects: either application ids or a job's stage.
struct BulkSelection {
  std::vector<ApplicationId> applications;
  std::optional<JobId> job;
  std::optional<StageId> stage;
  std::optional<std::string> package_id;  // else each application's plan decides
};

struct BulkSendOptions {
  // Checks of one bulk send handed over and still waiting for the vendor.
  int max_in_flight = 20;
  // How soon the drain looks again while entries wait.
  absl::Duration next_batch = absl::Milliseconds(250);
};

class BulkSends {
 public:
  BulkSends(const Deps& deps, CheckSender& sender, BulkSendOptions options = {})
      : deps_(deps), sender_(sender), options_(options) {}

  void set_work_notifier(std::function<void()> notify) { notify_ = std::move(notify); }
  // Registers the drain with the runner (before it starts).
  absl::Status RegisterWork(WorkRunner& runner);

  // Errors: invalid_selection (400: neither or both of ids and stage, or no
  // ids), selection_too_large (400), application_not_found (404, for an id
  // this team does not have), not_found (the job) / stage_not_found (404),
  // empty_selection (422: the stage holds no application).
  absl::StatusOr<Created<BulkSendId>> Create(const Principal& who, const BulkSelection& selection,
                                             const std::optional<IdempotencyKey>& key);
  absl::StatusOr<BulkSend> Get(const Principal& who, const BulkSendId& id);

  // The bulk_send.drain handler: hands the next entries over and asks to run
  // again (a planned deferral) while any wait.
  absl::Status RunDrain(const WorkItem& item);

 private:
  absl::StatusOr<std::vector<ApplicationId>> Resolve(UnitOfWork& uow, const Principal& who,
                                                     const BulkSelection& selection);
  absl::StatusOr<std::vector<ApplicationId>> ApplicationsInStage(UnitOfWork& uow,
                                                                 const Principal& who,
                                                                 const JobId& job,
                                                                 const StageId& stage);
  // Sends one entry and records the outcome; a transient error is returned.
  absl::Status HandOver(const BulkSend& bulk, BulkSendEntry entry);
  void Notify() {
    if (notify_) notify_();
  }

  Deps deps_;
  CheckSender& sender_;
  BulkSendOptions options_;
  std::function<void()> notify_;
};

}  // namespace stagecheck
