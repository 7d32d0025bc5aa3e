# Sourced (bash): free_port prints a loopback port that nobody listens on now
# and that the kernel never hands out as a connection's source port.
#
# Why outside the ephemeral range (net.ipv4.ip_local_port_range): a server that
# is halted and started again on the same port (pg_server.sh resume, an outage
# test) leaves the port unbound meanwhile. A port inside the range can then be
# taken as the source port of any loopback connection on the machine, or by a
# client's own reconnect to it (a TCP self-connect), and the restart fails with
# "Address already in use" for as long as that connection lives. CI lost a
# PostgreSQL restart to exactly this on 2026-12-02.

# The ports free_port picks from: from 10000 up to the ephemeral range if that
# leaves 1,024 ports, else above it if that does, else (a range covering
# nearly everything) anywhere. The same rule as RestartablePortWindow in
# tests/support/service/loopback_port.h, for the C++ test harness.
free_port_window() {
  local low=32768 high=60999
  if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
    read -r low high </proc/sys/net/ipv4/ip_local_port_range || true
  fi
  if [ $((low - 10000)) -ge 1024 ]; then
    echo "10000 $((low - 1))"
  elif [ $((65535 - high)) -ge 1024 ]; then
    echo "$((high + 1)) 65535"
  else
    echo "20000 60000"
  fi
}

free_port() {
  local from to p
  read -r from to < <(free_port_window)
  for _ in $(seq 1 100); do
    p=$((from + (RANDOM * 32768 + RANDOM) % (to - from + 1)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}
