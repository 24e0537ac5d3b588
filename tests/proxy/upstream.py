#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An upstream for tst_proxy that shares no code with EventLens: Python's own HTTP/1.1 server.

It records every request it is sent and answers what the test asked for, so framing bugs on the sink's
side cannot be cancelled out by the same bugs on the upstream's side.

    upstream.py            listen on 127.0.0.1, any port; print "listening PORT" on stdout

Control (sent directly, never through the sink; not recorded):
    POST /__upstream/reply  {"status": 200, "body": "...", "headers": [["Name", "value"]], "hang": false,
                             "chunked": false, "close": false, "raw": null}
        chunked: the body in chunks of 7 bytes (Transfer-Encoding: chunked) instead of a Content-Length
        close:   the connection is closed right after the answer, without saying so (no "Connection: close")
        reset_after_ms: the connection is reset (RST) this long after the answer, unread requests and all: what a
                 pooled keep-alive connection looks like when the upstream drops it while a request is on its way
        raw:     these bytes are sent instead of an answer, then the connection is closed
    GET  /__upstream/seen   [{"method","path","query","headers":[[n,v]...],"body_b64","peer_port"}...]
    POST /__upstream/clear

It stops by itself after 10 minutes, or when its standard input closes (the test went away).
"""
import base64
import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

LIFETIME_S = 600
HANG_S = 5  # a "hanging" upstream holds the request this long (longer than the sink's timeout), then closes

state_lock = threading.Lock()
seen = []
reply = {"status": 200, "body": '{"status":"Ok"}', "headers": [["Content-Type", "application/json"]], "hang": False}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real capture service

    def log_message(self, fmt, *args):  # quiet: the test prints what it needs
        pass

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, body, headers, chunked=False):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(data), 7):
                piece = data[i:i + 7]
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\nX-Trailer: t\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self):
        url = urlsplit(self.path)
        body = self._body()
        if url.path.startswith("/__upstream/"):
            return self._control(url.path, body)
        with state_lock:
            seen.append({
                "method": self.command,
                "path": url.path,
                "query": url.query,
                "headers": [[n, v] for n, v in self.headers.items()],
                "body_b64": base64.b64encode(body).decode(),
                "peer_port": self.client_address[1],
            })
            answer = dict(reply)
        if answer.get("hang"):
            time.sleep(HANG_S)
            self.close_connection = True
            return
        if answer.get("raw") is not None:
            self.wfile.write(answer["raw"].encode())
            self.close_connection = True
            return
        self._send(int(answer["status"]), answer.get("body", ""), answer.get("headers", []), answer.get("chunked", False))
        if answer.get("close"):
            self.close_connection = True
        if answer.get("reset_after_ms"):
            time.sleep(answer["reset_after_ms"] / 1000)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True

    def _control(self, path, body):
        global reply
        with state_lock:
            if path == "/__upstream/reply":
                reply = json.loads(body)
                out = {"ok": True}
            elif path == "/__upstream/seen":
                out = seen
            elif path == "/__upstream/clear":
                seen.clear()
                out = {"ok": True}
            else:
                return self._send(404, '{"error":"unknown control path"}', [])
        self._send(200, json.dumps(out), [["Content-Type", "application/json"]])

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle


def main():
    ThreadingHTTPServer.request_queue_size = 128  # the sink may open many connections at once (default: 5)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"listening {server.server_address[1]}", flush=True)

    def watchdog():
        deadline = time.monotonic() + LIFETIME_S
        while time.monotonic() < deadline:
            time.sleep(1)
        server.shutdown()

    def stdin_closed():
        sys.stdin.read()
        server.shutdown()

    threading.Thread(target=watchdog, daemon=True).start()
    threading.Thread(target=stdin_closed, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
