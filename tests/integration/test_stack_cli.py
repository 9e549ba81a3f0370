"""`hybrid stack up|status|down` against a real local stack on free ports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from hybrid.settings import Settings
from hybrid.stack import procs


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "hybrid.cli", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_stack_up_status_down(base_settings: Settings) -> None:
    home = Path(tempfile.mkdtemp(prefix="hybrid-test-stack-"))
    home.chmod(0o755)
    es_port, redis_port = procs.free_port(), procs.free_port()
    env = {
        **os.environ,
        "HYBRID_HOME": str(home),
        "HYBRID_CACHE_DIR": str(base_settings.cache_dir),
        "HYBRID_ES_PORT": str(es_port),
        "HYBRID_REDIS_PORT": str(redis_port),
        "HYBRID_ES_HEAP": "512m",
    }
    env.pop("HYBRID_ES_URL", None)
    env.pop("HYBRID_REDIS_URL", None)
    try:
        up = _run(["stack", "up", "--json"], env)
        assert up.returncode == 0, up.stdout + up.stderr
        again = _run(["stack", "up", "--json"], env)  # idempotent: nothing new starts
        assert json.loads(again.stdout)["started"]["elasticsearch"] < 1.0

        status = _run(["stack", "status", "--json"], env)
        assert status.returncode == 0, status.stdout + status.stderr
        report = json.loads(status.stdout)
        assert report["elasticsearch"]["detail"]["version"] == base_settings.es_version
        assert report["elasticsearch"]["detail"]["health"] in {"green", "yellow"}
        assert report["redis"]["detail"] == {"ping": True}
        assert report["redis"]["url"].endswith(f":{redis_port}/0")
    finally:
        down = _run(["stack", "down", "--json"], env)
    assert sorted(json.loads(down.stdout)["stopped"]) == ["elasticsearch", "redis"]
    assert not procs.port_open(es_port)
    assert not procs.port_open(redis_port)
    status = _run(["stack", "status", "--json"], env)
    assert status.returncode == 1  # both down now: status says so through its exit code
