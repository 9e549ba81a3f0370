"""Query vectors: what each kNN leg searches with, for text, image, image+text and product ids."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybrid.embedding import Embedder
from hybrid.images import ImageLimits, ImageRef, load_image

#: Decimals a query vector is sent with. Elasticsearch reads it as float32, whose resolution
#: near 0.04 (a typical component of a 512-d unit vector) is about 4e-9; 9 decimals stay below
#: that, and print about 11 characters a number where float32 values printed as doubles take 20:
#: the three vectors of a hybrid request are most of its JSON.
WIRE_DECIMALS = 9

#: In "like this, but in blue", how much the text moves the image vector (0 = ignore the text).
IMAGE_TEXT_MIX = 0.5


@dataclass(frozen=True)
class QueryVectors:
    """The vectors of the kNN legs (None: the leg does not run).

    ``text_model_knn`` is the query text embedded by the text model (``HYBRID_TEXT_MODEL``).
    """

    image_knn: np.ndarray | None
    text_knn: np.ndarray | None
    text_model_knn: np.ndarray | None = None


def normalise(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to unit length (a zero vector is returned as it is)."""
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else vector.astype(np.float32)


def wire(vector: np.ndarray) -> list[float]:
    """``vector`` as the list sent to Elasticsearch, rounded to :data:`WIRE_DECIMALS`."""
    rounded: list[float] = np.round(vector.astype(np.float64), WIRE_DECIMALS).tolist()
    return rounded


def mix(image: np.ndarray, text: np.ndarray, *, text_weight: float = IMAGE_TEXT_MIX) -> np.ndarray:
    """An image vector nudged by a text vector, re-normalised (image+text queries)."""
    return normalise((1.0 - text_weight) * image + text_weight * text)


class QueryEncoder:
    """Encodes query text and images with the index's models; caches text vectors (LRU).

    Query texts repeat a lot in a shop ("white sneakers"), and encoding one costs a model call,
    so a small cache per model takes that cost off the hot path.

    Args:
        embedder: the CLIP (``image_knn``, ``text_knn``).
        image_root: local query images must be below it.
        limits: the image safety limits.
        cache_size: text vectors kept per model (0: none).
        text_model: the text model of the ``text_model_knn`` leg (None: the leg is off).
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        image_root: Path | None,
        limits: ImageLimits,
        cache_size: int = 2048,
        text_model: Embedder | None = None,
    ) -> None:
        self.embedder = embedder
        self.text_model = text_model
        self.image_root = image_root
        self.limits = limits
        self.cache_size = cache_size
        self._texts: OrderedDict[str, np.ndarray] = OrderedDict()
        self._model_texts: OrderedDict[str, np.ndarray] = OrderedDict()

    def clear_cache(self) -> None:
        """Forget every cached text vector (lowering ``cache_size`` only evicts on insert)."""
        self._texts.clear()
        self._model_texts.clear()

    def text(self, text: str) -> np.ndarray:
        """The (cached) CLIP text vector of ``text``."""
        return self._cached(self.embedder, self._texts, text)

    def text_model_vector(self, text: str) -> np.ndarray | None:
        """The (cached) text model vector of ``text``; None when the leg is off."""
        if self.text_model is None:
            return None
        return self._cached(self.text_model, self._model_texts, text)

    def _cached(
        self, embedder: Embedder, cache: OrderedDict[str, np.ndarray], text: str
    ) -> np.ndarray:
        key = " ".join(text.split()).casefold()
        cached = cache.get(key)
        if cached is not None:
            cache.move_to_end(key)
            return cached
        vector: np.ndarray = embedder.encode_texts([text])[0]
        cache[key] = vector
        if len(cache) > self.cache_size:
            cache.popitem(last=False)
        return vector

    def image(self, ref: ImageRef) -> np.ndarray:
        """The CLIP image vector of a query image (loaded with the same safety rules)."""
        image = load_image(ref, root=self.image_root, limits=self.limits, product_id="query")
        vector: np.ndarray = self.embedder.encode_images([image])[0]
        return vector

    def vectors(
        self,
        *,
        text: str | None,
        image: np.ndarray | None,
        product: dict[str, list[float]] | None,
    ) -> QueryVectors:
        """Vectors for the kNN legs.

        - text only: the CLIP text vector searches images (text->image) and product texts.
        - image (or a product's stored image vector): image->image, and image->text.
        - image + text: the image vector nudged by the text ("like this, but in blue").
        - text alone: the text model's vector of it searches the product texts it embedded.
          Not with an image: "make it tomato" describes a change to the photographed product,
          not a product, and the leg lowered image+text nDCG@10 (docs/evaluation.md).
        """
        text_vector = self.text(text) if text else None
        stored_image = _as_array(product, "image_vector")
        stored_text = _as_array(product, "text_vector")
        base = image if image is not None else stored_image
        if base is None:
            model_vector = self.text_model_vector(text) if text else None
            return QueryVectors(text_vector, text_vector, model_vector)
        if text_vector is not None:
            base = mix(base, text_vector)
        text_leg = stored_text if (stored_text is not None and text_vector is None) else base
        return QueryVectors(image_knn=base, text_knn=text_leg)


def _as_array(product: dict[str, list[float]] | None, field: str) -> np.ndarray | None:
    if not product or field not in product:
        return None
    return np.asarray(product[field], dtype=np.float32)
