#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "adapters/http/http.h"
#include "adapters/http/problem.h"
#include "adapters/http/router.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/http/test_client.h"

namespace stagecheck::http {
namespace {

using testing::Get;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::Post;
using testing::TestClient;

constexpr auto kDeadline = std::chrono::seconds(10);

ServerOptions Options() {
  ServerOptions options;
  options.port = 0;
  options.io_threads = 1;
  options.worker_threads = 4;
  options.max_body_bytes = 1024;
  options.read_timeout_seconds = 5;
  return options;
}

Handler Echo() {
  return [](Request request, Respond respond) {
    std::string body = request.method + " " + request.path;
    if (auto name = request.QueryParam("name")) body += " name=" + *name;
    if (!request.body.empty()) body += " body=" + request.body;
    respond(Response::Text(200, std::move(body)));
  };
}

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(Handler handler, ServerOptions options = Options(),
                   IoHandler on_io_thread = nullptr) {
    server_ = std::make_unique<Server>(options, std::move(handler), std::move(on_io_thread));
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, AnswersAGetWithDecodedPathAndQuery) {
  StartServer(Echo());
  TestClient client(server_->port());
  ASSERT_TRUE(client.connected());
  auto response = client.RoundTrip(Get("/a%20b/c?name=J%C3%BCrgen+M"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /a b/c name=J\xC3\xBCrgen M");
  EXPECT_EQ(response->Header("content-type"), "text/plain; charset=utf-8");
}

TEST_F(ServerTest, KeepsTheConnectionAliveAcrossRequests) {
  StartServer(Echo());
  TestClient client(server_->port());
  for (int i = 0; i < 5; ++i) {
    auto response = client.RoundTrip(Post("/echo", "n" + std::to_string(i)));
    ASSERT_TRUE(response.has_value()) << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "POST /echo body=n" + std::to_string(i));
  }
}

TEST_F(ServerTest, AnswersPipelinedRequestsInOrder) {
  StartServer(Echo());
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Post("/p", "1") + Get("/q") + Post("/p", "3")));
  for (std::string expected : {"POST /p body=1", "GET /q", "POST /p body=3"}) {
    auto response = client.Read();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->body, expected);
  }
}

TEST_F(ServerTest, RejectsOversizedBodiesWith413WithoutCallingTheHandler) {
  std::atomic<int> calls{0};
  StartServer([&](Request, Respond respond) {
    ++calls;
    respond(Response::Text(200, "called"));
  });
  TestClient client(server_->port());
  auto response = client.RoundTrip(Post("/big", std::string(2048, 'x')));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->Header("content-type"), kProblemContentType);
  EXPECT_THAT(response->body, HasSubstr("\"status\":413"));
  EXPECT_THAT(response->body, HasSubstr("\"code\":\"payload_too_large\""));
  EXPECT_EQ(calls.load(), 0);
}

TEST_F(ServerTest, TheClientCanRead413EvenWhileStillSendingAHugeBody) {
  StartServer(Echo());
  TestClient client(server_->port());
  // The server answers after the headers; the client keeps sending 2 MB.
  // Without a lingering close the unread input would turn into a RST.
  client.Send(Post("/big", std::string(2 << 20, 'x')));
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(ServerTest, RejectsOversizedChunkedBodiesWith413) {
  std::atomic<int> calls{0};
  StartServer([&](Request, Respond respond) {
    ++calls;
    respond(Response::Text(200, "called"));
  });
  TestClient client(server_->port());
  std::string chunk(800, 'y');
  std::string request =
      "POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "320\r\n" +
      chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n";
  auto response = client.RoundTrip(request);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(calls.load(), 0);
}

TEST_F(ServerTest, AcceptsABodyAtExactlyTheLimit) {
  StartServer([](Request request, Respond respond) {
    respond(Response::Text(200, std::to_string(request.body.size())));
  });
  TestClient client(server_->port());
  auto response = client.RoundTrip(Post("/ok", std::string(1024, 'x')));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "1024");
}

TEST_F(ServerTest, AnswersGarbageWith400AndCloses) {
  std::atomic<int> calls{0};
  StartServer([&](Request, Respond respond) {
    ++calls;
    respond(Response::Text(200, "called"));
  });
  TestClient client(server_->port());
  auto response = client.RoundTrip("THIS IS NOT HTTP\r\n\r\n");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->Header("content-type"), kProblemContentType);
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_EQ(calls.load(), 0);
}

