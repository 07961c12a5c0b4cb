"""A fake OpenAI-compatible server over real HTTP, for the credited 2Bot features' tests and bench.

It speaks OpenAI's wire format from a `ThreadingHTTPServer` on a free port of 127.0.0.1:

- `POST /v1/chat/completions`: `choices[0].message` and `usage`, or with `"stream": true`
  Server-Sent Events (`choices[0].delta.content` pieces, a final chunk with `usage` when
  `stream_options.include_usage` is set, then `data: [DONE]`);
- `POST /v1/images/generations`: `{"data": [{"b64_json": <PNG>}]}`, one per `n`;
- `POST /v1/audio/speech`: WAV bytes (`audio/wav`);
- `POST /v1/audio/transcriptions` (multipart `file` + `model`): `{"text": ...}`.

The fake records every request (path, body, `Authorization`) when it ARRIVES, before any
delay, so "the provider was never called" is `fake.requests == []`. Behaviour is set per test and
stays until `reset()`:

- `answer_with_usage(prompt, completion)`: the usage the fake reports (default `DEFAULT_USAGE`);
- `fail(status)`: answer with an OpenAI-shaped error (500 by default);
- `delay(seconds)`: wait before answering (longer than the client's timeout = a provider timeout);
- `malformed(body)`: answer 200 with a body that is not what was asked for;
- `stream_with(pieces, piece_delay, send_usage)`: what a streamed reply sends;
- `return_images(count)`: send this many images whatever `n` was.

`stream_disconnects` counts streamed replies cut off because the client went away (the
upstream request was cancelled), and `pieces_sent` the pieces written before that.
"""

import base64
import email.parser
import email.policy
import io
import json
import socket
import threading
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from PIL import Image

from tests.support.loopback import serving

CHAT_PATH = "/v1/chat/completions"
IMAGES_PATH = "/v1/images/generations"
SPEECH_PATH = "/v1/audio/speech"
TRANSCRIPTIONS_PATH = "/v1/audio/transcriptions"
PATHS = {CHAT_PATH, IMAGES_PATH, SPEECH_PATH, TRANSCRIPTIONS_PATH}
DEFAULT_USAGE = (42, 17)
DEFAULT_REPLY = "Hello from the fake model."
DEFAULT_PIECES = ("Hello", " from", " the", " fake", " stream", ".")
DEFAULT_TRANSCRIPT = "Hello from the fake transcription."
FAKE_API_KEY = "sk-fake-openai"


