"""A small web server on loopback that serves schedules badly on purpose.

The sync tests run it in their own process, on 127.0.0.1 and a port the
system picks, and tell it per path what to do: serve a file properly (with
ETag, Last-Modified and byte ranges), drip it slowly, cut it short, send
the wrong range, answer with an error status, redirect, or act as an HTTP
proxy. It records every request (path, headers, what it answered and how
many body bytes it sent) so a test can check what the player asked for.

Only the Python standard library is used. Each reply is bounded in size
and time, and the server stops with the test.
"""

import email.utils
import hashlib
import http.server
import re
import socket
import ssl
import threading
import time
import urllib.parse


class Route:
    """What the server does for one path. Fields a test may set:

    body           bytes served (also for error statuses)
    status         HTTP status for a plain reply (200 unless set)
    content_type   Content-Type header
    etag           sent, and an If-None-Match equal to it gets a 304
    last_modified  a time.time() value; sent, and If-Modified-Since honoured
    ranges         answer "Range: bytes=N-" with 206 (default True)
    wrong_range    answer a range request with a 206 starting elsewhere
    length         Content-Length to announce (None: the body's length;
                   False: none, the body ends when the connection closes)
    cut_at         close the connection after this many body bytes
    rate           bytes per second to send the body at (None: at once)
    redirect       a path or URL to redirect to with 302
    hang_up        close the connection without any reply
    """

    def __init__(self, body=b"", **kw):
        self.body = body
        self.status = 200
        self.content_type = "application/octet-stream"
        self.etag = None
        self.last_modified = None
        self.ranges = True
        self.wrong_range = False
        self.length = None
        self.cut_at = None
        self.rate = None
        self.redirect = None
        self.hang_up = False
        for key, value in kw.items():
            if not hasattr(self, key):
                raise TypeError(f"unknown route setting {key!r}")
            setattr(self, key, value)


class Request:
    """One request as the server saw it."""

    def __init__(self, path, headers, proxied):
        self.path = path            # decoded, without the query
        self.headers = headers      # dict, header names lower-case
        self.proxied = proxied      # the request line held a full URL
        self.time = time.monotonic()
        self.status = None
        self.sent = 0               # body bytes written
        self.done = False

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return (f"<{self.path} {self.status} sent={self.sent} "
                f"range={self.header('range')} inm={self.header('if-none-match')}>")


class _Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so "the body ends when the
    # connection closes" works and no test depends on keep-alive.
    protocol_version = "HTTP/1.0"
    server_version = "fault-server"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        owner = self.server.owner
        target = self.path
        proxied = target.startswith(("http://", "https://"))
        if proxied:
            target = urllib.parse.urlsplit(target).path or "/"
        path = urllib.parse.unquote(target.split("?", 1)[0])
        req = Request(path, {k.lower(): v for k, v in self.headers.items()}, proxied)
        owner._record(req)
        route = owner.routes.get(path)
        try:
            self._answer(req, route)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass
        finally:
            req.done = True

    def _head(self, req, status, headers):
        req.status = status
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _answer(self, req, route):
        if route is None:
            self._head(req, 404, [("Content-Length", "9")])
            self.wfile.write(b"not found")
            return
        if route.hang_up:
            req.status = 0
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if route.redirect:
            self._head(req, 302, [("Location", route.redirect), ("Content-Length", "0")])
            return
        if self._not_modified(req, route):
            return
        self._body(req, route)

    def _validators(self, route):
        out = []
        if route.etag:
            out.append(("ETag", route.etag))
        if route.last_modified is not None:
            out.append(("Last-Modified",
                        email.utils.formatdate(route.last_modified, usegmt=True)))
        return out

    def _not_modified(self, req, route):
        inm = req.header("if-none-match")
        ims = req.header("if-modified-since")
        fresh = False
        if route.etag and inm:
            fresh = inm.strip() == route.etag
        elif route.last_modified is not None and ims:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
                fresh = int(route.last_modified) <= since
            except (TypeError, ValueError):
                fresh = False
        if fresh and route.status == 200:
            self._head(req, 304, self._validators(route))
        return fresh and route.status == 200

    def _body(self, req, route):
        body = route.body
        status = route.status
        headers = [("Content-Type", route.content_type)] + self._validators(route)
        start = 0
        m = re.fullmatch(r"bytes=(\d+)-", req.header("range") or "")
        if m and route.ranges and status == 200:
            start = int(m.group(1))
            if route.wrong_range:
                start = max(0, start // 2)
            if start >= len(body):
                self._head(req, 416, [("Content-Range", f"bytes */{len(body)}"),
                                      ("Content-Length", "0")])
                return
            status = 206
            headers.append(("Content-Range",
                            f"bytes {start}-{len(body) - 1}/{len(body)}"))
        payload = body[start:]
        if route.length is None:
            headers.append(("Content-Length", str(len(payload))))
        elif route.length is not False:
            headers.append(("Content-Length", str(route.length)))
        self._head(req, status, headers)
        self._send(req, route, payload)

    def _send(self, req, route, payload):
        limit = len(payload) if route.cut_at is None else min(route.cut_at, len(payload))
        chunk = 16384 if route.rate is None else max(1, min(16384, route.rate // 10 or 1))
        at = 0
        while at < limit and not self.server.owner.stopping:
            piece = payload[at:min(limit, at + chunk)]
            self.wfile.write(piece)
            self.wfile.flush()
            at += len(piece)
            req.sent = at
            if route.rate:
                time.sleep(len(piece) / route.rate)
        if route.cut_at is not None:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FaultServer:
    """Serves ROUTES on 127.0.0.1. Use as a context manager, or call
    start() and stop(). PORT 0 lets the system choose; CERT and KEY (PEM
    files) make it speak HTTPS."""

    def __init__(self, port=0, cert=None, key=None):
        self.routes = {}
        self._requests = []
        self._lock = threading.Lock()
        self.stopping = False
        self._httpd = None
        self._thread = None
        self._cert, self._key = cert, key
        self.port = port

    def start(self):
        self.stopping = False
        self._httpd = _Server(("127.0.0.1", self.port), _Handler)
        self._httpd.owner = self
        if self._cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self._cert, self._key)
            self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops listening; the port stays the same for a later start()."""
        self.stopping = True
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base(self):
        scheme = "https" if self._cert else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def url(self, path):
        """The URL of PATH, percent-encoded as a browser would send it."""
        return self.base + urllib.parse.quote(path)

    def route(self, path, body=b"", **kw):
        self.routes[path] = Route(body, **kw)
        return self.routes[path]

    def _record(self, req):
        with self._lock:
            self._requests.append(req)

    def requests(self, path=None):
        with self._lock:
            return [r for r in self._requests if path is None or r.path == path]

    def clear(self):
        with self._lock:
            self._requests.clear()

    def wait_for(self, predicate, timeout, what):
        """Waits until PREDICATE() is true; raises AssertionError naming
        WHAT after TIMEOUT seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; "
                             f"requests: {self.requests()}")


def free_port():
    """A port nothing listens on now (for "server down at boot")."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256(data):
    return hashlib.sha256(data).hexdigest()
