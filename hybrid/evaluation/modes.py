"""Retrieval modes: named ways of turning a judged query into a :class:`SearchRequest`.

A :class:`Mode` is a callable ``JudgedQuery -> SearchRequest`` plus :meth:`Mode.applies`, which
says whether the mode makes sense for the query (BM25 needs text). The built-in modes:

=========================  ==================================================================
``bm25``                   BM25 only
``knn``                    kNN on ``image_vector`` only: text->image CLIP for text queries,
                           image->image for image queries, image+text mix for image+text
``knn_text``               kNN on ``text_vector`` only
``knn_text_model``         kNN on ``text_model_vector`` only (the text model; text alone)
``hybrid_rrf``             every applicable leg, reciprocal rank fusion
``hybrid_linear_minmax``   every applicable leg, linear fusion of min-max normalised scores
``hybrid_linear_l2``       ... of L2-normalised scores
``hybrid_linear_zscore``   ... of z-scores
``hybrid_single``          one Elasticsearch request; Elasticsearch sums the scores
``<hybrid>+qu``            the same with query understanding ``boost``
``<hybrid>+quf``           the same with query understanding ``filter``
=========================  ==================================================================

Plain modes run with understanding ``off`` so that the ``+qu`` variants measure exactly what
understanding adds. The ``+qu`` variants run every query (a pure image query has nothing to
understand), so every mode but ``bm25`` is averaged over the same queries. Leg weights can be
set in a mode name: ``hybrid_rrf@image_knn=2,text_knn=0`` (see :func:`parse_mode`), which is how
the evaluation compares weightings. The hybrid modes run the ``text_model_knn`` leg when
``HYBRID_TEXT_MODEL`` is on; ``<hybrid>@text_model_knn=0`` is the same mode without it, for a
side-by-side comparison on one index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from hybrid.errors import InvalidRequestError
from hybrid.evaluation.devset import DevQuery
from hybrid.query.legs import LEGS, Leg
from hybrid.query.request import (
    DEFAULT_FUSION_METHOD,
    DEFAULT_NORMALISATION,
    FusionMethod,
    Normalisation,
    SearchRequest,
    UnderstandingMode,
    format_validation_error,
)
from hybrid.settings import Settings

if TYPE_CHECKING:
    from hybrid.demo.catalog import JudgedQuery

#: Hits asked for per query: enough for recall@100 (the request size limit by default).
EVAL_DEPTH: Final = 100


@dataclass(frozen=True)
class Mode:
    """One retrieval mode of the evaluation.

    Attributes:
        name: the name shown in reports and accepted by ``--modes``.
        legs: the legs to run; None = every leg the query can feed.
        method: the fusion method.
        normalisation: the normalisation of ``linear`` fusion.
        weights: per-leg fusion weights (missing = 1).
        understanding: the query-understanding mode.
        needs_text: the mode only applies to queries with text.
        text_alone: the mode only applies to queries with text and no image.
    """

    name: str
    legs: frozenset[Leg] | None = None
    method: FusionMethod = DEFAULT_FUSION_METHOD
    normalisation: Normalisation = DEFAULT_NORMALISATION
    weights: Mapping[str, float] = field(default_factory=dict)
    understanding: UnderstandingMode = "off"
    needs_text: bool = False
    text_alone: bool = False

    def applies(self, query: JudgedQuery | DevQuery) -> bool:
        """Whether this mode can run ``query`` (BM25 alone needs text, the text model leg alone
        text without an image)."""
        named = isinstance(query, DevQuery) and query.product_id is not None
        if self.text_alone and (query.image is not None or named):
            return False
        return query.text is not None or not (self.needs_text or self.text_alone)

    def request_data(
        self, query: JudgedQuery | DevQuery, *, size: int = EVAL_DEPTH
    ) -> dict[str, Any]:
        """The JSON-like request for ``query`` (before validation)."""
        data: dict[str, Any] = {
            "text": query.text,
            "image": None if query.image is None else {"path": query.image},
            "size": size,
            "understanding": self.understanding,
            "facets": False,
            "fusion": {
                "method": self.method,
                "normalisation": self.normalisation,
                "weights": dict(self.weights),
            },
        }
        if self.legs is not None:
            data["legs"] = sorted(self.legs)
        if isinstance(query, DevQuery):
            data.update(query.request_extras())
        return data

    def __call__(
        self,
        query: JudgedQuery | DevQuery,
        *,
        size: int = EVAL_DEPTH,
        settings: Settings | None = None,
    ) -> SearchRequest:
        """The validated request for ``query``.

        Raises:
            InvalidRequestError: the mode does not apply to the query, or the request is
                invalid under ``settings`` (e.g. ``size`` above ``max_size``).
        """
        if not self.applies(query):
            raise InvalidRequestError(
                f"mode {self.name!r} needs text{' alone' if self.text_alone else ''}; query "
                f"{query.id!r} has {'an image or product' if query.text else 'no text'}"
            )
        context = {} if settings is None else {"settings": settings}
        try:
            return SearchRequest.model_validate(
                self.request_data(query, size=size), context=context
            )
        except ValidationError as exc:
            raise InvalidRequestError(
                f"mode {self.name!r}, query {query.id!r}: {format_validation_error(exc)}"
            ) from exc


_UNDERSTANDING_VARIANTS: Final[tuple[tuple[str, UnderstandingMode], ...]] = (
    ("+qu", "boost"),
    ("+quf", "filter"),
)


def _hybrids() -> list[Mode]:
    bases = [
        Mode("hybrid_rrf", method="rrf"),
        Mode("hybrid_linear_minmax", method="linear", normalisation="minmax"),
        Mode("hybrid_linear_l2", method="linear", normalisation="l2"),
        Mode("hybrid_linear_zscore", method="linear", normalisation="zscore"),
        Mode("hybrid_single", method="single"),
    ]
    variants = [
        Mode(
            f"{base.name}{suffix}",
            method=base.method,
            normalisation=base.normalisation,
            understanding=understanding,
        )
        for suffix, understanding in _UNDERSTANDING_VARIANTS
        for base in bases
    ]
    return bases + variants


#: Every built-in mode, by name, in report order.
MODES: Final[dict[str, Mode]] = {
    mode.name: mode
    for mode in [
        Mode("bm25", legs=frozenset({"bm25"}), needs_text=True),
        Mode("knn", legs=frozenset({"image_knn"})),
        Mode("knn_text", legs=frozenset({"text_knn"})),
        Mode("knn_text_model", legs=frozenset({"text_model_knn"}), text_alone=True),
        *_hybrids(),
    ]
}

#: What ``hybrid eval`` runs without ``--modes``.
DEFAULT_MODES: Final[tuple[str, ...]] = tuple(MODES)


def parse_weights(text: str) -> dict[str, float]:
    """``"image_knn=2,text_knn=0"`` -> ``{"image_knn": 2.0, "text_knn": 0.0}``.

    Raises:
        InvalidRequestError: an unknown leg, or a weight that is not a number >= 0.
    """
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        leg, _, raw = item.partition("=")
        leg = leg.strip()
        if leg not in LEGS:
            raise InvalidRequestError(f"unknown leg {leg!r} in {text!r}; expected one of {LEGS}")
        try:
            weight = float(raw)
        except ValueError:
            weight = -1.0
        if not weight >= 0:  # also refuses NaN
            raise InvalidRequestError(f"weight of {leg!r} is {raw!r}; expected a number >= 0")
        weights[leg] = weight
    return weights


def parse_mode(name: str) -> Mode:
    """A built-in mode, optionally with weights: ``hybrid_rrf+qu@image_knn=2,text_knn=0``.

    Raises:
        InvalidRequestError: an unknown mode name or malformed weights.
    """
    base_name, at, weight_text = name.strip().partition("@")
    base = MODES.get(base_name)
    if base is None:
        raise InvalidRequestError(
            f"unknown evaluation mode {base_name!r}; expected one of {', '.join(MODES)}"
        )
    if not at:
        return base
    weights = {**base.weights, **parse_weights(weight_text)}
    return Mode(
        name.strip(),
        legs=base.legs,
        method=base.method,
        normalisation=base.normalisation,
        weights=weights,
        understanding=base.understanding,
        needs_text=base.needs_text,
        text_alone=base.text_alone,
    )


def parse_modes(names: str | Sequence[str] | None) -> list[Mode]:
    """Modes from ``--modes`` (comma-separated names; weights use ``;`` between legs there).

    ``"bm25,hybrid_rrf@image_knn=2;text_knn=0"``: a comma ends a mode, so inside one mode's
    weights legs are separated by ``;``. None means :data:`DEFAULT_MODES`.
    """
    if names is None:
        return [MODES[name] for name in DEFAULT_MODES]
    items = names.split(",") if isinstance(names, str) else list(names)
    return [parse_mode(item.replace(";", ",")) for item in items if item.strip()]
