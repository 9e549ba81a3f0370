"""hybrid.stack.api: the background API's command, readiness and stop, without starting one."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from hybrid.errors import StackError
from hybrid.settings import Settings
from hybrid.stack import api, local_api_node, procs


def test_the_local_stack_api_lives_under_home_on_the_configured_port(tmp_path: Path) -> None:
    node = local_api_node(Settings(home=tmp_path, api_port=18123))
    assert node.url == "http://127.0.0.1:18123/"
    assert node.pid_file == tmp_path / "api" / "api.pid"
    assert api.api_argv(node) == [
        sys.executable,
        "-m",
        "hybrid.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "18123",
    ]


def test_nothing_listening_does_not_answer_and_nothing_to_stop(tmp_path: Path) -> None:
    node = api.ApiNode(tmp_path, procs.free_port())
    assert not api.answers(node, timeout=0.5)
    assert api.stop(node) is False
    (tmp_path / "api.pid").write_text("not a pid\n")  # a stale file is removed, nothing killed
    assert api.stop(node) is False
    assert not node.pid_file.exists()


def test_a_port_taken_by_another_process_is_refused_before_starting(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        node = api.ApiNode(tmp_path / "api", taken.getsockname()[1])
        with pytest.raises(StackError, match="HYBRID_API_PORT"):
            api.start(node, Settings(home=tmp_path), timeout=5)
    assert not node.pid_file.exists()
