"""hybrid.es.client: the client is given every node and retries on the others."""

from __future__ import annotations

from hybrid.es import make_client
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
