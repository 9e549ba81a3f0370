"""hybrid.stack.elasticsearch: a node its unprivileged user cannot reach is refused clearly."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybrid.errors import ConfigurationError, HybridSearchError
from hybrid.settings import Settings
from hybrid.stack import elasticsearch as es_node


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
    except HybridSearchError as exc:  # no JDK or distribution here: nothing to start anyway
        pytest.skip(f"no Elasticsearch to start: {exc}")
    with pytest.raises(ConfigurationError) as caught:
        es_node.start(node, settings, timeout=5)
    print(caught.value)
    assert f"cannot enter {private} (mode 700" in str(caught.value)
    assert not node.pid_file.exists()
