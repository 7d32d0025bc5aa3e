// The bulk send's drain over the Certn plugin, on a hand-driven clock: one
// run hands over at most max_in_flight applications and defers itself, so
// the work queue never holds more than that many of one bulk send's orders
// (another send, another team's, is never behind hundreds of them); the rest
// follow on later runs, each application once.
#include "core/services/bulk_sends.h"
#include "tests/unit/certn_plugin/plugin_harness.h"

namespace stagecheck::plugintest {
namespace {

class BulkSendDrainTest : public PluginHarness {
 protected:
  void SetUp() override {
    PluginHarness::SetUp();
    bulk_ =
        std::make_unique<BulkSends>(*deps_, plugin_->sender(), BulkSendOptions{.max_in_flight = 5});
    ASSERT_OK(bulk_->RegisterWork(*worker_));
  }
  int Handed(const Principal& who, const BulkSendId& id) {
    auto bulk = bulk_->Get(who, id);
    EXPECT_TRUE(bulk.ok()) << bulk.status();
    int n = 0;
    for (const BulkSendEntry& e : bulk->entries) n += e.step == BulkEntryStep::kHanded ? 1 : 0;
    return n;
  }
  std::unique_ptr<BulkSends> bulk_;
};

TEST_F(BulkSendDrainTest, ARunHandsOverAtMostTheInFlightLimitAndTheRestFollowOnce) {
  Principal admin = NewTeam();
  Principal recruiter = Recruiter(admin);
  JobId job = NewJob(admin);
  BulkSelection selection;
  for (int i = 0; i < 12; ++i) {
    selection.applications.push_back(NewApplication(recruiter, NewCandidate(recruiter), job));
  }
  ASSERT_OK_AND_ASSIGN(created, bulk_->Create(recruiter, selection, std::nullopt));

  EXPECT_EQ(worker_->RunDue(1), 1);  // the drain alone
  EXPECT_EQ(Handed(recruiter, created.id), 5);
  // Another send meanwhile (the scripted Certn knows one key at a time, so
  // the same team's): it is due behind five orders, not behind twelve.
  ApplicationId single = NewApplication(recruiter, NewCandidate(recruiter), job);
  ASSERT_OK(checks_->Send(recruiter, single, {}, std::nullopt));
  Drain();  // the six orders; the drain waits for its next batch
  EXPECT_EQ(Handed(recruiter, created.id), 5);
  EXPECT_EQ(gateway_.orders().size(), 6u);

  for (int round = 0; round < 3; ++round) {
    clock_.Advance(absl::Seconds(1));
    Drain();
  }
  ASSERT_OK_AND_ASSIGN(done, bulk_->Get(recruiter, created.id));
  EXPECT_TRUE(done.Done());
  EXPECT_EQ(Handed(recruiter, created.id), 12);
  std::set<std::string> references;
  for (const CertnOrder& order : gateway_.orders()) references.insert(order.reference);
  EXPECT_EQ(references.size(), 13u) << "every application ordered once";
  EXPECT_EQ(gateway_.orders().size(), 13u);
}

TEST_F(BulkSendDrainTest, ARepeatedHandOverGetsTheSameCheckBack) {
  Principal admin = NewTeam();
  Principal recruiter = Recruiter(admin);
  ApplicationId app = NewApplication(recruiter, NewCandidate(recruiter), NewJob(admin));
  // The drain sent the check, then died before recording it: the same key again.
  const IdempotencyKey key{"bulk:b1:" + app.value(), "bulk-send"};
  ASSERT_OK_AND_ASSIGN(first, plugin_->sender().SendForBulk(recruiter, app, std::nullopt, key));
  ASSERT_OK_AND_ASSIGN(again, plugin_->sender().SendForBulk(recruiter, app, std::nullopt, key));
  EXPECT_EQ(first, again);
}

}  // namespace
}  // namespace stagecheck::plugintest
