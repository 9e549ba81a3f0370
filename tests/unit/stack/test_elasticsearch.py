"""hybrid.stack.elasticsearch: a node its unprivileged user cannot reach is refused clearly."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import service_unavailable

from hybrid.errors import ConfigurationError, HybridSearchError, StackError
from hybrid.settings import Settings
from hybrid.stack import elasticsearch as es_node
from hybrid.stack import procs


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A scratch directory everyone may enter (pytest's own tmp_path sits under a 0700 one)."""
    path = Path(tempfile.mkdtemp())
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the node to another user")
def test_root_with_home_in_a_0700_directory_is_told_which_directory(open_dir: Path) -> None:
    private = Path(tempfile.mkdtemp(dir=open_dir))  # mktemp -d: mode 0700
    settings = Settings(home=private / "state")
    node = es_node.EsNode(
        instance_dir=settings.home / "elasticsearch", http_port=1, transport_port=2
    )
    try:
        es_node.find_java(settings)
        es_node.ensure_distribution(settings)
    except HybridSearchError as exc:  # no JDK or distribution: a failure under CI
        service_unavailable("Elasticsearch (JDK or distribution)", exc)
    with pytest.raises(ConfigurationError) as caught:
        es_node.start(node, settings, timeout=5)
    print(caught.value)
    assert f"cannot enter {private} (mode 700" in str(caught.value)
    assert not node.pid_file.exists()


def test_two_nodes_discover_each_other_and_only_the_first_may_be_master(open_dir: Path) -> None:
    home = open_dir / "dist"
    (home / "config").mkdir(parents=True)
    (home / "config" / "jvm.options").write_text("")
    nodes = es_node.cluster_of_two(
        open_dir, http_ports=(9400, 9401), transport_ports=(9500, 9501), heap="256m"
    )
    found = []
    for node in nodes:
        es_node._prepare_instance(node, home)
        lines = (node.instance_dir / "config" / "elasticsearch.yml").read_text().splitlines()
        found.append(dict(line.split(": ", 1) for line in lines))
    first, second = found
    assert first["http.port"] == "9400" and second["http.port"] == "9401"
    assert first["discovery.seed_hosts"] == second["discovery.seed_hosts"] == '["127.0.0.1:9500"]'
    assert first["cluster.initial_master_nodes"] == '["hybrid-node-1"]'
    assert "node.roles" not in first  # every role, master included
    assert second["node.roles"] == '["data", "ingest"]'
    assert "discovery.type" not in first


def test_the_local_stack_client_knows_both_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRID_ES_NODES", "2")
    settings = Settings(es_port=9200)
    assert settings.es_hosts == ["http://127.0.0.1:9200", "http://127.0.0.1:9201"]
    assert Settings(es_url="http://a:9200, http://b:9200").es_hosts == [
        "http://a:9200",
        "http://b:9200",
    ]


@pytest.mark.parametrize("held", ["HTTP", "transport"])
def test_a_port_held_by_another_process_is_refused_before_anything_starts(
    tmp_path: Path, held: str
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        ports = {"http_port": port, "transport_port": 1}  # nothing listens on port 1
        if held == "transport":  # e.g. another stack's HTTP port is this one's transport port
            ports = {"http_port": procs.free_port(), "transport_port": port}
        node = es_node.EsNode(instance_dir=tmp_path / "node", **ports)
        with pytest.raises(StackError, match=f"{held} port {port} is already in use"):
            es_node.start(node, Settings())
    assert not (tmp_path / "node").exists()
