"""``GET /health``: can this process reach Elasticsearch and Redis?

Anyone may ask (load balancers send no key) and gets ``{"status": "ok" | "unavailable"}``; the
cluster's name, version, health and error texts are for keys with the ``admin`` scope.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Security
from fastapi.responses import JSONResponse

from hybrid.api.auth import Principal, authenticate
from hybrid.api.models import HealthResponse, HealthStatus, ServiceHealth
from hybrid.api.state import ApiState, DeadlineExceeded, get_state

if TYPE_CHECKING:
    from hybrid.stack import ServiceStatus

router = APIRouter(tags=["health"])
State = Annotated[ApiState, Depends(get_state)]
# The admin scope is documented, not required: without it the answer is the status only.
Caller = Annotated[Principal, Security(authenticate, scopes=["admin"])]
# Error texts may quote a URL; never publish its user:password part.
_CREDENTIALS = re.compile(r"//[^/@\s]*@")


@router.get(
    "/health",
    response_model=HealthResponse | HealthStatus,
    responses={503: {"model": HealthResponse | HealthStatus, "description": "A service is down."}},
    openapi_extra={"security": [{}]},  # anonymous callers too, see the module docstring
    summary="Elasticsearch cluster status and a Redis PING",
)
async def health(state: State, caller: Caller) -> JSONResponse:
    """200 when Elasticsearch answers (health not red) and Redis answers PING; else 503.

    Keys with the ``admin`` scope get each service's details; other callers the status only.
    """
    from hybrid import stack

    def check() -> dict[str, ServiceStatus]:
        return stack.status(state.settings)

    try:
        report = health_report(await state.run_blocking(check, what="the health check"))
    except DeadlineExceeded as exc:
        down = ServiceHealth(up=False, managed=False, error=str(exc))
        report = HealthResponse(status="unavailable", elasticsearch=down, redis=down)
    code = 200 if report.status == "ok" else 503
    if "admin" not in caller.scopes:
        return JSONResponse(HealthStatus(status=report.status).model_dump(), status_code=code)
    return JSONResponse(report.model_dump(), status_code=code)


def health_report(services: dict[str, ServiceStatus]) -> HealthResponse:
    """The answer for ``stack.status`` results; a red cluster counts as down."""
    es, redis = (_service(services[name]) for name in ("elasticsearch", "redis"))
    if es.up and es.detail.get("health") == "red":
        es = es.model_copy(update={"up": False, "error": "cluster health is red"})
    status = "ok" if es.up and redis.up else "unavailable"
    return HealthResponse(status=status, elasticsearch=es, redis=redis)


def _service(status: ServiceStatus) -> ServiceHealth:
    error = _CREDENTIALS.sub("//***@", status.error) if status.error else None
    return ServiceHealth(up=status.up, managed=status.managed, detail=status.detail, error=error)
