"""Start an app under uvicorn on a free loopback port, sign in, measure its peak memory, stop it."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(factory: str, env: dict[str, str], workers: int = 1):
    # The server's log is kept aside (a failing load would flood the table with tracebacks)
    # and summarised when it stops.
    with tempfile.TemporaryFile() as log:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
            env={**os.environ, **env}, start_new_session=True, stdout=log, stderr=log)
        try:
            url = _wait_ready(f"http://127.0.0.1:{port}", process, log, factory)
            yield url, process
        finally:
            _stop(process)
            log.seek(0)
            errors = log.read().decode(errors="replace").count("ERROR:")
            if errors:
                print(f"({factory} logged {errors} errors)", file=sys.stderr)


def _wait_ready(url: str, process: subprocess.Popen, log, factory: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code in (200, 404):
                return url
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"{factory} did not start:\n{log.read()[-3000:].decode()}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(html: str) -> str:
    """A page's CSRF token (bound to the browser's session), as its forms send it."""
    return CSRF_META.search(html).group(1)


def sign_in(client: httpx.Client, email: str, password: str) -> None:
    """Sign a client in the way the sign-in page does (its token first)."""
    token = csrf_token(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"email": email, "password": password,
                                              "csrftoken": token})
    if response.status_code not in (200, 303):
        raise RuntimeError(f"could not sign in as {email}: {response.status_code}")


def peak_memory_mb(pid: int) -> float:
    """Peak resident memory of a process and its children (uvicorn workers), in MB."""
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


@contextmanager
def database(backend: str, tmp: Path):
    """A fresh database URL: a file for SQLite, a new database on the test server for PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        return
    admin_url = os.environ["MAPS_TEST_DATABASE_URL"]
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
