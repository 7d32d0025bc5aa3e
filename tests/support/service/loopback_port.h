// Loopback ports for test servers that stop and start again on the same port.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace stagecheck::testing {

// Inclusive port range.
struct PortRange {
  uint16_t low = 0;
  uint16_t high = 0;
};

// The kernel's ephemeral range as /proc/sys/net/ipv4/ip_local_port_range
// writes it ("32768\t60999"); Linux's default when the text is not that.
PortRange ParseEphemeralPortRange(std::string_view proc_text);
PortRange EphemeralPortRange();

// Where PickRestartablePort looks: below the ephemeral range if there is room,
// else above it; an empty range (low > high) when neither side has room.
// tests/support/free_port.sh applies the same rule for the shell scripts.
PortRange RestartablePortWindow(PortRange ephemeral);

// A loopback port that is free now (a bind succeeds) and outside the kernel's
// ephemeral range. While a server is down between a stop and its restart on
// the same port, a port inside the range can be taken as the source port of
// any loopback connection, or by a client's own reconnect (a TCP
// self-connect), and the restart then fails with "Address already in use".
// Falls back to a kernel-chosen port when the window has no free port.
absl::StatusOr<uint16_t> PickRestartablePort();

}  // namespace stagecheck::testing