def tiny_png(colour: tuple[int, int, int] = (200, 30, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


def wav_of(seconds: float, rate: int = 8000) -> bytes:
    """A silent mono 16-bit WAV of exactly `seconds` (rounded to whole frames)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x00\x00" * round(seconds * rate))
    return out.getvalue()


@dataclass(frozen=True)
class RecordedChatRequest:
    """One request as it reached the fake."""

    method: str
    path: str
    body: Any  # decoded JSON, {field: value | (filename, content_type, bytes)} for multipart
    authorization: str | None


@dataclass
class _Behaviour:
    usage: tuple[int, int] = DEFAULT_USAGE
    reply: str = DEFAULT_REPLY
    status: int = 200
    delay: float = 0.0
    malformed: bytes | None = None
    pieces: tuple[str, ...] = DEFAULT_PIECES
    piece_delay: float = 0.0
    send_usage: bool = True
    images: int | None = None


@dataclass
class FakeOpenAIServer:
    """State shared by the handler threads; tests configure and inspect it directly."""

    url: str = ""  # http://127.0.0.1:PORT
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _requests: list[RecordedChatRequest] = field(default_factory=list)
    _behaviour: _Behaviour = field(default_factory=_Behaviour)
    _disconnects: int = 0
    _pieces_sent: int = 0

    @property
    def base_url(self) -> str:
        """What `AI_BASE_URL` should be: the provider appends `/chat/completions` etc."""
        return f"{self.url}/v1"

    @property
    def requests(self) -> list[RecordedChatRequest]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def stream_disconnects(self) -> int:
        with self._lock:
            return self._disconnects

    @property
    def pieces_sent(self) -> int:
        with self._lock:
            return self._pieces_sent

    def answer_with_usage(
        self, prompt_tokens: int, completion_tokens: int, reply: str = DEFAULT_REPLY
    ) -> None:
        """Report this usage (and reply) from now on."""
        with self._lock:
            self._behaviour.usage, self._behaviour.reply = (prompt_tokens, completion_tokens), reply

    def fail(self, status: int = 500) -> None:
        with self._lock:
            self._behaviour.status = status

    def delay(self, seconds: float) -> None:
        with self._lock:
            self._behaviour.delay = seconds

    def malformed(self, body: bytes = b'{"id": "chatcmpl-x", "choices": []}') -> None:
        with self._lock:
            self._behaviour.malformed = body

    def stream_with(
        self,
        pieces: tuple[str, ...] = DEFAULT_PIECES,
        *,
        piece_delay: float = 0.0,
        send_usage: bool = True,
    ) -> None:
        with self._lock:
            self._behaviour.pieces, self._behaviour.piece_delay = pieces, piece_delay
            self._behaviour.send_usage = send_usage

    def return_images(self, count: int) -> None:
        with self._lock:
            self._behaviour.images = count

    def reset(self) -> None:
        """Forget requests and go back to answering normally."""
        with self._lock:
            self._requests.clear()
            self._behaviour = _Behaviour()
            self._disconnects = self._pieces_sent = 0

    def _record(self, request: RecordedChatRequest) -> _Behaviour:
        with self._lock:
            self._requests.append(request)
            return _Behaviour(**vars(self._behaviour))

    def _count_piece(self) -> None:
        with self._lock:
            self._pieces_sent += 1

    def _count_disconnect(self) -> None:
        with self._lock:
            self._disconnects += 1


def _answer(path: str, body: Any, behaviour: _Behaviour, number: int) -> tuple[str, bytes]:
    """(content type, body) of a successful answer to `path`."""
    if behaviour.malformed is not None:
        return "application/json", behaviour.malformed
    payload = body if isinstance(body, dict) else {}
    if path == IMAGES_PATH:
        count = behaviour.images if behaviour.images is not None else int(payload.get("n", 1))
        image = base64.b64encode(tiny_png()).decode()
        return "application/json", json.dumps(
            {"created": int(time.time()), "data": [{"b64_json": image}] * count}
        ).encode()
    if path == SPEECH_PATH:
        return "audio/wav", wav_of(0.5)
    if path == TRANSCRIPTIONS_PATH:
        return "application/json", json.dumps({"text": DEFAULT_TRANSCRIPT}).encode()
    usage = behaviour.usage
    completion = {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": payload.get("model") or "fake-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": behaviour.reply},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        },
    }
    return "application/json", json.dumps(completion).encode()


def _stream_events(body: dict[str, Any], behaviour: _Behaviour) -> Iterator[bytes]:
    model = body.get("model") or "fake-model"

    def chunk(**extra: Any) -> bytes:
        event = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model} | extra
        return f"data: {json.dumps(event)}\n\n".encode()

    for piece in behaviour.pieces:
        yield chunk(choices=[{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
    yield chunk(choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])
    include = (body.get("stream_options") or {}).get("include_usage")
    if behaviour.send_usage and include:
        prompt, completion = behaviour.usage
        usage = {"prompt_tokens": prompt, "completion_tokens": completion}
        yield chunk(choices=[], usage=usage | {"total_tokens": prompt + completion})
    yield b"data: [DONE]\n\n"


def _parse_body(content_type: str, raw: bytes) -> Any:
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            fields[str(name)] = (
                (filename, part.get_content_type(), data) if filename else data.decode()
            )
        return fields
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _handler_for(fake: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real provider behind httpx

        def setup(self) -> None:
            super().setup()
            # Headers and body leave in separate writes: without this, Nagle's algorithm holds
            # the body until the client's delayed ACK (~40 ms), and every call looks slow.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = _parse_body(self.headers.get("Content-Type", ""), raw)
            recorded = RecordedChatRequest(
                "POST", self.path, body, self.headers.get("Authorization")
            )
            behaviour = fake._record(recorded)
            if behaviour.delay:
                time.sleep(behaviour.delay)
            try:
                if self.path not in PATHS:
                    self._send(404, "application/json", b'{"error": {"message": "Unknown path."}}')
                elif behaviour.status != 200:
                    error = {"error": {"message": "Fake outage.", "type": "server_error"}}
                    self._send(behaviour.status, "application/json", json.dumps(error).encode())
                elif (
                    self.path == CHAT_PATH
                    and isinstance(body, dict)
                    and body.get("stream")
                    and behaviour.malformed is None
                ):
                    self._stream(body, behaviour)
                else:
                    self._send(200, *_answer(self.path, body, behaviour, len(fake.requests)))
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                self.close_connection = True

        def _send(self, status: int, content_type: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, body: dict[str, Any], behaviour: _Behaviour) -> None:
            """Chunked SSE; a write that fails means the client went away mid-stream."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for index, event in enumerate(_stream_events(body, behaviour)):
                    if index and behaviour.piece_delay and index < len(behaviour.pieces):
                        time.sleep(behaviour.piece_delay)
                    self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                    self.wfile.flush()
                    if index < len(behaviour.pieces):
                        fake._count_piece()
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                fake._count_disconnect()
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
