#include "core/thread_name.h"

#include <future>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace stagecheck {
namespace {

std::string NameOnANewThread(const std::string& name) {
  std::string seen;
  std::thread([&] {
    NameThisThread(name);
    seen = ThisThreadName();
  }).join();
  return seen;
}

TEST(ThreadName, AThreadReadsBackTheNameItWasGiven) {
  EXPECT_EQ(NameOnANewThread("sc-commit"), "sc-commit");
}

TEST(ThreadName, AThreadNamedByItsStarterHasTheNameWhenItLooks) {
  std::promise<void> named;
  std::string seen;
  std::thread thread([&] {
    named.get_future().wait();
    seen = ThisThreadName();
  });
  NameThread(thread, "sc-checkpoint");
  named.set_value();
  thread.join();
  EXPECT_EQ(seen, "sc-checkpoint");
}

TEST(ThreadName, ANameLongerThanLinuxKeepsIsCutAt15Bytes) {
  EXPECT_EQ(NameOnANewThread("sc-a-name-too-long-to-keep"), "sc-a-name-too-l");
}

TEST(ThreadName, NamingOneThreadLeavesTheOthers) {
  const std::string before = ThisThreadName();
  NameOnANewThread("sc-other");
  EXPECT_EQ(ThisThreadName(), before);
}

}  // namespace
}  // namespace stagecheck
