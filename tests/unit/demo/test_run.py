"""hybrid.demo.run: the API the demo leaves running opens search to the browser page."""

from __future__ import annotations

from pathlib import Path

from hybrid.demo.run import DEMO_ALIAS, api_settings, demo_settings
from hybrid.settings import DEMO_MODEL, Settings


def test_the_demo_api_gets_anonymous_search_and_the_demo_index(tmp_path: Path) -> None:
    settings = api_settings(demo_settings(Settings(home=tmp_path), tmp_path / "catalog"))
    env = settings.as_environment()  # what the background `hybrid serve` reads
    assert env["HYBRID_API_ANONYMOUS_SEARCH"] == "true"
    assert env["HYBRID_MODEL"] == DEMO_MODEL
    assert env["HYBRID_INDEX_ALIAS"] == DEMO_ALIAS
    assert env["HYBRID_IMAGE_ROOT"] == str(tmp_path / "catalog")
    assert not Settings(home=tmp_path).api_anonymous_search  # only the demo opens it
