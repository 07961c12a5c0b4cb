"""A fake Stripe API over real HTTP, for driving the real stripe-python client in the app.

One fake, two transports: every request is answered by the app's own simulator
(`credits_app.billing.stripe_simulator.handle_api_request`, which the embedded default reaches
in-process), here behind a `ThreadingHTTPServer` on a free local port. On top of that the fake

- records every request (method, path, decoded form params, `Idempotency-Key`, `Authorization`)
  and the answer it gave, so tests can assert exactly what the app sent to Stripe;
- can misbehave on demand: the next N requests answer 500, drop the connection before
  handling, or handle the request and then drop the answer (`fail_next`); or a session
  reports other fields than it was created with (`override_session`, e.g. another
  `amount_total`, to test the mismatch check).

Sessions live in the simulator's table, so this process must `use_engine` the app's database.
"""

import json
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal
from urllib.parse import urlsplit

from credits_app.billing.stripe_simulator import decode_form, handle_api_request_with_events
from tests.support.loopback import serving

FAKE_STRIPE_KEY = "sk_test_fake"
FAKE_WEBHOOK_SECRET = "whsec_test_secret"

Failure = Literal["500", "disconnect", "drop_response"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it reached the fake, and what the fake answered."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    authorization: str | None
    status: int
    response: dict[str, Any] | None  # None when the connection was dropped


@dataclass
class FakeStripeServer:
    """State shared by the HTTP handler threads; the test talks to it directly."""

    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _requests: list[RecordedRequest] = field(default_factory=list)
    _failures: list[Failure] = field(default_factory=list)
    _overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    _events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    # --- what the test asks ---------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        """The requests with this method whose path starts with `path_prefix`."""
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def events(self, event_type: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """The webhook events Stripe would have sent so far, (type, object), oldest first; the
        test delivers them (signed, as often as it likes) to the app under test."""
        with self._lock:
            return [e for e in self._events if event_type is None or e[0] == event_type]

    def fail_next(self, times: int = 1, how: Failure = "500") -> None:
        """Make the next `times` requests fail: a Stripe-shaped 500 ("500"), a connection dropped
        before the request is handled ("disconnect") or after ("drop_response": the work is done
        at "Stripe" but the answer is lost, which is what idempotency keys are for)."""
        with self._lock:
            self._failures.extend([how] * times)

    def override_session(self, session_id: str, **fields: Any) -> None:
        """From now on, report these fields for this session (create and retrieve)."""
        with self._lock:
            self._overrides.setdefault(session_id, {}).update(fields)

    def reset(self) -> None:
        """Forget recorded requests, pending failures and overrides (each test starts clean)."""
        with self._lock:
            self._requests.clear()
            self._failures.clear()
            self._overrides.clear()
            self._events.clear()

    # --- what the handler uses ------------------------------------------------------------

    def _take_failure(self) -> Failure | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _overridden(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj.get("object") != "checkout.session":
            return obj
        with self._lock:
            fields = dict(self._overrides.get(str(obj.get("id")), {}))
        return obj | fields

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)


def _handler_for(fake: FakeStripeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Stripe's wire format: form-encoded requests in, JSON objects out."""

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_DELETE(self) -> None:
            self._answer()

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            params = decode_form(body if self.command == "POST" else parts.query)
            key = self.headers.get("Idempotency-Key")
            failure = fake._take_failure()
            if failure == "disconnect":
                fake._record(self._recorded(parts.path, params, key, 0, None))
                self._hang_up()
                return
            if failure == "500":
                status, obj = 500, {"error": {"type": "api_error", "message": "Fake outage."}}
            else:
                try:
                    status, obj, events = handle_api_request_with_events(
                        self.command, parts.path, body if self.command == "POST" else "", key
                    )
                    with fake._lock:
                        fake._events.extend(events)
                except Exception as error:  # a fake's bug must show, not hang up silently
                    status, obj = 500, {"error": {"type": "api_error", "message": repr(error)}}
                obj = fake._overridden(obj)
            fake._record(self._recorded(parts.path, params, key, status, obj))
            if failure == "drop_response":
                self._hang_up()
                return
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_fake_" + secrets.token_hex(6))
            self.end_headers()
            self.wfile.write(data)

        def _hang_up(self) -> None:
            """Close the connection without an answer, as a network failure would."""
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

        def _recorded(
            self,
            path: str,
            params: dict[str, Any],
            key: str | None,
            status: int,
            obj: dict[str, Any] | None,
        ) -> RecordedRequest:
            authorization = self.headers.get("Authorization")
            return RecordedRequest(self.command, path, params, key, authorization, status, obj)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the recorded requests are the log."""

    return Handler


@contextmanager
def running_fake_stripe() -> Iterator[FakeStripeServer]:
    """Serve a fake Stripe on a free port of 127.0.0.1 in a daemon thread until the block ends."""
    fake = FakeStripeServer()
    with serving(_handler_for(fake), "fake-stripe") as url:
        fake.url = url
        yield fake
