"""The real app under uvicorn in its own process, a TCP proxy that can cut it off from its
database, and board members autosaving through HTTP as a browser would: for the fault tests."""

import contextlib
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECRET = "fault-test-secret-key-not-for-production"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
HTMX = {"HX-Request": "true"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppProcess:
    """`uvicorn app.main:create_app --factory` on a free loopback port, as `maps serve` runs
    it, with the settings in its environment. kill() is SIGKILL: no shutdown of any kind."""

    def __init__(self, database_url: str, data_dir: Path, **settings: str):
        self.env = {**os.environ, "MAPS_DATABASE_URL": database_url,
                    "MAPS_DATA_DIR": str(data_dir), "MAPS_SECRET_KEY": SECRET,
                    "PYTHONDONTWRITEBYTECODE": "1", **settings}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        # What the app writes (its "database unavailable" warnings, a traceback), kept aside.
        self.log = Path(data_dir).parent / f"app-{self.port}.log"

    def start(self, timeout: float = 30) -> "AppProcess":
        return self.spawn().wait_ready(timeout)

    def spawn(self) -> "AppProcess":
        """Start the process without waiting for it (start several, then wait_ready each)."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
                cwd=ROOT, env=self.env, start_new_session=True, stdout=log, stderr=log)
        return self

    def wait_ready(self, timeout: float = 30) -> "AppProcess":
        deadline = time.monotonic() + timeout
        while True:
            try:
                # Any answer will do: a database that is down makes /healthz a 503.
                httpx.get(self.url + "/healthz", timeout=2)
                return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited with {self.process.returncode}:\n"
                                   + self.log.read_text()[-3000:])
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the app did not start:\n" + self.log.read_text()[-3000:])
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, to the whole process group: nothing gets to finish or clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> "AppProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Respondent:
    """A board member's browser: their invite link's cookies and CSRF token, saving answers
    one at a time with the headers htmx sends. Works against any app process that shares the
    secret key, so one person's saves can go to several processes."""

    def __init__(self, token: str, timeout: float = 10):
        self.token = token
        self.client = httpx.Client(timeout=timeout)
        self.headers = dict(HTMX)

    def open(self, base_url: str, section_id: str) -> None:
        """Start with the link (this browser claims it, as the board member's does), then
        open a page of questions."""
        welcome = self.client.get(f"{base_url}/r/{self.token}/welcome")
        welcome.raise_for_status()
        csrf = CSRF_META.search(welcome.text).group(1)
        started = self.client.post(f"{base_url}/r/{self.token}/start",
                                   headers={"X-CSRFToken": csrf})
        assert started.status_code == 303, started.text[:300]
        page = self.client.get(f"{base_url}/r/{self.token}/s/{section_id}")
        page.raise_for_status()
        self.headers["X-CSRFToken"] = CSRF_META.search(page.text).group(1)

    def save(self, base_url: str, item_id: str, value: str) -> httpx.Response:
        return self.client.post(f"{base_url}/r/{self.token}/answer", headers=self.headers,
                                data={item_id: value})

    def close(self) -> None:
        self.client.close()


@dataclass
class SaveLog:
    """What one respondent sent, in order: (item, value, acknowledged) per request."""

    sent: list[tuple[str, str, bool]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def acknowledged(self) -> int:
        return sum(1 for _, _, ok in self.sent if ok)

    def allowed_values(self) -> dict[str, set[str]]:
        """Per item, the values the database may hold: the last acknowledged value, or any
        sent after it (a save the process committed but was killed before answering)."""
        allowed: dict[str, set[str]] = {}
        for index, (item_id, value, ok) in enumerate(self.sent):
            if ok:
                later = {v for i, v, _ in self.sent[index + 1:] if i == item_id}
                allowed[item_id] = {value} | later
        return allowed


class TcpProxy:
    """A loopback TCP proxy in a thread. cut() drops every connection through it and hangs up
    on new ones at once, as a database server that is restarting or has gone; restore() lets
    connections through again. Used to take PostgreSQL away from a running app."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.lock = threading.Lock()
        self.pairs: dict[socket.socket, socket.socket] = {}
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TcpProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping = True
        self.thread.join(timeout=5)
        with self.lock:
            for sock in list(self.pairs):
                self._close(sock)
        self.listener.close()

    def cut(self) -> None:
        with self.lock:
            self.up = False
            for sock in list(self.pairs):
                self._close(sock)

    def restore(self) -> None:
        with self.lock:
            self.up = True

    def _close(self, sock: socket.socket) -> None:
        other = self.pairs.pop(sock, None)
        for s in (sock, other):
            if s is None:
                continue
            self.pairs.pop(s, None)
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(s)
            s.close()

    def _run(self) -> None:
        while not self.stopping:
            for key, _ in self.selector.select(timeout=0.05):
                with self.lock:
                    if key.fileobj is self.listener:
                        self._accept()
                    elif key.fileobj in self.pairs:
                        self._pump(key.fileobj)

    def _accept(self) -> None:
        client, _ = self.listener.accept()
        if not self.up:
            client.close()
            return
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        for s in (client, server):
            s.setblocking(False)
            self.selector.register(s, selectors.EVENT_READ)
        self.pairs[client], self.pairs[server] = server, client

    def _pump(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
            if data:
                other = self.pairs[sock]
                other.settimeout(5)
                other.sendall(data)
                other.setblocking(False)
                return
        except OSError:
            pass
        self._close(sock)
