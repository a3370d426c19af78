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
        # Served as Civic is (civic.serving: each worker its own socket), so both get the same share of the cores.
        command = [PYTHON, "-c", f"from civic.serving import run; run({app!r}, host='127.0.0.1', port={port}, workers={workers}, "
                   "log_level='warning', access_log=False)"]
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
    for p in _server_pids(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def postgres_cpu_seconds() -> float:
    """CPU time used so far by the local PostgreSQL server's processes (it shares the cores with the app)."""
    pids = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout.split()
    return sum(_process_cpu(int(p)) for p in pids)


def _process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by the server and its worker processes: on a machine shared with
    other jobs, CPU per request moves much less than requests per second."""
    return sum(_process_cpu(p) for p in _server_pids(pid))


def _server_pids(pid: int) -> list[int]:
    """The server and its worker processes."""
    return [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]


WRK_REPORT = """
done = function(summary, latency, requests)
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("percentile %d %d\\n", p, latency:percentile(p)))
  end
end
"""


def wrk(url: str, seconds: int = 10, connections: int = 32, threads: int = 2, header: str | None = None, timeout: int = 10) -> dict:
    """wrk against one URL: requests/s, latency percentiles in ms (p50, p90, p95, p99; from wrk's own histogram
    through a Lua `done` hook, wrk prints no p95 itself), non-2xx/3xx responses and socket errors. The timeout is
    10 s, not wrk's 2 s: a slower answer is a latency to report, not a request left out of the histogram."""
    script = Path(tempfile.gettempdir()) / f"civic-wrk-report-{os.getpid()}.lua"
    script.write_text(WRK_REPORT)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}s", "-s", str(script), url]
    if header:
        command[1:1] = ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    percentiles = {f"p{p}": int(us) / 1000 for p, us in re.findall(r"^percentile (\d+) (\d+)$", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": rps, **percentiles, "non2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": sum(int(x) for x in socket.groups()) if socket else 0, "requests": int(re.search(r"(\d+) requests in", out).group(1))}


def temp_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    static = ROOT / "static" / "vendor"
    if not static.exists():
        print("note: static/vendor/htmx.min.js is missing; run scripts/install.sh", file=sys.stderr)
    return path


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
