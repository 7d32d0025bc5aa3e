#!/usr/bin/env python3
"""An independent Standard Webhooks receiver for the e2e tests (issue 20).

Written against standardwebhooks.com with nothing but Python's standard
library, so that it shares no code with Stagecheck's signer. It checks its own
verifier against the standard's published test vector before it listens (exit
1 when that fails), then prints {"port": N} and serves (the line also goes to --port-file, renamed into place):

  POST /hooks             a delivery: verified (signature over
                          "<webhook-id>.<webhook-timestamp>.<body>" with any
                          configured secret, timestamp within 5 minutes),
                          recorded, and answered as the fault plan says
  PUT  /_control/secrets  the endpoint's secrets, a JSON list of "whsec_..."
  GET  /_control/received every delivery so far, as JSON

Fault plan (per webhook-id, so every event meets it): the first --fail-first
attempts answer 500, the next --hang-next hang for --hang-seconds before
answering (the sender has timed out by then), the rest answer 204.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60


def secret_key(secret):
    if secret.startswith("whsec_"):
        secret = secret[len("whsec_"):]
    return base64.b64decode(secret)


def expected_signature(secret, msg_id, timestamp, body):
    signed = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secrets, msg_id, timestamp, signature_header, body, now):
    """The secrets whose signature the header carries (by index), or an error."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return None, "bad timestamp"
    if abs(now - ts) > TOLERANCE_SECONDS:
        return None, "timestamp too far from now"
    given = []
    for part in (signature_header or "").split(" "):
        version, _, sig = part.partition(",")
        if version == "v1" and sig:
            given.append(sig)
    matched = []
    for i, secret in enumerate(secrets):
        want = expected_signature(secret, msg_id, ts, body)
        if any(hmac.compare_digest(want, g) for g in given):
            matched.append(i)
    if not matched:
        return None, "no signature matches"
    return matched, None


def self_test():
    # https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    ts = 1614265330
    body = b'{"test": 2432232314}'
    want = "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    if expected_signature(secret, msg_id, ts, body) != want:
        return False
    ok, _ = verify([secret], msg_id, str(ts), "v1," + want, body, ts)
    bad, _ = verify([secret], msg_id, str(ts), "v1," + want, body + b" ", ts)
    return ok == [0] and bad is None


class State:
    def __init__(self, fail_first, hang_next, hang_seconds):
        self.lock = threading.Lock()
        self.secrets = []
        self.received = []
        self.attempts = {}
        self.fail_first = fail_first
        self.hang_next = hang_next
        self.hang_seconds = hang_seconds


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def answer(self, status, body=b""):
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the sender stopped waiting (a planned hang): nothing to tell

        def read_body(self):
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self):
            if self.path != "/_control/received":
                return self.answer(404)
            with state.lock:
                body = json.dumps(state.received).encode()
            self.answer(200, body)

        def do_PUT(self):
            if self.path != "/_control/secrets":
                return self.answer(404)
            secrets = json.loads(self.read_body())
            with state.lock:
                state.secrets = list(secrets)
            self.answer(204)

        def do_POST(self):
            if self.path != "/hooks":
                return self.answer(404)
            body = self.read_body()
            msg_id = self.headers.get("webhook-id", "")
            with state.lock:
                matched, error = verify(state.secrets, msg_id,
                                        self.headers.get("webhook-timestamp"),
                                        self.headers.get("webhook-signature"), body, time.time())
                n = state.attempts.get(msg_id, 0) + 1
                state.attempts[msg_id] = n
                if n <= state.fail_first:
                    plan = 500
                elif n <= state.fail_first + state.hang_next:
                    plan = "hang"
                else:
                    plan = 204
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = None
                state.received.append({
                    "webhook_id": msg_id,
                    "attempt": n,
                    "answer": plan if plan != "hang" else 0,
                    "verified": matched is not None,
                    "signatures_matched": matched or [],
                    "error": error,
                    "payload": payload,
                })
            if plan == "hang":
                time.sleep(state.hang_seconds)
                plan = 204
            self.answer(plan)

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--hang-next", type=int, default=0)
    parser.add_argument("--hang-seconds", type=float, default=3.0)
    parser.add_argument("--port-file", help="also write the port line here, once listening")
    args = parser.parse_args()
    if not self_test():
        print(json.dumps({"error": "Standard Webhooks test vector failed"}), flush=True)
        return 1
    state = State(args.fail_first, args.hang_next, args.hang_seconds)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    line = json.dumps({"port": server.server_address[1], "test_vector": "ok"})
    print(line, flush=True)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(line + "\n")
        os.rename(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
