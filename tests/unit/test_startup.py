"""Start-up cost: the serving and ingest paths import nothing heavy until the model is needed.

``import sentence_transformers`` pulls scipy (``util.tensor``), scikit-learn
(``util.similarity``) and, through transformers' model loading, sympy (``torch.distributed``):
seconds of start-up. The API, the search service, the ingest pipeline and the worker tasks must
reach none of them (nor torch) at import, so ``hybrid --help``, the API's health route and a
worker's start do not pay for the model; :mod:`hybrid.embedding` loads it on first encode.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

HEAVY = ("scipy", "sklearn", "sympy", "torch", "sentence_transformers", "transformers")


def _imported_after(modules: list[str], *, also: tuple[str, ...] = ()) -> tuple[list[str], float]:
    watched = HEAVY + also
    code = (
        "import importlib, json, sys, time\n"
        "t = time.perf_counter()\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "t = time.perf_counter() - t\n"
        f"print(json.dumps([[m for m in {watched!r} if m in sys.modules], t]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    heavy, seconds = json.loads(result.stdout.splitlines()[-1])
    return heavy, seconds


def test_serving_and_ingest_paths_import_no_model_stack() -> None:
    modules = [
        "hybrid.api.app",
        "hybrid.search.service",
        "hybrid.indexing.pipeline",
        "hybrid.embedding",
        "workers.tasks",
    ]
    started = time.perf_counter()
    heavy, seconds = _imported_after(modules)
    total = time.perf_counter() - started
    print(f"serving + ingest imported in {seconds:.2f}s ({total:.2f}s with the interpreter)")
    assert heavy == []


def test_the_cli_imports_no_model_stack_nor_the_es_client_for_help() -> None:
    heavy, seconds = _imported_after(["hybrid.cli"], also=("elasticsearch", "celery"))
    print(f"hybrid.cli imported in {seconds:.2f}s; heavy: {heavy}")
    assert heavy == []


def _loaded_by(steps: str, watched: tuple[str, ...]) -> tuple[list[str], float]:
    """Which of ``watched`` a fresh interpreter has imported after ``steps``, and their time."""
    code = (
        "import json, sys, time\n"
        "t = time.perf_counter()\n"
        f"{steps}"
        "t = time.perf_counter() - t\n"
        f"print(json.dumps([[m for m in {watched!r} if m in sys.modules], t]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    loaded, seconds = json.loads(result.stdout.splitlines()[-1])
    return loaded, seconds


def test_loading_the_demo_model_and_encoding_imports_no_scipy_sklearn_sympy() -> None:
    loaded, seconds = _loaded_by(
        "from PIL import Image\n"
        "from hybrid.embedding import get_embedder\n"
        "from hybrid.settings import Settings\n"
        "embedder = get_embedder(Settings(model='demo', device='cpu'))\n"
        "embedder.encode_texts(['red sneakers'])\n"
        "embedder.encode_images([Image.new('RGB', (80, 60), (200, 30, 40))])\n",
        ("scipy", "sklearn", "sympy", "sentence_transformers", "torch"),
    )
    print(f"demo model loaded and used in {seconds:.2f}s; imported: {loaded}")
    assert loaded == ["torch"]


def test_the_packaged_text_model_loads_without_transformers_or_sentence_transformers() -> None:
    # The search service loads all-MiniLM-L6-v2 at warm-up to guess unread words' categories.
    loaded, seconds = _loaded_by(
        "from hybrid.embedding import SentenceTransformerEmbedder\n"
        "SentenceTransformerEmbedder('all-MiniLM-L6-v2', device='cpu').encode_texts(['bumbag'])\n",
        ("scipy", "sklearn", "sympy", "sentence_transformers", "transformers"),
    )
    print(f"all-MiniLM-L6-v2 loaded and used in {seconds:.2f}s; imported: {loaded}")
    assert loaded == []
