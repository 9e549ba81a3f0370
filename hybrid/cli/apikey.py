"""The ``hybrid apikey`` commands: make API keys and the hashed lines that configure them.

The API stores no key, only its SHA-256 (see :mod:`hybrid.api.auth`): ``mint`` prints a new key
once, for the caller to keep, and the JSON entry to add to ``HYBRID_API_KEYS``; ``hash`` makes
the entry of an existing key read from stdin (never from the command line, where ``ps`` and
the shell history would see it).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from hybrid.cli.common import JsonFlag, console, fail
from hybrid.errors import InvalidRequestError

apikey_app = typer.Typer(help="Make API keys and their hashed configuration.", no_args_is_help=True)


class Scope(StrEnum):
    """What a key may do (see :mod:`hybrid.api.auth`)."""

    search = "search"
    write = "write"
    admin = "admin"


KeyId = Annotated[str, typer.Argument(help="A name for the key, e.g. 'shop-frontend'.")]
Scopes = Annotated[
    list[Scope], typer.Option("--scope", "-s", help="A scope of the key; repeat for several.")
]


def key_entry(key_id: str, key: str, scopes: list[Scope]) -> dict[str, Any]:
    """The ``HYBRID_API_KEYS`` entry of ``key``: id, SHA-256 and scopes (validated).

    Raises:
        InvalidRequestError: an id the settings refuse, or no scope.
    """
    from pydantic import ValidationError

    from hybrid.api.auth import hash_key
    from hybrid.settings import ApiKeyHash

    raw = {"id": key_id, "sha256": hash_key(key), "scopes": sorted({s.value for s in scopes})}
    try:
        ApiKeyHash.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidRequestError(f"cannot make an API key entry: {problems}") from exc
    return raw


@apikey_app.command("mint")
def mint(key_id: KeyId, scope: Scopes, as_json: JsonFlag = False) -> None:
    """Make a new random key; print it (once) and its HYBRID_API_KEYS entry."""
    from hybrid.api.auth import mint_key

    key = mint_key()
    try:
        entry = key_entry(key_id, key, scope)
    except InvalidRequestError as exc:
        raise fail(exc) from exc
    if as_json:
        typer.echo(json.dumps({"key": key, "entry": entry}))
        return
    console.print(f"key (shown once; send as 'Authorization: ApiKey <key>'): {key}", soft_wrap=True)
    console.print("add this entry to the JSON list in HYBRID_API_KEYS:")
    typer.echo(json.dumps(entry))


@apikey_app.command("hash")
def hash_(key_id: KeyId, scope: Scopes) -> None:
    """Print the HYBRID_API_KEYS entry of an existing key, read from stdin."""
    key = sys.stdin.readline().strip()
    try:
        if not key:
            raise InvalidRequestError("no key on stdin; pipe the key in, e.g. from a secret file")
        entry = key_entry(key_id, key, scope)
    except InvalidRequestError as exc:
        raise fail(exc) from exc
    typer.echo(json.dumps(entry))
