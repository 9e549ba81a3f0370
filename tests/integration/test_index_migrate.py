"""``hybrid index create|migrate``: versioned physical indices behind the alias, moved atomically,
and writers whose model does not match the index refused."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from hybrid import es as es_ops
from hybrid.cli import app
from hybrid.demo.catalog import iter_records, write_catalog
from hybrid.demo.model.layout import MODULE_DIR, save_sentence_transformer
from hybrid.errors import ConfigurationError
from hybrid.indexing.pipeline import Ingestor
from hybrid.indexing.records import ProductRecord
from hybrid.mapping import VectorSpec, mapping_version
from hybrid.settings import MINILM_MODEL, Settings, get_settings
from hybrid.weights import DEMO_MODEL_DIR

OTHER_DIMS = 32
N = 24


@pytest.fixture(scope="module")
def other_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second CLIP: the demo model's tokenizer and processor, other (random) weights and dims."""
    import torch
    from transformers import CLIPConfig, CLIPModel

    out = tmp_path_factory.mktemp("other-clip")
    shutil.copytree(DEMO_MODEL_DIR / MODULE_DIR, out / MODULE_DIR)
    (out / MODULE_DIR / "model.safetensors").unlink()
    config = json.loads((DEMO_MODEL_DIR / MODULE_DIR / "config.json").read_text())
    for part in (config, config["text_config"], config["vision_config"]):
        part["projection_dim"] = OTHER_DIMS
    torch.manual_seed(0)
    save_sentence_transformer(CLIPModel(CLIPConfig.from_dict(config)), out)
    return out


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process ``hybrid`` commands read the settings of this test from HYBRID_*."""
    for key, value in {
        "HYBRID_ES_URL": settings.es_url,
        "HYBRID_REDIS_URL": settings.redis_url,
        "HYBRID_INDEX_ALIAS": settings.index_alias,
        "HYBRID_MODEL": settings.model,
        "HYBRID_IMAGE_ROOT": str(settings.image_root),
        "HYBRID_HOME": str(settings.home),
    }.items():
        monkeypatch.setenv(key, str(value))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _hybrid(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _fill(settings: Settings, test_images: Path) -> list[dict[str, Any]]:
    write_catalog(test_images, N, 9)
    records = list(iter_records(test_images))
    for record in records:
        record["images"] = [f"{test_images.name}/{path}" for path in record["images"]]
    summary = Ingestor(settings).process([ProductRecord.model_validate(r) for r in records])
    assert len(summary.indexed) == N
    return records


def _aliased(es: Elasticsearch, alias: str) -> list[str]:
    return sorted(es.indices.get_alias(name=alias).body)


def test_create_makes_a_versioned_index_behind_the_alias_once(
    cli_env: None, settings: Settings, es: Elasticsearch
) -> None:
    created = _hybrid("index", "create")
    alias, index = settings.index_alias, created["index"]
    assert created["alias"] == alias
    assert index.startswith(f"{alias}-v{mapping_version()}-")
    assert _aliased(es, alias) == [index]
    meta = es_ops.index_meta(es, index)
    assert (meta["model_id"], meta["dims"]) == (created["model_id"], created["dims"])
    assert _hybrid("index", "create")["index"] == index  # the second create is a no-op
    assert _aliased(es, alias) == [index]


def test_migrate_reindex_moves_the_alias_to_a_full_copy(
    cli_env: None, settings: Settings, es: Elasticsearch, test_images: Path
) -> None:
    records = _fill(settings, test_images)
    old = es_ops.alias_target(es, settings.index_alias)
    assert old is not None
    report = _hybrid("index", "migrate", "--reindex")
    assert (report["method"], report["old_index"], report["documents"]) == ("reindex", old, N)
    new = report["new_index"]
    assert new != old
    assert _aliased(es, settings.index_alias) == [new]
    assert es.indices.exists(index=old)  # kept for a rollback
    assert es_ops.count(es, old) == es_ops.count(es, settings.index_alias) == N
    _assert_copied(es, new, records, dims=es_ops.index_meta(es, old)["dims"])


def _assert_copied(es: Elasticsearch, index: str, records: list[dict[str, Any]], dims: int) -> None:
    for record in records[::5]:
        hit = es.get(index=index, id=record["id"], source_exclude_vectors=False)
        assert hit["_version"] == record["version"]  # external versions survive the move
        assert hit["_source"]["title"] == record["title"]
        assert len(hit["_source"]["image_vector"]) == len(hit["_source"]["text_vector"]) == dims


def test_migrate_reembeds_with_a_new_model(
    cli_env: None,
    settings: Settings,
    es: Elasticsearch,
    test_images: Path,
    other_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = _fill(settings, test_images)
    old = es_ops.alias_target(es, settings.index_alias)
    monkeypatch.setenv("HYBRID_MODEL", str(other_model))
    get_settings.cache_clear()
    refused = CliRunner().invoke(app, ["index", "migrate", "--reindex"])
    assert refused.exit_code == 1
    assert "re-embed instead" in refused.output
    assert _aliased(es, settings.index_alias) == [old]
    report = _hybrid("index", "migrate")  # the model changed: re-embedding is the default
    assert (report["method"], report["documents"], report["rejected"]) == ("reembed", N, 0)
    assert _aliased(es, settings.index_alias) == [report["new_index"]]
    meta = es_ops.index_meta(es, report["new_index"])
    assert (meta["dims"], meta["model_id"].split("@")[0]) == (OTHER_DIMS, other_model.name)
    _assert_copied(es, settings.index_alias, records, dims=OTHER_DIMS)


def test_turning_the_text_model_on_is_a_reembedding_migration(
    cli_env: None,
    settings: Settings,
    es: Elasticsearch,
    test_images: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = _fill(settings, test_images)  # HYBRID_TEXT_MODEL off: no text_model_vector
    old = es_ops.alias_target(es, settings.index_alias)
    assert old is not None and "text_model_id" not in es_ops.index_meta(es, old)
    monkeypatch.setenv("HYBRID_TEXT_MODEL", MINILM_MODEL)
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="'text_model_id': None"):
        Ingestor(get_settings()).ensure_index()  # writers are refused until the migration
    report = _hybrid("index", "migrate")
    assert (report["method"], report["documents"], report["rejected"]) == ("reembed", N, 0)
    meta = es_ops.index_meta(es, report["new_index"])
    assert meta["text_model_id"].startswith(f"{MINILM_MODEL}@") and meta["text_dims"] == 384
    for record in records[::6]:
        hit = es.get(index=settings.index_alias, id=record["id"], source_exclude_vectors=False)
        assert len(hit["_source"]["text_model_vector"]) == 384


def test_a_writer_with_other_dims_is_refused_and_changes_nothing(
    settings: Settings, es: Elasticsearch
) -> None:
    spec = Ingestor(settings).spec()
    index = es_ops.ensure_index(es, settings.index_alias, spec)
    other = VectorSpec(model_id=spec.model_id, dims=spec.dims * 2)
    with pytest.raises(ConfigurationError) as caught:
        es_ops.ensure_index(es, settings.index_alias, other)
    assert f"'dims': {spec.dims}" in str(caught.value)
    assert f"'dims': {spec.dims * 2}" in str(caught.value)
    assert es_ops.alias_target(es, settings.index_alias) == index
    assert es_ops.index_meta(es, index)["dims"] == spec.dims
    template = es.indices.get_index_template(name=settings.index_alias)["index_templates"][0]
    vector = template["index_template"]["template"]["mappings"]["properties"]["image_vector"]
    assert vector["dims"] == spec.dims  # the refused writer did not rewrite the template
