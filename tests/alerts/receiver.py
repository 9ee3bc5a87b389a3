"""A fake webhook endpoint on 127.0.0.1: records each request and answers the status
codes it is given, in turn (the last one for every later request). With ``tls`` (an
``ssl.SSLContext`` of a server), it speaks HTTPS and records the host name each client
named in its TLS handshake (SNI)."""

from __future__ import annotations

import contextlib
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    statuses: list[int]
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    server_names: list[str | None] = field(default_factory=list)
    port: int = 0


@contextlib.contextmanager
def fake_endpoint(*statuses: int, tls: ssl.SSLContext | None = None):
    receiver = Receiver(url="", statuses=list(statuses or [200]))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(
                Received({k.lower(): v for k, v in self.headers.items()}, body)
            )
            status = (
                receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
            )
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"x" * 5000)
            receiver.arrived.set()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    receiver.url = f"http://127.0.0.1:{receiver.port}/hook"
    if tls is not None:
        tls.sni_callback = lambda sock, name, context: receiver.server_names.append(name)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
