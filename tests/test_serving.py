"""`civic serve --workers N`: every worker listens on a socket of its own (SO_REUSEPORT), so connections opened
all at once are spread over the workers instead of all going to whichever woke first (civic.serving)."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from civic import serving

pytestmark = pytest.mark.skipif(not serving.spreads_connections(), reason="SO_REUSEPORT balancing is Linux's")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(tmp_path: Path, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "CIVIC_DATA_DIR": str(tmp_path), "CIVIC_SECRET_KEY": "serving-test-" + "x" * 40, "CIVIC_LOG_LEVEL": "WARNING"}
    env.pop("CIVIC_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "civic.cli", "serve", "--port", str(port), "--workers", str(workers)],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def sockets_on(port: int, state: str) -> set[int]:
    """Inodes of the TCP sockets whose local port is `port`, in `state` (0A listening, 01 established)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            found.add(int(fields[9]))
    return found


def holders(pids: list[int], inodes: set[int]) -> dict[int, int]:
    """How many of `inodes` each process holds open."""
    count = {}
    for pid in pids:
        held = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and int(target[8:-1]) in inodes:
                held += 1
        count[pid] = held
    return count


def workers_of(server: subprocess.Popen) -> list[int]:
    """uvicorn's worker processes (multiprocessing's spawned children; not its resource tracker)."""
    workers = []
    for entry in Path("/proc").iterdir():  # the server's children, from /proc (no procps on a bare machine)
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == server.pid and "spawn_main" in (entry / "cmdline").read_text():
                workers.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return workers


def wait_ready(port: int, server: subprocess.Popen, workers: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200 and len(sockets_on(port, "0A")) == workers:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not start")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()


def test_each_worker_listens_on_its_own_socket_and_connections_are_spread(tmp_path):
    port = free_port()
    server = serve(tmp_path, port, workers=2)
    try:
        wait_ready(port, server, workers=2)
        workers = workers_of(server)
        listening = holders(workers, sockets_on(port, "0A"))
        assert len(workers) == 2 and sorted(listening.values()) == [1, 1]  # one socket each
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]  # all at once, as a load test or a proxy's pool
        try:
            for client in clients:  # a request on each, so every connection has been accepted by now
                client.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            for client in clients:
                assert client.recv(4096).startswith(b"HTTP/1.1 200")
            served = holders(workers, sockets_on(port, "01"))
        finally:
            for client in clients:
                client.close()
        assert sum(served.values()) == 32
        assert min(served.values()) >= 4, served  # hashed over two sockets; one shared socket gave 32 and 0
    finally:
        stop(server)


def test_a_second_server_on_the_same_port_is_refused(tmp_path):
    port = free_port()
    (tmp_path / "one").mkdir()
    first = serve(tmp_path / "one", port, workers=2)
    try:
        wait_ready(port, first, workers=2)
        (tmp_path / "two").mkdir()
        second = serve(tmp_path / "two", port, workers=2)
        output, _ = second.communicate(timeout=60)
        assert second.returncode != 0 and f"cannot listen on 127.0.0.1:{port}" in output
        assert len(sockets_on(port, "0A")) == 2  # the first server's two workers, nobody else's
    finally:
        stop(first)