TEST_F(ServerTest, AnswersOversizedHeadersWith431) {
  StartServer(Echo());
  TestClient client(server_->port());
  auto response = client.RoundTrip(Get("/", "X-Big: " + std::string(20000, 'h') + "\r\n"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 431);
}

TEST_F(ServerTest, AnswersExpectContinueBeforeTheBody) {
  StartServer(Echo());
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(
      "POST /c HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  // The interim response must arrive before we send the body.
  auto interim = client.Read(/*skip_interim=*/false);
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  auto response = client.RoundTrip("hello");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "POST /c body=hello");
}

TEST_F(ServerTest, RoutesUnknownPathsTo404AndWrongMethodsTo405) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/things/{id}", Echo()).ok());
  ASSERT_TRUE(router.Add("DELETE", "/things/{id}", Echo()).ok());
  StartServer(router);
  TestClient client(server_->port());
  auto missing = client.RoundTrip(Get("/nothing"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->Header("content-type"), kProblemContentType);
  auto wrong = client.RoundTrip(Post("/things/7", "{}"));
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->Header("allow"), "GET, DELETE");
  auto found = client.RoundTrip(Get("/things/7"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->status, 200);
}

TEST_F(ServerTest, ServesConcurrentClientsFromSeveralThreads) {
  ServerOptions options = Options();
  options.io_threads = 2;
  StartServer(Echo(), options);
  constexpr int kThreads = 8;
  constexpr int kRequests = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      TestClient client(server_->port());
      for (int i = 0; i < kRequests; ++i) {
        std::string body = std::to_string(t) + "-" + std::to_string(i);
        auto response = client.RoundTrip(Post("/c", body));
        if (response && response->status == 200 && response->body == "POST /c body=" + body) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads * kRequests);
}

TEST_F(ServerTest, ABlockedHandlerDoesNotBlockOtherConnections) {
  // With one io thread, this only passes if handlers run off the io thread.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  ServerOptions options = Options();
  options.io_threads = 1;
  options.worker_threads = 2;
  StartServer(
      [&, released](Request request, Respond respond) {
        if (request.path == "/block") {
          entered.set_value();
          released.wait_for(kDeadline);
        }
        respond(Response::Text(200, request.path));
      },
      options);
  TestClient blocked(server_->port());
  ASSERT_TRUE(blocked.Send(Get("/block")));
  ASSERT_EQ(entered.get_future().wait_for(kDeadline), std::future_status::ready);
  TestClient fast(server_->port());
  auto response = fast.RoundTrip(Get("/fast"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "/fast");
  release.set_value();
  auto slow = blocked.Read();
  ASSERT_TRUE(slow.has_value());
  EXPECT_EQ(slow->body, "/block");
}

TEST_F(ServerTest, AcceptsARespondCallFromAnotherThread) {
  std::promise<Respond> handed_over;
  StartServer([&](Request, Respond respond) { handed_over.set_value(std::move(respond)); });
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/later")));
  auto future = handed_over.get_future();
  ASSERT_EQ(future.wait_for(kDeadline), std::future_status::ready);
  Respond respond = future.get();
  std::thread([respond] { respond(Response::Json(202, R"({"queued":true})")); }).join();
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 202);
  EXPECT_EQ(response->body, R"({"queued":true})");
  EXPECT_EQ(response->Header("content-type"), "application/json");
}

TEST_F(ServerTest, OnlyTheFirstRespondCounts) {
  StartServer([](Request, Respond respond) {
    respond(Response::Text(200, "first"));
    respond(Response::Text(500, "second"));
  });
  TestClient client(server_->port());
  auto one = client.RoundTrip(Get("/x"));
  auto two = client.RoundTrip(Get("/y"));
  ASSERT_TRUE(one.has_value());
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(one->body, "first");
  EXPECT_EQ(two->body, "first");
}

TEST_F(ServerTest, AnswersA500WhenTheHandlerThrowsOrDropsRespond) {
  StartServer([](Request request, Respond respond) {
    if (request.path == "/throw") throw std::runtime_error("secret database path");
    (void)respond;  // dropped without answering
  });
  TestClient client(server_->port());
  auto thrown = client.RoundTrip(Get("/throw"));
  ASSERT_TRUE(thrown.has_value());
  EXPECT_EQ(thrown->status, 500);
  EXPECT_THAT(thrown->body, ::testing::Not(HasSubstr("secret")));
  auto dropped = client.RoundTrip(Get("/drop"));
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(dropped->status, 500);
}

// The io handler takes what it can answer without blocking; what it
// declines reaches the worker's handler whole, on another thread.
TEST_F(ServerTest, AnIoHandlerAnswersOnTheIoThreadAndDeclinesTheRestToAWorker) {
  std::atomic<int> worker_calls{0};
  std::promise<std::thread::id> io_thread, worker_thread;
  std::atomic<bool> io_seen{false}, worker_seen{false};
  IoHandler on_io = [&](Request& request, Respond& respond) {
    if (request.path != "/quick") return false;
    if (!io_seen.exchange(true)) io_thread.set_value(std::this_thread::get_id());
    respond(Response::Text(200, "io " + request.body));
    return true;
  };
  StartServer(
      [&](Request request, Respond respond) {
        ++worker_calls;
        if (!worker_seen.exchange(true)) worker_thread.set_value(std::this_thread::get_id());
        respond(Response::Text(200, "worker " + request.path + " " + request.body));
      },
      Options(), on_io);
  TestClient client(server_->port());
  auto quick = client.RoundTrip(Post("/quick", "a"));
  ASSERT_TRUE(quick.has_value());
  EXPECT_EQ(quick->body, "io a");
  EXPECT_EQ(worker_calls.load(), 0);
  auto slow = client.RoundTrip(Post("/slow", "b"));
  ASSERT_TRUE(slow.has_value());
  EXPECT_EQ(slow->body, "worker /slow b");
  EXPECT_EQ(worker_calls.load(), 1);
  EXPECT_NE(io_thread.get_future().get(), worker_thread.get_future().get());
  // Pipelined, mixed: still answered in request order.
  ASSERT_TRUE(client.Send(Post("/slow", "1") + Post("/quick", "2") + Post("/slow", "3")));
  for (std::string expected : {"worker /slow 1", "io 2", "worker /slow 3"}) {
    auto response = client.Read();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->body, expected);
  }
}

