"""An embedder wrapper that encodes each distinct query image and text once per run.

The evaluation sends the same query under a dozen modes; the search service loads and encodes
the query image every time. Wrapping its embedder with :class:`CachingEmbedder` makes every
repeat a dictionary lookup (keyed by the decoded pixels, so the same file read twice hits).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hybrid.embedding import Embedder

if TYPE_CHECKING:
    from PIL.Image import Image


def _image_key(image: Image) -> str:
    digest = hashlib.blake2b(image.tobytes(), digest_size=16)
    digest.update(f"{image.mode}:{image.size}".encode())
    return digest.hexdigest()


class CachingEmbedder:
    """An :class:`~hybrid.embedding.Embedder` that remembers the last ``size`` inputs of each kind.

    Attributes:
        hits: inputs served from the cache.
        misses: inputs sent to the wrapped model.
    """

    def __init__(self, inner: Embedder, *, size: int = 4096) -> None:
        self.inner = inner
        self.size = size
        self.hits = 0
        self.misses = 0
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def model_id(self) -> str:
        """The wrapped model's id."""
        return self.inner.model_id

    @property
    def dims(self) -> int:
        """The wrapped model's vector length."""
        return self.inner.dims

    @property
    def normalised(self) -> bool:
        """Whether the wrapped model's vectors have unit norm."""
        return self.inner.normalised

    def encode_images(self, images: Sequence[Image]) -> np.ndarray:
        """Like the wrapped model's, encoding only images not seen before."""
        keys = ["i:" + _image_key(image) for image in images]
        return self._encode(keys, list(images), self.inner.encode_images)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Like the wrapped model's, encoding only texts not seen before."""
        keys = ["t:" + text for text in texts]
        return self._encode(keys, list(texts), self.inner.encode_texts)

    def _encode(
        self, keys: list[str], inputs: list[Any], encode: Callable[[Any], np.ndarray]
    ) -> np.ndarray:
        found = {key: self._cache[key] for key in keys if key in self._cache}
        missing = [i for i, key in enumerate(keys) if key not in found]
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = encode([inputs[i] for i in missing])
            for row, i in enumerate(missing):
                found[keys[i]] = np.asarray(fresh[row], dtype=np.float32)
        for key in keys:
            self._remember(key, found[key])
        if not keys:
            return np.zeros((0, self.dims), dtype=np.float32)
        return np.stack([found[key] for key in keys])

    def _remember(self, key: str, vector: np.ndarray) -> None:
        self._cache[key] = vector
        self._cache.move_to_end(key)
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)
