// The cpprestsdk transport against a server that closes every connection
// right after its response, without saying so (no "Connection: close"), as a
// server does with a keep-alive connection left idle past its timeout: the
// client pools those connections, and each one is stale when reused. After
// a transport failure the next call must not draw another stale connection
// from the same pool (a burst leaves several), or every call to Certn fails
// until each stale connection has been tried (the gateway's three attempts
// included). Seen in the bench: "cannot reach Certn: Failed to write request
// body" after a burst of calls to the fake Certn.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/certn/transport.h"
#include "gtest/gtest.h"

namespace stagecheck::certn {
namespace {

constexpr char kOk[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";

// Answers each connection's first request with `reply` (200 "ok"), then
// closes it. The first `hold` connections are answered only once all of them
// are open, so that the client holds that many connections at once. A gated
// server answers its first connection only once OpenGate() is called.
class ClosingServer {
 public:
  explicit ClosingServer(int hold, std::string reply = kOk, bool gated = false)
      : hold_(hold), reply_(std::move(reply)), gated_(gated) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 64) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Accept(); });
  }
  ~ClosingServer() {
    OpenGate();
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (std::thread& t : sessions_) t.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/ping"); }
  int connections() const { return accepted_.load(); }
  void WaitForConnections(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return accepted_.load() >= n; });
  }
  void OpenGate() {
    std::lock_guard<std::mutex> lock(mu_);
    gate_open_ = true;
    cv_.notify_all();
  }

 private:
  void Accept() {
    for (;;) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      const timeval limit{5, 0};  // a connection that never sends ends the session
      ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      const int n = ++accepted_;
      {
        std::lock_guard<std::mutex> lock(mu_);
        cv_.notify_all();
      }
      sessions_.emplace_back([this, client, n] { Serve(client, n); });
    }
  }
  void Serve(int client, int n) {
    std::string request;
    char buf[4096];
    // The head, then the body its Content-Length announces.
    size_t body_at = std::string::npos;
    size_t length = 0;
    for (;;) {
      if (body_at == std::string::npos &&
          (body_at = request.find("\r\n\r\n")) != std::string::npos) {
        body_at += 4;
        const size_t at = request.find("Content-Length: ");
        if (at != std::string::npos && at < body_at) length = std::stoul(request.substr(at + 16));
      }
      if (body_at != std::string::npos && request.size() >= body_at + length) break;
      const ssize_t got = ::read(client, buf, sizeof buf);
      if (got <= 0) break;
      request.append(buf, static_cast<size_t>(got));
    }
    if (n <= hold_) {
      std::unique_lock<std::mutex> lock(mu_);
      ++opened_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return opened_ >= hold_; });
    }
    if (gated_ && n == 1) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return gate_open_; });
    }
    for (size_t sent = 0; sent < reply_.size();) {
      const ssize_t put = ::write(client, reply_.data() + sent, reply_.size() - sent);
      if (put <= 0) break;
      sent += static_cast<size_t>(put);
    }
    if (reply_.size() > sizeof kOk) {
      // A long reply: closed only once the client has read it (a close with
      // the client's bytes unread would reset the connection, and the reset
      // can overtake the reply's tail).
      ::shutdown(client, SHUT_WR);
      while (::read(client, buf, sizeof buf) > 0) {
      }
    }
    ::close(client);
  }

  const int hold_;
  const std::string reply_;
  const bool gated_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  int opened_ = 0;          // guarded by mu_
  bool gate_open_ = false;  // guarded by mu_
  std::thread thread_;
  std::vector<std::thread> sessions_;  // only the accept thread adds
};

// A POST with a body: a GET meets the stale connection when it reads the
// status line, which cpprestsdk retries once by itself; a body's write fails
// first, and is not retried.
HttpCall Post(const std::string& url) {
  HttpCall call;
  call.url = url;
  call.method = "POST";
  call.body = std::string(2000, 'x');
  call.content_type = "application/json";
  call.connect_timeout = absl::Seconds(5);
  call.total_timeout = absl::Seconds(10);
  return call;
}

