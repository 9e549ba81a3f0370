"""The one search request every entry point (HTTP API, CLI, evaluation) validates.

Every model forbids unknown fields and non-finite numbers, so a typo (``"colour"`` for
``"colour_family"``) or a ``NaN`` price is a 422, never a silently ignored filter. Limits that an
operator may tune (``max_size``, ``max_result_window``, ``max_num_candidates``) come from
:class:`~hybrid.settings.Settings`: pass ``context={"settings": s}`` to ``model_validate`` (or
``settings=`` to :func:`parse_request`); without them the defaults of those settings apply. The
module is pure: it never reads the environment.

User text is only ever sent to Elasticsearch inside ``multi_match.query``; it is never parsed as
query syntax, so ``title:foo OR (bar`` is plain text here and needs no escaping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hybrid.errors import InvalidFilterError, InvalidRequestError
from hybrid.images import ImageRef
from hybrid.query.legs import LEGS, TEXT_ALONE_LEGS, TEXT_LEGS, Leg
from hybrid.schema import CATEGORY_SEPARATOR
from hybrid.settings import Settings
from hybrid.validation import describe
from hybrid.vocab import COLOUR_FAMILIES

FusionMethod = Literal["rrf", "linear", "single"]
Normalisation = Literal["minmax", "l2", "zscore"]
UnderstandingMode = Literal["boost", "filter", "off"]

#: Chosen by `hybrid eval` on two demo catalogues (2,000 products each, seeds 7 and 11; the demo
#: CLIP shipped on 2026-12-02): linear fusion of z-scored legs had the best nDCG@10 on both, without
#: query understanding (0.769 / 0.788 vs min-max 0.762 / 0.778, rrf 0.743 / 0.756, l2 0.727,
#: single 0.695); equal leg weights. The figures once quoted with understanding (0.870 / 0.886)
#: averaged only the 150 queries with text, against all 200 without it: on the same 150 queries
#: understanding added about 0.002 (issue #13). `hybrid eval` now averages "all" over the same
#: queries for every mode; on words outside the project's tables see docs/evaluation.md.
DEFAULT_FUSION_METHOD: Final[FusionMethod] = "linear"
DEFAULT_NORMALISATION: Final[Normalisation] = "zscore"
DEFAULT_RRF_K: Final = 60
DEFAULT_WINDOW: Final = 100
DEFAULT_SIZE: Final = 10
MAX_TEXT_CHARS: Final = 512
MAX_FILTER_VALUES: Final = 50
MAX_ATTRIBUTES: Final = 10
MAX_ATTRIBUTE_VALUES: Final = 20
#: Elasticsearch's own upper bound for ``num_candidates``; the window is a per-leg ``k``.
MAX_WINDOW: Final = 10_000

_CONFIG: Final = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

QueryText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT_CHARS)]
FilterValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
AttributeName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9_]{1,40}$")
]
AttributeValues = Annotated[list[FilterValue], Field(min_length=1, max_length=MAX_ATTRIBUTE_VALUES)]
#: The largest leg weight. Weights are relative (1000 already drowns the other legs); without a
#: bound, 1e308 makes the fused scores infinite.
MAX_WEIGHT: Final = 1000.0
Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT, allow_inf_nan=False)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
SortValue = str | int | FiniteFloat


def _dedupe(values: Iterable[str]) -> list[str]:
    """Keep the first occurrence of each value, in order (values are OR-ed: order is cosmetic)."""
    return list(dict.fromkeys(values))


@dataclass(frozen=True)
class RequestLimits:
    """The operator-tunable limits a request is checked against (see :class:`Settings`)."""

    max_size: int = Settings.model_fields["max_size"].default
    max_result_window: int = Settings.model_fields["max_result_window"].default
    max_num_candidates: int = Settings.model_fields["max_num_candidates"].default

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestLimits:
        """The limits configured in ``settings``."""
        return cls(settings.max_size, settings.max_result_window, settings.max_num_candidates)


def _limits_from(info: ValidationInfo) -> RequestLimits:
    context = info.context
    if isinstance(context, Mapping) and isinstance(context.get("settings"), Settings):
        return RequestLimits.from_settings(context["settings"])
    return RequestLimits()


class PriceRange(BaseModel):
    """An inclusive price range; either bound may be open (``None``)."""

    model_config = _CONFIG

    gte: float | None = Field(default=None, ge=0)
    lte: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.gte is not None and self.lte is not None and self.gte > self.lte:
            raise ValueError(f"price.gte ({self.gte}) must be <= price.lte ({self.lte})")
        return self


class Filters(BaseModel):
    """Hard constraints on the products. Values of one field are OR-ed, fields are AND-ed."""

    model_config = _CONFIG

    colour_family: list[FilterValue] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    category: list[FilterValue] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    brand: list[FilterValue] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    price: PriceRange | None = None
    in_stock: bool | None = None
    attributes: dict[AttributeName, AttributeValues] = Field(
        default_factory=dict, max_length=MAX_ATTRIBUTES
    )

    @field_validator("colour_family")
    @classmethod
    def _known_families(cls, values: list[str]) -> list[str]:
        lowered = [value.lower() for value in values]
        unknown = [value for value in lowered if value not in COLOUR_FAMILIES]
        if unknown:
            expected = ", ".join(COLOUR_FAMILIES)
            raise ValueError(f"unknown colour family {unknown[0]!r}; expected one of {expected}")
        return _dedupe(lowered)

    @field_validator("category")
    @classmethod
    def _canonical_paths(cls, values: list[str]) -> list[str]:
        # "Footwear>Sneakers" and "Footwear >  Sneakers" both mean "Footwear > Sneakers".
        paths = []
        for value in values:
            parts = [part.strip() for part in value.split(">")]
            if not all(parts):
                raise ValueError(f"category path {value!r} has an empty level")
            paths.append(CATEGORY_SEPARATOR.join(parts))
        return _dedupe(paths)

    @field_validator("brand")
    @classmethod
    def _unique_brands(cls, values: list[str]) -> list[str]:
        return _dedupe(values)

    @field_validator("attributes")
    @classmethod
    def _unique_attribute_values(cls, values: dict[str, list[str]]) -> dict[str, list[str]]:
        return {name: _dedupe(items) for name, items in values.items()}

    def is_empty(self) -> bool:
        """True when no filter is set."""
        return self == Filters()


class FusionSpec(BaseModel):
    """How the legs' ranked lists become one list (see :mod:`hybrid.query.fusion`).

    Attributes:
        method: ``rrf`` (rank-based), ``linear`` (normalised scores) or ``single`` (one
            Elasticsearch request whose scores Elasticsearch sums).
        weights: per-leg weight, 0 to :data:`MAX_WEIGHT`; a leg that is not named weighs 1.0,
            weight 0 turns it off.
        rrf_k: the RRF rank constant.
        window: how many hits each leg retrieves before fusion (its ``k``); widened to fill a
            deep page, see :attr:`SearchRequest.effective_window`.
        normalisation: per-leg score normalisation of ``linear``.
        floors: per-leg score meaning "irrelevant", the bottom of that leg's ``minmax`` scale
            (see :func:`hybrid.query.fusion.minmax`).
        min_bm25_score: BM25 hits scoring less are dropped before fusion (None = off).
        min_knn_similarity: kNN hits with a lower *cosine similarity* (-1..1, not ``_score``)
            are dropped before fusion (None = off).
    """

    model_config = _CONFIG

    method: FusionMethod = DEFAULT_FUSION_METHOD
    weights: dict[Leg, Weight] = Field(default_factory=dict)
    rrf_k: int = Field(default=DEFAULT_RRF_K, ge=1, le=10_000)
    window: int = Field(default=DEFAULT_WINDOW, ge=1, le=MAX_WINDOW)
    normalisation: Normalisation = DEFAULT_NORMALISATION
    floors: dict[Leg, FiniteFloat] = Field(default_factory=dict)
    min_bm25_score: float | None = Field(default=None, ge=0)
    min_knn_similarity: float | None = Field(default=None, ge=-1, le=1)

    def weight(self, leg: str) -> float:
        """The weight of ``leg`` (1.0 unless set)."""
        return self.leg_weights().get(leg, 1.0)

    def leg_weights(self) -> dict[str, float]:
        """The explicitly set weights, keyed by plain leg name."""
        return {str(leg): weight for leg, weight in self.weights.items()}

    def leg_floors(self) -> dict[str, float]:
        """The min-max floors, keyed by plain leg name."""
        return {str(leg): floor for leg, floor in self.floors.items()}


class SearchRequest(BaseModel):
    """A search: what to look for, which filters, which page, and how to rank.

    At least one of ``text``, ``image`` or ``product_id`` (more like this product) is required.
    """

    model_config = _CONFIG

    text: QueryText | None = None
    image: ImageRef | None = None
    product_id: FilterValue | None = None
    filters: Filters = Field(default_factory=Filters)
    size: int = Field(default=DEFAULT_SIZE, ge=1)
    page: int = Field(default=1, ge=1)
    search_after: list[SortValue] | None = Field(default=None, min_length=1, max_length=4)
    fusion: FusionSpec = Field(default_factory=FusionSpec)
    legs: frozenset[Leg] | None = None
    understanding: UnderstandingMode = "filter"
    collapse: bool = False
    facets: bool = True
    explain: bool = False

    @field_validator("text")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        if self.text is None and self.image is None and self.product_id is None:
            raise ValueError("give at least one of text, image or product_id")
        self._check_paging(_limits_from(info))
        self._check_legs()
        return self

    def _check_paging(self, settings: RequestLimits) -> None:
        if self.size > settings.max_size:
            raise ValueError(f"size is {self.size}; the limit is {settings.max_size}")
        if self.size * self.page > settings.max_result_window:
            raise ValueError(
                f"size * page is {self.size * self.page}; the limit is "
                f"{settings.max_result_window} (use search_after to page deeper)"
            )
        if self.search_after is not None and self.page != 1:
            raise ValueError("search_after replaces page; leave page at 1")
        if self.search_after is not None and self.collapse:
            # Elasticsearch only allows it when sorting on the collapse field alone, but we sort
            # on relevance.
            raise ValueError("search_after cannot be combined with collapse")
        if self.fusion.window > settings.max_num_candidates:
            raise ValueError(
                f"fusion.window is {self.fusion.window}; the limit is "
                f"{settings.max_num_candidates} (max_num_candidates)"
            )

    def _check_legs(self) -> None:
        if self.legs is not None:
            if not self.legs:
                raise ValueError("legs is empty; name at least one of " + ", ".join(LEGS))
            needs_text = sorted(TEXT_LEGS & self.legs)
            if needs_text and self.text is None:
                raise ValueError(f"leg {needs_text[0]!r} needs text")
            text_alone = sorted(TEXT_ALONE_LEGS & self.legs)
            if text_alone and (self.image is not None or self.product_id is not None):
                raise ValueError(f"leg {text_alone[0]!r} runs on text alone, without an image")
        if not self.active_legs:
            raise ValueError("every requested leg has fusion weight 0; nothing to run")

    @property
    def applicable_legs(self) -> tuple[Leg, ...]:
        """Legs this request's inputs can feed: BM25 needs text, the text model text alone
        (no image, no product), the CLIP kNN legs any input."""
        pictured = self.image is not None or self.product_id is not None
        return tuple(
            leg
            for leg in LEGS
            if (leg not in TEXT_LEGS or self.text is not None)
            and (leg not in TEXT_ALONE_LEGS or not pictured)
        )

    @property
    def active_legs(self) -> tuple[Leg, ...]:
        """Legs to run: requested (default all applicable) and with a weight above zero."""
        wanted = self.legs if self.legs is not None else frozenset(LEGS)
        if self.legs is None and self.text is None and "text_knn" not in self.fusion.weights:
            # Pure image queries: image->text kNN pushes the best match (same model, same colour)
            # out of the top (eval, 2,000 products, seed 7, demo CLIP of 2026-12-02: MRR 0.407 for
            # image kNN alone vs 0.132 with the text leg fused in by z-score, best-match R@10
            # 0.693 vs 0.339), although it finds more same-category-and-colour products (nDCG@10
            # 0.475 vs 0.537).
            wanted = wanted - {"text_knn"}
        return tuple(
            leg for leg in self.applicable_legs if leg in wanted and self.fusion.weight(leg) > 0
        )

    @property
    def offset(self) -> int:
        """Index of the first hit of the requested page in the fused list."""
        return (self.page - 1) * self.size

    @property
    def effective_window(self) -> int:
        """Hits per leg: the fusion window, widened so the requested page can be filled."""
        return max(self.fusion.window, self.page * self.size)


def format_validation_error(exc: ValidationError) -> str:
    """One readable line per problem: ``filters.price.gte: Input should be a finite number``."""
    return describe(exc.errors(include_url=False), prefix="invalid search request: ")


def parse_request(data: Mapping[str, Any], *, settings: Settings | None = None) -> SearchRequest:
    """Validate a JSON-like mapping into a :class:`SearchRequest`.

    Args:
        data: the request as decoded JSON.
        settings: the limits to check against; default: the defaults of those settings.

    Returns:
        The validated request.

    Raises:
        InvalidFilterError: every problem is inside ``filters``.
        InvalidRequestError: any other problem, with one readable line per problem.
    """
    try:
        context = {"settings": settings} if settings is not None else None
        return SearchRequest.model_validate(dict(data), context=context)
    except ValidationError as exc:
        only_filters = all(err["loc"][:1] == ("filters",) for err in exc.errors())
        error_class = InvalidFilterError if only_filters else InvalidRequestError
        raise error_class(format_validation_error(exc)) from exc
