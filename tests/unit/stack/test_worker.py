"""hybrid.stack.worker: the worker's command line and the environment it inherits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hybrid.settings import Settings
from hybrid.stack.worker import cores, worker_argv, worker_env

SETTINGS = Settings(
    es_url="http://127.0.0.1:9301",
    redis_port=6390,
    model="demo",
    ingest_queue="q-x",
    max_retries=30,
    image_root=Path("/srv/images"),
)


def test_argv_consumes_the_ingest_queue_with_the_configured_concurrency() -> None:
    argv = worker_argv(SETTINGS, name="w@host")
    assert argv[:6] == [sys.executable, "-m", "celery", "-A", "workers.app", "worker"]
    assert argv[argv.index("-Q") + 1] == "q-x"
    assert argv[argv.index("-c") + 1] == str(cores())  # the default: one process per core
    assert argv[argv.index("-n") + 1] == "w@host"
    two = SETTINGS.model_copy(update={"worker_concurrency": 2})
    assert worker_argv(two, name="w@host", concurrency=3)[argv.index("-c") + 1] == "3"
    assert worker_argv(two, name="w@host")[argv.index("-c") + 1] == "2"


def test_a_child_reading_the_environment_gets_the_same_settings() -> None:
    env = worker_env(SETTINGS, {"HF_HUB_OFFLINE": "1"})
    assert env["HYBRID_REDIS_URL"] == "redis://127.0.0.1:6390/0"  # the effective URL
    code = (
        "from hybrid.settings import Settings; s = Settings(); "
        "print(s.effective_es_url, s.effective_redis_url, s.model, s.ingest_queue, "
        "s.max_retries, s.image_root)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [
        "http://127.0.0.1:9301",
        "redis://127.0.0.1:6390/0",
        "demo",
        "q-x",
        "30",
        "/srv/images",
    ]
