"""The HTTP API as a background process of the local stack (``hybrid demo`` leaves it running).

Like the local Elasticsearch and Redis, the process writes a pid file under its own instance
directory, so ``hybrid stack down`` finds and stops it from any later process. It is
``hybrid serve`` started with the caller's settings as ``HYBRID_*`` variables; it is ready once
``GET /health`` answers, which the API only does after its model is loaded (``warm_up``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from hybrid.errors import StackError
from hybrid.settings import Settings
from hybrid.stack import procs

# Processes started by this process: kept so they are reaped on stop and not garbage-collected
# while running (the demo's API outlives the command; a test's is stopped at its end).
_CHILDREN: dict[Path, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ApiNode:
    """One background API process: its directory (pid file, log) and loopback port."""

    instance_dir: Path
    port: int
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        """Where the API (and the search page, at ``/``) answers."""
        return f"http://{self.host}:{self.port}/"

    @property
    def pid_file(self) -> Path:
        """The pid of the running process."""
        return self.instance_dir / "api.pid"

    @property
    def log_file(self) -> Path:
        """The API's standard output and error."""
        return self.instance_dir / "api.log"


def api_argv(node: ApiNode) -> list[str]:
    """The command that runs the API: ``hybrid serve`` on this interpreter."""
    return [
        sys.executable,
        "-m",
        "hybrid.cli",
        "serve",
        "--host",
        node.host,
        "--port",
        str(node.port),
    ]


def answers(node: ApiNode, *, timeout: float = 2.0) -> bool:
    """True when ``GET /health`` answers with HTTP at all (503 means ES or Redis is down)."""
    try:
        with urllib.request.urlopen(f"{node.url}health", timeout=timeout):  # noqa: S310 - loopback
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def start(
    node: ApiNode,
    settings: Settings,
    *,
    extra_env: dict[str, str] | None = None,
    timeout: float = 180.0,
) -> float:
    """Start the API in the background unless it already runs; wait until it answers.

    Args:
        node: where it runs.
        settings: passed to the process as ``HYBRID_*`` variables.
        extra_env: more variables (e.g. ``HF_HUB_OFFLINE``).
        timeout: seconds to wait for the first answer (the model loads first).

    Returns:
        Seconds until it answered (0.0 if it already ran).

    Raises:
        StackError: the process exited or did not answer in time (the log's tail says why).
    """
    if procs.read_pid(node.pid_file) is not None and answers(node):
        return 0.0
    if procs.port_open(node.port):
        raise StackError(f"port {node.port} is taken by another process; set HYBRID_API_PORT")
    node.instance_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.as_environment(), **(extra_env or {})}
    with open(node.log_file, "ab") as log:
        process = subprocess.Popen(
            api_argv(node),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives the command that started it, like ES and Redis
        )
    _CHILDREN[node.instance_dir] = process
    node.pid_file.write_text(f"{process.pid}\n")
    try:
        return procs.wait_until(
            lambda: answers(node),
            timeout=timeout,
            what=f"the API on {node.url}",
            alive=lambda: process.poll() is None,
            log_tail=lambda: procs.tail(node.log_file, 30),
        )
    except Exception:
        stop(node)
        raise


def stop(node: ApiNode, *, timeout: float = 30.0) -> bool:
    """Stop the API if it runs (SIGTERM, then SIGKILL); True when a running one was stopped."""
    pid = procs.read_pid(node.pid_file)
    node.pid_file.unlink(missing_ok=True)
    child = _CHILDREN.pop(node.instance_dir, None)
    if pid is not None:
        procs.stop_pid(pid, timeout=timeout)
    if child is not None:
        child.kill()  # no-op once it has exited; then reap it
        child.wait(timeout=timeout)
    return pid is not None
