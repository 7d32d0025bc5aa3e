#include "tests/support/service/loopback_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/status/status.h"

namespace stagecheck::testing {
namespace {

constexpr PortRange kLinuxDefaultEphemeral{32768, 60999};
// Below this, ports belong to well-known and registered services.
constexpr int kLowestPick = 10000;
// Fewer ports than this on one side is too small a window to pick from.
constexpr int kMinimumWindow = 1024;

bool ParsePort(std::string_view text, uint16_t& port) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return false;
  }
  port = static_cast<uint16_t>(value);
  return true;
}

// Binds `port` on loopback (port 0: the kernel picks) and returns the bound
// port, or 0 when the bind fails. No SO_REUSEADDR: a port with a lingering
// connection counts as taken.
uint16_t TryBind(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  socklen_t len = sizeof(addr);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  return ok ? ntohs(addr.sin_port) : 0;
}

}  // namespace

PortRange ParseEphemeralPortRange(std::string_view proc_text) {
  constexpr std::string_view kBlank = " \t\n";
  const size_t first = proc_text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return kLinuxDefaultEphemeral;
  proc_text = proc_text.substr(first, proc_text.find_last_not_of(kBlank) - first + 1);
  const size_t gap = proc_text.find_first_of(kBlank);
  if (gap == std::string_view::npos) return kLinuxDefaultEphemeral;
  const std::string_view high = proc_text.substr(proc_text.find_first_not_of(kBlank, gap));
  PortRange range;
  if (!ParsePort(proc_text.substr(0, gap), range.low) || !ParsePort(high, range.high) ||
      range.low > range.high) {
    return kLinuxDefaultEphemeral;
  }
  return range;
}

PortRange EphemeralPortRange() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  std::stringstream text;
  text << in.rdbuf();
  return ParseEphemeralPortRange(text.str());
}

PortRange RestartablePortWindow(PortRange ephemeral) {
  if (ephemeral.low - kLowestPick >= kMinimumWindow) {
    return {static_cast<uint16_t>(kLowestPick), static_cast<uint16_t>(ephemeral.low - 1)};
  }
  if (65535 - ephemeral.high >= kMinimumWindow) {
    return {static_cast<uint16_t>(ephemeral.high + 1), 65535};
  }
  return {1, 0};
}

absl::StatusOr<uint16_t> PickRestartablePort() {
  const PortRange window = RestartablePortWindow(EphemeralPortRange());
  if (window.low <= window.high) {
    std::random_device seed;
    std::mt19937 random(seed());
    std::uniform_int_distribution<int> in_window(window.low, window.high);
    for (int attempt = 0; attempt < 100; ++attempt) {
      const uint16_t bound = TryBind(static_cast<uint16_t>(in_window(random)));
      if (bound != 0) return bound;
    }
  }
  if (const uint16_t bound = TryBind(0); bound != 0) return bound;
  return absl::InternalError("could not find a free loopback port");
}

}  // namespace stagecheck::testing
