"""Running the ASGI app under uvicorn; with several workers, each listens on its own socket.

uvicorn's workers share one listening socket, and whichever of them wakes first accepts every connection that
is waiting: 32 keep-alive connections opened at once (a load test; a reverse proxy's pool) all went to one of
two workers, which did all the work while the other idled — casting ran at one core of two in half the runs.
Here every worker binds the port itself with SO_REUSEPORT, and Linux spreads new connections evenly over
their sockets. Elsewhere (no SO_REUSEPORT balancing), uvicorn's own way."""
from __future__ import annotations

import socket
import sys

import uvicorn
from uvicorn.supervisors import multiprocess


def run(app: str, *, host: str, port: int, workers: int, **options) -> None:
    if workers <= 1 or not spreads_connections():
        uvicorn.run(app, host=host, port=port, workers=workers, **options)
        return
    ensure_free(host, port)
    config = uvicorn.Config(app, host=host, port=port, workers=workers, **options)
    # uvicorn's supervisor makes every worker through this name (start, restart, SIGTTIN): ours bind their own socket.
    multiprocess.Process = OwnSocketWorker
    try:
        multiprocess.Multiprocess(config, sockets=[]).run()
    except KeyboardInterrupt:
        pass


def spreads_connections() -> bool:
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def ensure_free(host: str, port: int) -> None:
    """Refuses a port another program (another Civic too) listens on: sockets with SO_REUSEPORT would share it."""
    probe = listening_socket(host, port, share=False)
    probe.close()


def listening_socket(host: str, port: int, *, share: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if share:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SystemExit(f"cannot listen on {host}:{port}: {error.strerror}") from None
    return sock


class OwnSocketWorker(multiprocess.Process):
    """A uvicorn worker listening on a socket of its own, bound in the worker (it closes with the worker, so no
    connection is ever routed to a dead worker's socket)."""

    def target(self, sockets=None) -> None:  # runs in the worker process
        super().target([listening_socket(self.config.host, self.config.port)])