TEST(CpprestTransportTest, AfterAStaleConnectionFailsTheNextCallOpensAFreshOne) {
  constexpr int kBurst = 6;
  ClosingServer server(kBurst);
  std::unique_ptr<Transport> transport = MakeCpprestTransport();
  // A burst: kBurst connections open at once, each closed by the server
  // after its answer, all back in the client's pool.
  std::vector<std::future<absl::StatusOr<HttpReply>>> burst;
  for (int i = 0; i < kBurst; ++i) {
    burst.push_back(
        std::async(std::launch::async, [&] { return transport->Send(Post(server.url())); }));
  }
  for (auto& f : burst) {
    absl::StatusOr<HttpReply> reply = f.get();
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->body, "ok");
  }
  ASSERT_EQ(server.connections(), kBurst);
  std::vector<bool> ok;
  for (int i = 0; i < 4; ++i) ok.push_back(transport->Send(Post(server.url())).ok());
  std::string seen;
  for (bool b : ok) seen += b ? "ok " : "failed ";
  // At most one call meets the pool's stale connections; the next opens a
  // fresh one.
  EXPECT_TRUE(ok[0] || ok[1]) << seen;
  EXPECT_TRUE(ok[1] || ok[2]) << seen;
}

// A body longer than one read (the transport reads 64 KiB at a time), sent
// in chunks, its length not announced: read whole and in order up to the
// cap, refused past it.
TEST(CpprestTransportTest, ABodyOfManyReadsIsReadWholeAndStopsAtTheCap) {
  std::string body;
  for (int i = 0; body.size() < 200 * 1024; ++i) absl::StrAppend(&body, i, ",");
  std::string reply =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t at = 0; at < body.size(); at += 10000) {
    const std::string chunk = body.substr(at, 10000);
    absl::StrAppend(&reply, absl::Hex(chunk.size()), "\r\n", chunk, "\r\n");
  }
  reply += "0\r\n\r\n";
  ClosingServer server(0, reply);
  HttpCall call = Post(server.url());
  call.max_response_bytes = 1 << 20;
  // A transport for each call: the server closes every connection.
  absl::StatusOr<HttpReply> whole = MakeCpprestTransport()->Send(call);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->status, 200);
  EXPECT_TRUE(whole->body == body) << whole->body.size() << " bytes of " << body.size();

  call.max_response_bytes = 100 * 1024;
  absl::StatusOr<HttpReply> capped = MakeCpprestTransport()->Send(call);
  EXPECT_EQ(capped.status().code(), absl::StatusCode::kResourceExhausted) << capped.status();
  EXPECT_NE(capped.status().message().find("larger than 102400 bytes"), std::string::npos)
      << capped.status();
}

// cpprestsdk runs every call's sockets and continuations on one thread
// (cpprest_transport.cc): a call whose answer does not come must not hold up
// the others. Serialised calls would wait behind the held one until its
// inactivity timeout failed it; here the others are answered while it waits,
// and it is answered too once the server lets it.
TEST(CpprestTransportTest, ACallWaitingForItsAnswerDoesNotHoldUpTheOthers) {
  ClosingServer server(0, kOk, /*gated=*/true);
  std::unique_ptr<Transport> transport = MakeCpprestTransport();
  auto held = std::async(std::launch::async, [&] { return transport->Send(Post(server.url())); });
  server.WaitForConnections(1);  // the held call is in flight
  for (int i = 0; i < 5; ++i) {
    // A transport of its own for each: the server closes every connection
    // (pooled, it would be stale); the process's one cpprestsdk thread is
    // what they share.
    absl::StatusOr<HttpReply> reply = MakeCpprestTransport()->Send(Post(server.url()));
    ASSERT_TRUE(reply.ok()) << i << ": " << reply.status();
    EXPECT_EQ(reply->body, "ok");
  }
  server.OpenGate();
  absl::StatusOr<HttpReply> late = held.get();
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->body, "ok");
  EXPECT_EQ(server.connections(), 6);
}

// The pool is sized once, before its first use: cpprestsdk's default would
// start 40 threads, each woken in turn by the continuations of every call.
TEST(CpprestTransportTest, CallsRunOnAPoolOfOneThreadNotCpprestsForty) {
  ClosingServer server(0);
  absl::StatusOr<HttpReply> reply = MakeCpprestTransport()->Send(Post(server.url()));
  ASSERT_TRUE(reply.ok()) << reply.status();
  int threads = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    (void)entry;
    ++threads;
  }
  // This process: gtest's thread, the server's, Asio's resolver, the pool.
  EXPECT_LT(threads, 12);
}

}  // namespace
}  // namespace stagecheck::certn
