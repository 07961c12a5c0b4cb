"""A webhook receiver over real HTTP for tests: records every request, answers as scripted.

`statuses` are the answers to the first requests in order (then 200); the special answer
`HANG` never answers (until the receiver stops), like a receiver that hangs.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.support.loopback import serving

HANG = -1


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """The receiver's URL, what it got, and its script."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    release: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """Block until `count` requests arrived (the test's event, no sleeps)."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.requests) >= count, timeout), (
                f"{len(self.requests)} of {count} requests arrived"
            )
            return list(self.requests)


@contextmanager
def webhook_receiver(*statuses: int, path: str = "/hook") -> Iterator[Receiver]:
    """Serve a receiver on 127.0.0.1 until the block ends."""
    receiver = Receiver(statuses=list(statuses))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with receiver.arrived:
                receiver.requests.append(Received(self.path, dict(self.headers), body))
                answer = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.arrived.notify_all()
            if answer == HANG:
                receiver.release.wait(120)
                return
            self.send_response(answer)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: object) -> None:
            pass

    with serving(Handler, "webhook-receiver") as base_url:
        receiver.url = base_url + path
        try:
            yield receiver
        finally:
            receiver.release.set()