TEST_F(ServerTest, AnIoHandlerMayAnswerLaterFromAnotherThreadOrThrow) {
  std::vector<std::thread> later;
  IoHandler on_io = [&](Request& request, Respond& respond) {
    if (request.path == "/throw") throw std::runtime_error("boom");
    later.emplace_back([respond] { respond(Response::Text(202, "later")); });
    return true;
  };
  StartServer([](Request, Respond respond) { respond(Response::Text(200, "worker")); }, Options(),
              on_io);
  TestClient client(server_->port());
  auto answered = client.RoundTrip(Post("/later", "x"));
  ASSERT_TRUE(answered.has_value());
  EXPECT_EQ(answered->status, 202);
  EXPECT_EQ(answered->body, "later");
  auto thrown = client.RoundTrip(Get("/throw"));
  ASSERT_TRUE(thrown.has_value());
  EXPECT_EQ(thrown->status, 500);
  EXPECT_THAT(thrown->body, HasSubstr("\"code\":\"internal\""));
  for (std::thread& t : later) t.join();
}

TEST_F(ServerTest, EchoesASaneRequestIdAndReplacesOthers) {
  StartServer(
      [](Request request, Respond respond) { respond(Response::Text(200, request.request_id)); });
  TestClient client(server_->port());
  auto echoed = client.RoundTrip(Get("/", "X-Request-Id: abc-123.x_y:z\r\n"));
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->Header("x-request-id"), "abc-123.x_y:z");
  EXPECT_EQ(echoed->body, "abc-123.x_y:z");

  auto replaced = client.RoundTrip(Get("/", "X-Request-Id: bad id{}\r\n"));
  ASSERT_TRUE(replaced.has_value());
  ASSERT_TRUE(replaced->Header("x-request-id").has_value());
  EXPECT_THAT(*replaced->Header("x-request-id"), MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(replaced->body, *replaced->Header("x-request-id"));

  auto generated = client.RoundTrip(Get("/"));
  ASSERT_TRUE(generated.has_value());
  EXPECT_THAT(generated->Header("x-request-id").value_or(""), MatchesRegex("[0-9a-f]{32}"));
  EXPECT_NE(generated->Header("x-request-id"), replaced->Header("x-request-id"));
}

