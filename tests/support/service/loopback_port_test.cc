#include "tests/support/service/loopback_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace stagecheck::testing {
namespace {

TEST(LoopbackPort, ReadsTheKernelsEphemeralRange) {
  const PortRange range = ParseEphemeralPortRange("32768\t60999\n");
  EXPECT_EQ(range.low, 32768);
  EXPECT_EQ(range.high, 60999);
  const PortRange spaced = ParseEphemeralPortRange(" 1024   65000 ");
  EXPECT_EQ(spaced.low, 1024);
  EXPECT_EQ(spaced.high, 65000);
}

TEST(LoopbackPort, UnreadableRangeTextMeansLinuxsDefault) {
  for (const char* text : {"", "32768", "abc def", "60999 32768", "0 100", "1 70000", "10 20x"}) {
    const PortRange range = ParseEphemeralPortRange(text);
    EXPECT_EQ(range.low, 32768) << text;
    EXPECT_EQ(range.high, 60999) << text;
  }
}

TEST(LoopbackPort, PicksBelowTheEphemeralRangeElseAboveIt) {
  const PortRange below = RestartablePortWindow({32768, 60999});
  EXPECT_EQ(below.low, 10000);
  EXPECT_EQ(below.high, 32767);
  const PortRange above = RestartablePortWindow({1024, 50000});
  EXPECT_EQ(above.low, 50001);
  EXPECT_EQ(above.high, 65535);
  const PortRange none = RestartablePortWindow({1024, 65000});
  EXPECT_GT(none.low, none.high);
}

TEST(LoopbackPort, APickedPortIsOutsideTheEphemeralRangeAndBindable) {
  const PortRange ephemeral = EphemeralPortRange();
  const PortRange window = RestartablePortWindow(ephemeral);
  ASSERT_LE(window.low, window.high) << "this machine's ephemeral range leaves no room";
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<uint16_t> port = PickRestartablePort();
    ASSERT_TRUE(port.ok()) << port.status();
    EXPECT_TRUE(*port < ephemeral.low || *port > ephemeral.high) << *port;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(*port);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << *port;
    ::close(fd);
  }
}

}  // namespace
}  // namespace stagecheck::testing
