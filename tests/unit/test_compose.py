"""docker-compose.yml cannot run here (no Docker engine): check what can be checked statically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hybrid.settings import ES_VERSION

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_every_service_has_a_pinned_image_or_a_build(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {
        "setup",
        "elasticsearch",
        "kibana",
        "kibana-setup",
        "index-setup",
        "redis",
        "worker",
        "api",
    }
    for name, service in services.items():
        if "build" in service:
            assert (ROOT / service["build"] / "Dockerfile").is_file(), name
            continue
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: unpinned image {image}"


def test_elastic_images_match_the_local_stack_version(compose: dict[str, Any]) -> None:
    for name in ("elasticsearch", "kibana"):
        assert compose["services"][name]["image"].endswith(f":{ES_VERSION}"), name


def test_health_checks_everywhere_and_dependents_wait_for_them(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        check = service.get("healthcheck", {})
        one_shot = service.get("restart") == "no"  # runs once and exits: nothing to check
        assert one_shot or check.get("test"), f"{name} has no health check"
        first = name == "setup"  # makes the certificates everything else needs
        assert first or not one_shot or service.get("depends_on"), f"{name} waits for nothing"
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            done = services[dependency].get("restart") == "no"
            wanted = "service_completed_successfully" if done else "service_healthy"
            assert condition in ({"condition": wanted}, {"condition": "service_healthy"}), name


def test_ports_are_sane_and_bound_to_loopback(compose: dict[str, Any]) -> None:
    seen: set[int] = set()
    for name, service in compose["services"].items():
        for mapping in service.get("ports", []):
            host_ip, host_port, container_port = str(mapping).split(":")
            assert host_ip == "127.0.0.1", f"{name} publishes {mapping} beyond loopback"
            assert 0 < int(host_port) < 65536 and 0 < int(container_port) < 65536
            assert int(host_port) not in seen, f"{name} reuses host port {host_port}"
            seen.add(int(host_port))


def test_app_services_get_service_urls_from_the_environment(compose: dict[str, Any]) -> None:
    for name in ("worker", "api"):
        env = compose["services"][name]["environment"]
        assert env["HYBRID_ES_URL"] == "https://elasticsearch:9200", name
        assert env["HYBRID_ES_CA_FILE"] == "/certs/ca/ca.crt", name
        assert env["HYBRID_REDIS_URL"] == "redis://redis:6379/0", name


def test_redis_keeps_an_append_only_file(compose: dict[str, Any]) -> None:
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"


def test_kibana_setup_imports_the_saved_objects_once_kibana_is_healthy(
    compose: dict[str, Any],
) -> None:
    setup = compose["services"]["kibana-setup"]
    assert setup["command"] == ["hybrid", "kibana", "import"]
    assert setup["environment"]["HYBRID_KIBANA_URL"] == "http://kibana:5601"
    assert setup["depends_on"] == {"kibana": {"condition": "service_healthy"}}
    assert setup["restart"] == "no"


def test_security_is_on_and_every_client_has_its_own_least_privilege_user(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    es = services["elasticsearch"]["environment"]
    assert (
        es["xpack.security.enabled"] == "true" and es["xpack.security.http.ssl.enabled"] == "true"
    )
    users = {
        name: services[name]["environment"]["HYBRID_ES_USERNAME"]
        for name in ("worker", "api", "index-setup")
    }
    assert users == {
        "worker": "hybrid-indexer",
        "api": "hybrid-searcher",
        "index-setup": "hybrid-admin",
    }
    assert services["kibana"]["environment"]["ELASTICSEARCH_USERNAME"] == "kibana_system"
    for service in services.values():  # secrets only from .env, never written here
        for key, value in (service.get("environment") or {}).items():
            if "PASSWORD" in key:
                assert str(value).startswith("${"), key


def test_the_setup_roles_are_the_descriptors_the_project_tests() -> None:
    import json

    from hybrid.es.security import role_descriptors

    for name, descriptor in role_descriptors("products").items():
        shipped = json.loads((ROOT / "deploy" / "compose" / "roles" / f"{name}.json").read_text())
        assert shipped == descriptor, f"deploy/compose/roles/{name}.json is out of date"
    script = (ROOT / "deploy" / "compose" / "setup.sh").read_text()
    for name in role_descriptors("products"):
        assert name in script