TEST_F(ServerTest, ErrorResponsesCarryARequestIdToo) {
  StartServer(Echo());
  TestClient client(server_->port());
  auto response = client.RoundTrip(Post("/big", std::string(4096, 'x')));
  ASSERT_TRUE(response.has_value());
  EXPECT_TRUE(response->Header("x-request-id").has_value());
}

TEST_F(ServerTest, StopLetsAnInFlightRequestFinish) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  StartServer([&, released](Request, Respond respond) {
    entered.set_value();
    released.wait_for(kDeadline);
    respond(Response::Text(200, "finished"));
  });
  TestClient client(server_->port());
  TestClient idle(server_->port());
  ASSERT_TRUE(client.Send(Get("/slow")));
  ASSERT_EQ(entered.get_future().wait_for(kDeadline), std::future_status::ready);
  auto stopped = std::async(std::launch::async, [&] { server_->Stop(); });
  // Stop must wait for the handler.
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  release.set_value();
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "finished");
  EXPECT_EQ(response->Header("connection"), "close");
  ASSERT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
  EXPECT_TRUE(idle.WaitForClose());
  TestClient late(server_->port());
  EXPECT_FALSE(late.connected());
}

TEST_F(ServerTest, ClosesIdleConnectionsAfterTheReadTimeout) {
  ServerOptions options = Options();
  options.read_timeout_seconds = 1;
  StartServer(Echo(), options);
  TestClient client(server_->port(), /*timeout_seconds=*/5);
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\n"));  // never finished
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST_F(ServerTest, ReportsABindFailureClearly) {
  StartServer(Echo());
  ServerOptions options = Options();
  options.port = server_->port();
  Server second(options, Echo());
  absl::Status status = second.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr(std::to_string(server_->port())));
}

TEST_F(ServerTest, RejectsAnUnresolvableHost) {
  ServerOptions options = Options();
  options.host = "no such host.invalid";
  Server server(options, Echo());
  EXPECT_EQ(server.Start().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ServerTest, DropsHandlerHeadersThatWouldSplitTheResponse) {
  StartServer([](Request, Respond respond) {
    Response response = Response::Text(200, "ok");
    response.SetHeader("X-Good", "fine");
    response.SetHeader("X-Evil", "a\r\nSet-Cookie: stolen=1");
    response.SetHeader("Bad Name", "v");
    respond(std::move(response));
  });
  TestClient client(server_->port());
  auto response = client.RoundTrip(Get("/"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->Header("x-good"), "fine");
  EXPECT_FALSE(response->Header("x-evil").has_value());
  EXPECT_FALSE(response->Header("set-cookie").has_value());
  EXPECT_EQ(response->body, "ok");
}

TEST_F(ServerTest, SurvivesRandomGarbageAndKeepsServing) {
  StartServer(Echo());
  std::mt19937 rng(12345);  // fixed seed: reproducible inputs
  const std::vector<std::string> seeds = {
      Get("/x"),
      Post("/y", "{}"),
      "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n"};
  for (int i = 0; i < 200; ++i) {
    std::string input = seeds[i % seeds.size()];
    for (int flips = rng() % 4; flips > 0 && !input.empty(); --flips) {
      input[rng() % input.size()] = static_cast<char>(rng() % 256);
    }
    TestClient client(server_->port(), /*timeout_seconds=*/5);
    ASSERT_TRUE(client.Send(input));
    ::shutdown(client.fd(), SHUT_WR);
    auto response = client.Read();
    if (response.has_value()) {
      EXPECT_TRUE(response->status == 200 || response->status == 400 || response->status == 404 ||
                  response->status == 413 || response->status == 431)
          << response->status;
    }
  }
  TestClient client(server_->port());
  auto response = client.RoundTrip(Get("/still-alive"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "GET /still-alive");
}

TEST_F(ServerTest, HttpOneZeroClosesAfterTheResponse) {
  StartServer(Echo());
  TestClient client(server_->port());
  auto response = client.RoundTrip("GET /old HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(client.WaitForClose());
}

}  // namespace
}  // namespace stagecheck::http
