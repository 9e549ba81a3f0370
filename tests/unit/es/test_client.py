"""hybrid.es.client: the client is given every node and retries on the others."""

from __future__ import annotations

from hybrid.es import make_client
from hybrid.es.client import Connection
from hybrid.settings import Settings


def test_the_client_holds_every_node_and_retries_past_each_of_them() -> None:
    urls = ["http://127.0.0.1:9391", "http://127.0.0.1:9392", "http://127.0.0.1:9393"]
    client = make_client(Settings(es_url=",".join(urls), es_max_retries=1))
    pool = client.transport.node_pool
    assert sorted(f"http://{n.config.host}:{n.config.port}" for n in pool.all()) == urls
    # Per-request options the client hands its transport (elasticsearch-py keeps them private).
    options = {
        k: v for k, v in vars(client).items() if k.startswith("_retry") or k == "_max_retries"
    }
    assert options["_max_retries"] == 2  # never fewer than the other nodes
    assert options["_retry_on_timeout"] is True
    assert options["_retry_on_status"] == (502, 503, 504)


def test_https_with_a_user_verifies_against_the_given_ca() -> None:
    settings = Settings(
        es_url="https://10.0.0.5:9200",
        es_username="indexer",
        es_password="s3cret",
        es_ca_file="/etc/hybrid/ca.crt",
    )
    options = Connection.from_settings(settings).client_options()
    assert options["basic_auth"] == ("indexer", "s3cret")
    assert (options["verify_certs"], options["ca_certs"]) == (True, "/etc/hybrid/ca.crt")
    assert "api_key" not in options


def test_an_api_key_wins_over_a_user_and_a_fingerprint_pins_the_ca() -> None:
    settings = Settings(
        es_url="https://es:9200",
        es_api_key="aWQ6a2V5",
        es_username="ignored",
        es_ca_fingerprint="AB:CD",
    )
    options = Connection.from_settings(settings).client_options()
    assert options["api_key"] == "aWQ6a2V5" and "basic_auth" not in options
    assert options["ssl_assert_fingerprint"] == "AB:CD"


def test_secrets_stay_masked_in_dumps_but_reach_a_child_process() -> None:
    settings = Settings(es_password="s3cret", es_api_key="aWQ6a2V5")
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())
    env = settings.as_environment()
    assert (env["HYBRID_ES_PASSWORD"], env["HYBRID_ES_API_KEY"]) == ("s3cret", "aWQ6a2V5")
