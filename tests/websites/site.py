"""A small website on loopback (plain HTTP) that serves a security.txt, or misbehaves on purpose."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[[BaseHTTPRequestHandler], None]


def security_txt(email: str = "security@shop.example.test", expires: str = "2099-12-31T00:00:00Z",
                 extra: str = "") -> str:
    return (f"# our security contact\nContact: mailto:{email}\nContact: https://shop.example.test/contact\n"
            f"Expires: {expires}\nEncryption: https://shop.example.test/pgp-key.txt\n"
            f"Preferred-Languages: ja, en\n{extra}")


def text(body: str | bytes, status: int = 200, content_type: str = "text/plain; charset=utf-8") -> Route:
    data = body.encode() if isinstance(body, str) else body

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return route


def redirect(location: str, status: int = 302) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def endless(chunk: bytes = b"Contact: mailto:a@b.test\n" * 100) -> Route:
    """A body that never ends (no Content-Length): the fetcher must stop at its byte cap."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.end_headers()
        try:
            for _ in range(100_000):
                handler.wfile.write(chunk)
        except OSError:
            return

    return route


def drip(seconds: float = 0.4, count: int = 100) -> Route:
    """Headers at once, then one byte at a time, each within the read timeout: only a total deadline stops it."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.end_headers()
        try:
            for _ in range(count):
                handler.wfile.write(b"#")
                handler.wfile.flush()
                time.sleep(seconds)
        except OSError:
            return

    return route


def silent(seconds: float = 30) -> Route:
    """Accepts the request and never answers."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)

    return route


class LoopbackSite:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                route = site.routes.get(self.path, text("not found", 404))
                route(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
