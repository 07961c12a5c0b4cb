"""A fake OpenAI-compatible chat server over real HTTP, for the credited chat's tests and bench.

`POST /v1/chat/completions` answers in OpenAI's shape (`choices[0].message`, `usage.prompt_tokens`
and `usage.completion_tokens`) from a `ThreadingHTTPServer` on a free port of 127.0.0.1, served by
a daemon thread. Point `OpenAICompatibleProvider` (or the app's `AI_BASE_URL`) at `base_url`.

The fake records every request (path, JSON body, `Authorization`) when it ARRIVES, before any
delay, so "the provider was never called" is `fake.requests == []`. Behaviour is set per test and
stays until `reset()`:

- `answer_with_usage(prompt, completion)`: the usage the fake reports (default `DEFAULT_USAGE`);
- `fail(status)`: answer with an OpenAI-shaped error (500 by default);
- `delay(seconds)`: wait before answering (longer than the client's timeout = a provider timeout);
- `malformed(body)`: answer 200 with a body that is not a chat completion.
"""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback import serving

CHAT_PATH = "/v1/chat/completions"
DEFAULT_USAGE = (42, 17)
DEFAULT_REPLY = "Hello from the fake model."
FAKE_API_KEY = "sk-fake-openai"


@dataclass(frozen=True)
class RecordedChatRequest:
    """One request as it reached the fake."""

    method: str
    path: str
    body: Any  # the decoded JSON body, or None when it was not JSON
    authorization: str | None


@dataclass
class FakeOpenAIServer:
    """State shared by the handler threads; tests configure and inspect it directly."""

    url: str = ""  # http://127.0.0.1:PORT
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _requests: list[RecordedChatRequest] = field(default_factory=list)
    _usage: tuple[int, int] = DEFAULT_USAGE
    _reply: str = DEFAULT_REPLY
    _status: int = 200
    _delay: float = 0.0
    _malformed: bytes | None = None

    @property
    def base_url(self) -> str:
        """What `AI_BASE_URL` should be: the provider appends `/chat/completions`."""
        return f"{self.url}/v1"

    @property
    def requests(self) -> list[RecordedChatRequest]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def answer_with_usage(
        self, prompt_tokens: int, completion_tokens: int, reply: str = DEFAULT_REPLY
    ) -> None:
        """Report this usage (and reply) from now on."""
        with self._lock:
            self._usage, self._reply = (prompt_tokens, completion_tokens), reply

    def fail(self, status: int = 500) -> None:
        """Answer every request with this HTTP status and an OpenAI-shaped error."""
        with self._lock:
            self._status = status

    def delay(self, seconds: float) -> None:
        """Wait this long before answering each request."""
        with self._lock:
            self._delay = seconds

    def malformed(self, body: bytes = b'{"id": "chatcmpl-x", "choices": []}') -> None:
        """Answer 200 with this body, which is not a usable chat completion."""
        with self._lock:
            self._malformed = body

    def reset(self) -> None:
        """Forget requests and go back to answering normally with `DEFAULT_USAGE`."""
        with self._lock:
            self._requests.clear()
            self._usage, self._reply = DEFAULT_USAGE, DEFAULT_REPLY
            self._status, self._delay, self._malformed = 200, 0.0, None

    def _record(self, request: RecordedChatRequest) -> tuple[int, float, bytes]:
        """Log the request; return (status, delay, body) as configured at its arrival."""
        with self._lock:
            self._requests.append(request)
            status, delay, malformed = self._status, self._delay, self._malformed
            usage, reply, number = self._usage, self._reply, len(self._requests)
        if status != 200:
            error = {"error": {"message": "Fake outage.", "type": "server_error"}}
            return status, delay, json.dumps(error).encode()
        if malformed is not None:
            return 200, delay, malformed
        model = request.body.get("model") if isinstance(request.body, dict) else None
        completion = {
            "id": f"chatcmpl-fake-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model or "fake-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": usage[0],
                "completion_tokens": usage[1],
                "total_tokens": usage[0] + usage[1],
            },
        }
        return 200, delay, json.dumps(completion).encode()


def _handler_for(fake: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real provider behind httpx

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            recorded = RecordedChatRequest(
                "POST", self.path, body, self.headers.get("Authorization")
            )
            status, delay, data = fake._record(recorded)
            if self.path != CHAT_PATH:
                status, data = 404, b'{"error": {"message": "Unknown path."}}'
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the recorded requests are the log."""

    return Handler


@contextmanager
def running_fake_openai() -> Iterator[FakeOpenAIServer]:
    """Serve the fake on a free port of 127.0.0.1 in a daemon thread until the block ends."""
    fake = FakeOpenAIServer()
    with serving(_handler_for(fake), "fake-openai") as url:
        fake.url = url
        yield fake
