"""A loopback stand-in for Kibana's saved objects import that records every request.

It answers the way ``POST /api/saved_objects/_import`` documents: 200 with ``successResults``
(``overwrite: true`` for an object it already holds) and ``errors`` for the ids it is told to
refuse; anything else (another path, no ``kbn-xsrf``, no multipart ``file``) gets Kibana's 400.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from support.http import serving


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def parts(self) -> list[Message]:
        """The multipart/form-data parts of the body."""
        head = f"Content-Type: {self.headers.get('content-type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        assert message.is_multipart(), self.headers.get("content-type")
        return list(message.iter_parts())  # type: ignore[attr-defined]


@dataclass
class FakeKibana:
    """What the stand-in holds and what it was sent."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    stored: set[tuple[str, str]] = field(default_factory=set)
    refuse: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: int = 200


def _answer(kibana: FakeKibana, request: Recorded) -> tuple[int, dict[str, Any]]:
    if request.path != "/api/saved_objects/_import" or "kbn-xsrf" not in request.headers:
        return 400, {
            "statusCode": 400,
            "error": "Bad Request",
            "message": "Request must contain a kbn-xsrf header.",
        }
    files = [
        p for p in request.parts() if p.get_param("name", header="content-disposition") == "file"
    ]
    if kibana.status != 200 or len(files) != 1:
        return kibana.status if kibana.status != 200 else 400, {
            "statusCode": kibana.status,
            "message": "refused",
        }
    payload = files[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    overwrite = request.query.get("overwrite") == ["true"]
    results, errors = [], []
    for line in payload.decode().splitlines():
        obj = json.loads(line)
        key = (obj["type"], obj["id"])
        meta = {"title": obj["attributes"].get("title", "")}
        if obj["id"] in kibana.refuse:
            errors.append(
                {
                    "type": obj["type"],
                    "id": obj["id"],
                    "meta": meta,
                    "error": kibana.refuse[obj["id"]],
                }
            )
        elif key in kibana.stored and not overwrite:
            errors.append(
                {"type": obj["type"], "id": obj["id"], "meta": meta, "error": {"type": "conflict"}}
            )
        else:
            result = {"type": obj["type"], "id": obj["id"], "meta": meta}
            if key in kibana.stored:
                result["overwrite"] = True
            results.append(result)
            kibana.stored.add(key)
    body = {"success": not errors, "successCount": len(results), "successResults": results}
    if errors:
        body["errors"] = errors
    return 200, body


@contextmanager
def fake_kibana(kibana: FakeKibana | None = None) -> Iterator[FakeKibana]:
    """Serve a :class:`FakeKibana` on a free loopback port; its ``url`` is set."""
    state = kibana or FakeKibana()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length", 0))
            request = Recorded(
                method="POST",
                path=split.path,
                query=parse_qs(split.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length),
            )
            state.requests.append(request)
            status, body = _answer(state, request)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(Handler) as url:
        state.url = url
        yield state
