"""hybrid.evaluation.runner: the settings a run searches with."""

from __future__ import annotations

from pathlib import Path

from hybrid.evaluation.runner import eval_settings
from hybrid.settings import Settings


def test_a_run_reads_images_from_the_catalogue_and_no_shop_synonyms(tmp_path: Path) -> None:
    configured = Settings(synonyms_file=tmp_path / "synonyms.txt")
    settings = eval_settings(configured, tmp_path / "catalogue")
    assert settings.image_root == (tmp_path / "catalogue").resolve()
    assert settings.synonyms_file is None  # the dev sets measure the project's own reading
