"""Image + text keeps the product: "like this, but in tomato" stays in the photo's category.

A photo (or a product id) with a few words asks for *this kind of product* with a change, most
often a colour. The words alone pull the text leg and a mixed vector towards anything of that
colour (a photo of a boot brought back mugs), so the photographed product's category becomes an
understood requirement, relaxed visibly like the others when nothing matches:

* a product id: its own category;
* an uploaded photo: the majority category of its nearest indexed images, when at least
  :data:`MIN_SHARE` of :data:`NEIGHBOURS` agree (otherwise nothing is assumed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hybrid.query.builders import knn_body
from hybrid.query.fusion import LegHit, leg_hits
from hybrid.schema import CATEGORY, CATEGORY_PATH, IMAGE_VECTOR
from hybrid.search.gateway import SearchGateway
from hybrid.search.vectors import wire

#: How many nearest images vote, and the share the winning category needs. Calibrated on 400
#: photos of a catalogue never indexed (seed 99) against the seed-4242 index, demo CLIP: share
#: 0.5 anchors 96% of photos at 96.9% precision, 0.6 anchors 92% at 98.4%, 0.8 81% at 100%.
#: 0.6 was tried: image_text 0.917 -> 0.903 on the catalogue's queries, so 0.5 stays.
#: Photos as a shopper takes them (turned, smaller, off centre), never indexed, same index
#: (``benchmarks/bench_anchor.py``): 20 at 0.5 anchors 99.3% at 93.7% precision with the demo
#: CLIP trained on such views (the weights before them: 81.0% at 77.2%); 5-20 neighbours at
#: shares 0.4-0.6 all lie within 93.0-95.1%, so the rule stays.
NEIGHBOURS = 20
MIN_SHARE = 0.5


@dataclass(frozen=True)
class Anchor:
    """The category kept, and why (said in ``understanding.notes``)."""

    category: str
    note: str


def leaf(source: Mapping[str, Any] | None) -> str | None:
    """The most specific category of a hit (the longest ``category_path`` entry)."""
    paths = (source or {}).get(CATEGORY_PATH) or []
    paths = [paths] if isinstance(paths, str) else paths
    return max(paths, key=len) if paths else None


def vote(categories: Sequence[str], *, out_of: int) -> tuple[str, float] | None:
    """The most common of ``categories`` and its share of ``out_of`` voters, if any voted."""
    if not categories:
        return None
    category, count = Counter(categories).most_common(1)[0]
    return category, count / out_of


def majority(hits: Sequence[LegHit]) -> tuple[str, float] | None:
    """The most common leaf category among ``hits`` and its share, if any hit has one."""
    return vote([found for hit in hits if (found := leaf(hit.source))], out_of=len(hits))


def find_anchor(
    gateway: SearchGateway,
    *,
    product_id: str | None,
    image_vector: np.ndarray,
    timeout: float,
) -> Anchor | None:
    """The category to keep for an image+text request, or None when it is not clear."""
    if product_id is not None:
        source = gateway.sources([product_id], timeout=timeout).get(product_id) or {}
        category = source.get(CATEGORY)
        if category:
            return Anchor(str(category), f"kept the category of product {product_id!r}")
    body = knn_body(
        IMAGE_VECTOR,
        wire(image_vector),
        [],
        k=NEIGHBOURS,
        num_candidates=max(100, 2 * NEIGHBOURS),
        source="page",
    )
    (response,) = gateway.msearch([body], timeout=timeout)
    voted = majority(leg_hits(response))
    if voted is None or voted[1] < MIN_SHARE:
        return None
    category, share = voted
    return Anchor(
        category,
        f"kept the photo's category {category!r} ({share:.0%} of its {NEIGHBOURS} nearest images)",
    )
