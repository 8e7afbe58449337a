"""A site's own tool receiving engage's webhooks: a local HTTP server for the tests."""

from __future__ import annotations

import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A site's tool: answers `failures` 503s, then 200s, and keeps what it got. With `raw`,
    it answers those bytes instead, one every `drip` seconds with `drip` (a slow or hostile
    receiver); with `tls` (an ssl.SSLContext), it speaks HTTPS."""

    OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    def __init__(self, failures: int = 0, drip: float = 0.0, raw: bytes | None = None,
                 tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        raw = self.OK if drip and raw is None else raw
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = 503 if receiver.failures > 0 else 200
                receiver.failures -= 1
                if raw is not None:
                    for byte in raw if drip else [raw]:
                        time.sleep(drip)
                        self.wfile.write(bytes([byte]) if drip else raw)
                        self.wfile.flush()
                    return
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"no")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # a dripping answer must not hold close() up
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://{host}:{self.server.server_address[1]}/hooks/engage"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[str]:
        return [json.loads(body)["type"] for _, body in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
