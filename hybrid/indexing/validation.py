"""Feed records in, :class:`ProductRecord` s or readable rejects out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from pydantic import ValidationError

from hybrid.indexing.outcome import Reject
from hybrid.indexing.records import ProductRecord
from hybrid.validation import describe

#: Key a feed reader sets on a line that is not JSON; the record is then rejected as such.
PARSE_ERROR_KEY: Final = "_parse_error"


def validate_records(
    raw: Sequence[dict[str, Any]],
) -> tuple[list[ProductRecord], list[tuple[dict[str, Any], Reject]]]:
    """Split raw records into valid ones and ``(raw, reject)`` pairs with readable reasons.

    A reason names each offending field and what was wrong with it (see
    :mod:`hybrid.validation`), e.g. ``"price: Input should be a finite number;
    colourway: unknown field"``.
    """
    valid: list[ProductRecord] = []
    invalid: list[tuple[dict[str, Any], Reject]] = []
    for item in raw:
        checked = validate_record(item)
        if isinstance(checked, Reject):
            invalid.append((item if isinstance(item, dict) else {}, checked))
        else:
            valid.append(checked)
    return valid, invalid


def validate_record(item: Any) -> ProductRecord | Reject:
    """One record, or the reject saying why it is not one."""
    if not isinstance(item, dict):  # a producer bug rather than a feed problem; keep it visible
        found = f"expected a JSON object; found {type(item).__name__}"
        return Reject("<no id>", "validate", "invalid_json", found)
    product_id = str(item.get("id", "<no id>"))
    if PARSE_ERROR_KEY in item:
        return Reject(product_id, "validate", "invalid_json", str(item[PARSE_ERROR_KEY]))
    try:
        return ProductRecord.model_validate(item)
    except ValidationError as exc:
        message = describe(exc.errors(include_url=False), prefix="", subject="record")
        return Reject(product_id, "validate", "invalid_record", message)
