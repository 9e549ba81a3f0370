"""Helpers shared by the benchmark scripts: a throwaway Elasticsearch node, the project's client,
a random ViT-B/32.

Not a test module and not part of the package; the scripts import it from their own directory.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from hybrid.demo.model.layout import (
    MODULE_DIR,
    DemoClipSpec,
    preprocessor_config,
    save_sentence_transformer,
)
from hybrid.es.client import Connection
from hybrid.settings import Settings
from hybrid.stack import elasticsearch as es_node
from hybrid.stack import procs
from hybrid.weights import DEMO_MODEL_DIR

VIT_B32_IMAGE_SIZE = 224


@contextmanager
def elasticsearch(url: str | None, *, heap: str = "512m") -> Iterator[str]:
    """The given cluster, or a throwaway single node like the test fixtures start."""
    if url:
        yield url
        return
    node = es_node.EsNode(
        instance_dir=Path(tempfile.mkdtemp(prefix="hybrid-bench-es-")),
        http_port=procs.free_port(),
        transport_port=procs.free_port(),
        heap=heap,
        cluster_name="hybrid-bench",
    )
    node.instance_dir.chmod(0o755)
    try:
        es_node.start(node, Settings())
        yield node.url
    finally:
        es_node.stop(node)
        shutil.rmtree(node.instance_dir, ignore_errors=True)


def project_client(url: str, *, timeout: float = 120.0, json: str = "orjson") -> Elasticsearch:
    """A client with the options the project's own gets (orjson for JSON and NDJSON), or with
    the client's default ``json`` module when ``json`` is ``"stdlib"``, to compare the two."""
    options = Connection(hosts=(url,), timeout=timeout).client_options()
    if json == "stdlib":
        del options["serializers"]
    return Elasticsearch(url, **options)


def make_vit_b32(out: Path) -> Path:
    """A randomly initialised CLIP ViT-B/32 in sentence-transformers layout, demo tokenizer."""
    import torch
    from transformers import CLIPConfig, CLIPModel

    demo = DEMO_MODEL_DIR / MODULE_DIR
    vocab_size = len(json.loads((demo / "vocab.json").read_text()))
    demo_text = json.loads((demo / "config.json").read_text())["text_config"]
    special = {key: demo_text[key] for key in ("bos_token_id", "eos_token_id", "pad_token_id")}
    shutil.copytree(demo, out / MODULE_DIR, ignore=shutil.ignore_patterns("*.safetensors"))
    # CLIPConfig's defaults are ViT-B/32: vision 768 wide x 12 layers, patch 32, 224 px; text
    # 512 x 12; projection 512. Only the text vocabulary follows the reused tokenizer.
    config = CLIPConfig(text_config={"vocab_size": vocab_size, **special})
    processor = preprocessor_config(DemoClipSpec(image_size=VIT_B32_IMAGE_SIZE))
    (out / MODULE_DIR / "preprocessor_config.json").write_text(json.dumps(processor))
    torch.manual_seed(0)
    save_sentence_transformer(CLIPModel(config), out)
    return out


def timed(action: Callable[[], Any]) -> float:
    """Seconds ``action`` takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started
