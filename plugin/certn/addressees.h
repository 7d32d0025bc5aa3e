// Who a webhook delivery is for, remembered for a while (issue 21).
//
// Finding a delivery's team, case and integration was a read transaction of
// its own: under a burst the writer changes the database between any two
// reads, so each one started with an empty page cache and read its pages
// back from the file (a third of a delivery's CPU). A burst names the same
// few teams and cases over and over; the answers are kept here for
// `fresh_for` (one second in production), after which the next delivery
// reads them again. What that allows: an admin's change to a team's Certn
// connection (a rotated webhook secret, a disconnect, a new Certn team ID)
// reaches the webhook of every other replica within that second; in the
// replica that made it, at once (each answer carries the generation of this
// process's integration writes it was read at, Integrations::generation(), and
// a later write makes it stale). A rotated secret's predecessor is accepted
// for longer anyway (previous_secret_valid_until).
//
// A case's check is kept for `case_fresh_for` (a minute in production): once
// recorded it never changes (a check keeps its case and its team for life;
// erasing its candidate keeps the row that ties them), so the time only
// bounds how long a case seen once holds memory. With a second, a case whose
// deliveries came every few hundred milliseconds (a storm, Certn's retries,
// the bench's 2,000 cases) was read again about every third delivery: on
// PostgreSQL a read transaction of four round trips on the handler pool.
//
// Only what was found is remembered: an unknown team or case is looked up
// every time, so that a team connected or a case ordered a moment ago is
// recognised at once. An unknown case of a remembered team (named by
// Certn-Team-ID) is looked up in the delivery's own transaction, not before
// it (webhook.cc), and remembered here when that transaction finds it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "core/ids.h"
#include "plugin/certn/domain/integration.h"
#include "plugin/certn/ports/certn_store.h"

namespace stagecheck::certn_plugin {

class AddresseeCache {
 public:
  // When a delivery looks up: its clock, and the generation of integration
  // writes (Integrations::generation()) taken before it read anything.
  struct Stamp {
    absl::Time now;
    uint64_t generation = 0;
  };

  AddresseeCache(absl::Duration fresh_for, absl::Duration case_fresh_for)
      : fresh_for_(fresh_for), case_fresh_for_(case_fresh_for) {}

  std::optional<TeamId> TeamOf(std::string_view certn_team_id, Stamp at) const;
  std::optional<CaseCheck> CheckOf(std::string_view case_id, Stamp at) const;
  // Shared, not copied: an integration is a dozen strings, and every
  // delivery of a burst asks for it.
  std::shared_ptr<const CertnIntegration> IntegrationOf(const TeamId& team, Stamp at) const;

  // `at`: the stamp taken before the answer was read.
  void RememberTeam(std::string_view certn_team_id, const TeamId& team, Stamp at);
  void RememberCheck(std::string_view case_id, const CaseCheck& check, Stamp at);
  void RememberIntegration(std::shared_ptr<const CertnIntegration> integration, Stamp at);

 private:
  template <typename T>
  struct Entry {
    T value;
    absl::Time until;
    uint64_t generation;
  };
  // Looked up by string_view without making a key string (absl's maps take
  // any string-like key).
  template <typename T>
  using Map = absl::flat_hash_map<std::string, Entry<T>>;

  template <typename T>
  std::optional<T> Find(const Map<T>& map, std::string_view key, Stamp at) const;
  template <typename T>
  void Put(Map<T>& map, std::string_view key, const T& value, Stamp at, absl::Duration fresh);

  // Bounds memory under a flood of distinct cases: expired entries go first;
  // a map still more than half full after that starts over, so the next
  // scan is at least kPruneAbove / 2 answers away (a map left just under
  // the bound was scanned again on every Put, and a case's minute keeps
  // many more entries fresh than a second did).
  static constexpr size_t kPruneAbove = 16384;
  const absl::Duration fresh_for_;
  const absl::Duration case_fresh_for_;
  mutable std::mutex mu_;
  Map<TeamId> teams_;      // Certn team ID → team, guarded by mu_
  Map<CaseCheck> checks_;  // Certn case ID → check, guarded by mu_
  Map<std::shared_ptr<const CertnIntegration>> integrations_;  // team id →, guarded by mu_
};

}  // namespace stagecheck::certn_plugin
