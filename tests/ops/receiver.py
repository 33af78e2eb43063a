"""A real HTTP receiver on loopback for webhook tests: verifies signatures itself, can fail on purpose."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self, secret: str, fail_first: int = 0) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.down_paths: set[str] = set()
        self.redirects: dict[str, str] = {}  # path -> Location answered with 307, without reading further
        self.connections = 0  # TCP connections accepted, whether or not a request followed
        self.requests = 0
        self.paths: list[str] = []  # every request's path, in order
        self.hosts: list[str] = []  # every request's Host header
        self.bad_signatures = 0
        self.acked: list[dict[str, Any]] = []  # bodies answered with 200
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.paths.append(self.path)
                    outer.hosts.append(self.headers.get("Host", ""))
                if self.path in outer.redirects:
                    self.send_response(307)
                    self.send_header("Location", outer.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = outer.handle(self.path, self.headers.get("Townhall-Signature", ""), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def verify_request(self, request: Any, client_address: Any) -> bool:
                with outer.lock:
                    outer.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def verify(self, header: str, body: bytes) -> bool:
        try:
            parts = dict(p.split("=", 1) for p in header.split(","))
            t = int(parts["t"])
        except (ValueError, KeyError):
            return False
        if abs(time.time() - t) > 300:
            return False
        mac = hmac.new(self.secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(mac, parts.get("v1", ""))

    def handle(self, path: str, signature: str, body: bytes) -> int:
        with self.lock:
            self.requests += 1
            if not self.verify(signature, body):
                self.bad_signatures += 1
                return 401
            if path in self.down_paths:
                return 503
            if self.requests <= self.fail_first:
                return 500
            self.acked.append({"path": path, **json.loads(body)})
            return 200

    def events(self) -> Counter[tuple[str, str]]:
        """How often each (endpoint path, event id) was acknowledged."""
        with self.lock:
            return Counter((a["path"], a["id"]) for a in self.acked)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
