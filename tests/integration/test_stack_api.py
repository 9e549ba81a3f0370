"""The API the demo leaves running is part of the local stack: `hybrid stack down` stops it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from hybrid.settings import Settings
from hybrid.stack import api, local_api_node, procs

pytestmark = pytest.mark.timeout(300)


def test_stack_down_stops_the_background_api(es_url: str, redis_url: str) -> None:
    home = Path(tempfile.mkdtemp(prefix="hybrid-test-stack-api-"))
    settings = Settings(
        home=home,
        es_url=es_url,
        redis_url=redis_url,
        api_port=procs.free_port(),
        model="demo",
        api_anonymous_search=True,
    )
    node = local_api_node(settings)
    try:
        api.start(node, settings, extra_env={"HF_HUB_OFFLINE": "1"})
        with urllib.request.urlopen(node.url, timeout=10) as page:
            assert b"<title>Product search</title>" in page.read()
        pid = int(node.pid_file.read_text())
        env = {
            **os.environ,
            "HYBRID_HOME": str(home),
            "HYBRID_ES_URL": es_url,  # given services: down leaves them alone
            "HYBRID_REDIS_URL": redis_url,
            "HYBRID_API_PORT": str(settings.api_port),
        }
        down = subprocess.run(
            [sys.executable, "-m", "hybrid.cli", "stack", "down", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert down.returncode == 0, down.stdout + down.stderr
        assert json.loads(down.stdout) == {"stopped": ["api"]}
        assert not procs.pid_alive(pid)
        assert not procs.port_open(settings.api_port)
        assert not node.pid_file.exists()
    finally:
        api.stop(node)
        shutil.rmtree(home, ignore_errors=True)
