"""Shared by the benchmarks: a data folder with the demo, a real `civic serve`, the same-run baseline."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def civic(*args: str, env: dict, cwd: Path) -> None:
    subprocess.run([PYTHON, "-m", "civic.cli", *args], env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def environment(data: Path, database_url: str | None = None, **extra) -> dict:
    env = {**os.environ, "CIVIC_DATA_DIR": str(data), "CIVIC_LOG_LEVEL": "WARNING", "CIVIC_HTMX_URL": "/static/vendor/htmx.min.js",
           "CIVIC_LOGIN_LIMIT": "1000000/minute", **extra}
    if database_url:
        env["CIVIC_DATABASE_URL"] = database_url
    else:
        env.pop("CIVIC_DATABASE_URL", None)
    return env


def fresh_postgres(name: str) -> str:
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True, stdout=subprocess.DEVNULL)
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


@contextmanager
def server(env: dict, cwd: Path, workers: int = 1, app: str | None = None):
    """`civic serve` (or another ASGI app through uvicorn) on a free port; yields the base URL and the pid."""
    port = free_port()
    if app is None:
        command = [PYTHON, "-m", "civic.cli", "serve", "--port", str(port), "--workers", str(workers)]
    else:
        command = [PYTHON, "-m", "uvicorn", app, "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    log = open(cwd / f"server-{port}.log", "w")
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + ("/health" if app is None else "/"))
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its worker processes, in MB."""
    total = 0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def wrk(url: str, seconds: int = 10, connections: int = 32, threads: int = 2, header: str | None = None) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if header:
        command[1:1] = ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def latency(p: str) -> float:
        match = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": latency("50"), "p99": latency("99"), "non2xx": int(errors.group(1)) if errors else 0}


def temp_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    static = ROOT / "static" / "vendor"
    if not static.exists():
        print("note: static/vendor/htmx.min.js is missing; run scripts/install.sh", file=sys.stderr)
    return path


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
