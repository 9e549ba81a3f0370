"""hybrid.api.health: the services' status."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_reports_both_services_down_as_503_json(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert not body["elasticsearch"]["up"] and body["elasticsearch"]["error"]
    assert not body["redis"]["up"] and "Connection refused" in body["redis"]["error"]
