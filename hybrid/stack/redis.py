"""A local Redis on loopback, from the machine's ``redis-server`` (Debian's package)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hybrid.errors import StackError
from hybrid.stack import procs


@dataclass(frozen=True)
class RedisNode:
    """One local Redis: its directory, port and whether it keeps an append-only file.

    The local stack's Redis is the Celery queue, so it keeps an append-only file; the test
    sessions' Redis keeps nothing.
    """

    instance_dir: Path
    port: int
    appendonly: bool = True

    @property
    def url(self) -> str:
        """The redis:// address of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid_file(self) -> Path:
        """redis-server writes its pid here."""
        return self.instance_dir / "redis.pid"

    @property
    def log_file(self) -> Path:
        """redis-server's log."""
        return self.instance_dir / "redis.log"


def redis_server_binary() -> Path:
    """Path of ``redis-server``.

    Raises:
        StackError: when it is not installed (``make`` installs Debian's redis-server).
    """
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found is None:
        raise StackError("redis-server is not installed: run `apt-get install redis-server`")
    return Path(found)


def ping(port: int, *, timeout: float = 1.0) -> bool:
    """True when a Redis on ``127.0.0.1:port`` answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def start(node: RedisNode, *, timeout: float = 20.0) -> float:
    """Start ``node`` daemonised (unless it already answers); return seconds until ready."""
    if procs.read_pid(node.pid_file) is not None and ping(node.port):
        return 0.0
    if procs.port_open(node.port):
        # Another process (often another Redis) holds the port: ours would fail to bind after
        # daemonising, and the other one would answer our readiness check as if it were ours.
        raise StackError(
            f"port {node.port} is already in use by another process, not this stack's Redis; "
            "stop it or set HYBRID_REDIS_PORT to a free port"
        )
    node.instance_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(redis_server_binary()),
        "--bind",
        "127.0.0.1",
        "--port",
        str(node.port),
        "--dir",
        str(node.instance_dir),
        "--daemonize",
        "yes",
        "--pidfile",
        str(node.pid_file),
        "--logfile",
        str(node.log_file),
        "--save",
        "",
        "--appendonly",
        "yes" if node.appendonly else "no",
        "--protected-mode",
        "yes",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StackError(f"redis-server failed to start: {result.stderr or result.stdout}")
    return procs.wait_until(
        lambda: ping(node.port),
        timeout=timeout,
        what=f"Redis on {node.url}",
        log_tail=lambda: procs.tail(node.log_file),
    )


def stop(node: RedisNode, *, timeout: float = 20.0) -> bool:
    """Stop ``node`` if it runs (SIGTERM makes Redis flush its append-only file first)."""
    pid = procs.read_pid(node.pid_file)
    if pid is None:
        return False
    procs.stop_pid(pid, timeout=timeout)
    return True
