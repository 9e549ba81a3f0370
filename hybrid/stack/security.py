"""A secured local node: TLS on HTTP with a CA made here, and least-privilege file-realm users.

The integ-test distribution carries x-pack security, so a local node can run as a shop's cluster
does: https only, every request authenticated, each client holding only the privileges it needs.
This module makes the pieces, as files for the node's config directory:

* a CA and a node certificate for ``127.0.0.1``/``localhost`` (``cryptography``);
* ``roles.yml`` from :func:`hybrid.es.security.role_descriptors` (the same descriptors an
  operator gives API keys on a full distribution);
* ``users`` / ``users_roles`` of the file realm, passwords stored as bcrypt hashes.

Why users and not API keys here: creating an API key writes to the ``.security`` index, whose
mapping needs the ``analysis-common`` module, which this distribution lacks (Elasticsearch
answers ``400 Unknown filter type [pattern_capture]``). File-realm users need no index.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Where the node's certificates go, relative to its config directory.
CERTS_DIR = "certs"


@dataclass(frozen=True)
class User:
    """A file-realm user: a name, a password and its roles."""

    name: str
    password: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class SecurityProfile:
    """What a secured node is started with.

    Attributes:
        ca_file: the CA certificate clients verify the node with (PEM).
        certs_dir: where ``ca.crt``, ``node.crt`` and ``node.key`` are.
        users: the file realm's users; the first is used for the node's health checks.
        roles: role name -> role descriptor (as the ``_security/role`` API takes it).
    """

    certs_dir: Path
    users: tuple[User, ...]
    roles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def ca_file(self) -> Path:
        """The CA certificate (PEM)."""
        return self.certs_dir / "ca.crt"


def make_certificates(out: Path, *, days: int = 30) -> Path:
    """A fresh CA and a node certificate signed by it, for ``127.0.0.1`` and ``localhost``.

    Returns:
        ``out``, holding ``ca.crt``, ``node.crt`` and ``node.key`` (PEM).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    out.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hybrid-search local CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    node_key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    node = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(node_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (out / "ca.crt").write_bytes(ca.public_bytes(pem))
    (out / "node.crt").write_bytes(node.public_bytes(pem))
    (out / "node.key").write_bytes(
        node_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return out


def security_settings() -> dict[str, Any]:
    """The ``elasticsearch.yml`` lines of a secured node (paths relative to its config dir)."""
    return {
        "xpack.security.enabled": True,
        "xpack.security.http.ssl.enabled": True,
        "xpack.security.http.ssl.certificate": f"{CERTS_DIR}/node.crt",
        "xpack.security.http.ssl.key": f"{CERTS_DIR}/node.key",
        "xpack.security.http.ssl.certificate_authorities": [f"{CERTS_DIR}/ca.crt"],
    }


def roles_yml(roles: Mapping[str, Mapping[str, Any]]) -> str:
    """``roles.yml``: one role per key (JSON is YAML, so each descriptor is written as JSON)."""
    return "".join(f"{name}: {json.dumps(descriptor)}\n" for name, descriptor in roles.items())


def users_files(users: tuple[User, ...]) -> tuple[str, str]:
    """The file realm's ``users`` (name:bcrypt hash) and ``users_roles`` (role:name,name)."""
    import bcrypt

    lines = []
    for user in users:
        hashed = bcrypt.hashpw(user.password.encode(), bcrypt.gensalt(rounds=10)).decode()
        # Elasticsearch's BCrypt reads the $2a$ prefix; $2b$ differs only for >255-byte input.
        lines.append(f"{user.name}:{hashed.replace('$2b$', '$2a$', 1)}")
    by_role: dict[str, list[str]] = {}
    for user in users:
        for role in user.roles:
            by_role.setdefault(role, []).append(user.name)
    roles = [f"{role}:{','.join(names)}" for role, names in by_role.items()]
    return "\n".join(lines) + "\n", "\n".join(roles) + "\n"


def write_security(config_dir: Path, profile: SecurityProfile) -> None:
    """Put the certificates, roles and users of ``profile`` into a node's config directory."""
    certs = config_dir / CERTS_DIR
    certs.mkdir(parents=True, exist_ok=True)
    for name in ("ca.crt", "node.crt", "node.key"):
        (certs / name).write_bytes((profile.certs_dir / name).read_bytes())
    (config_dir / "roles.yml").write_text(roles_yml(profile.roles))
    users, users_roles = users_files(profile.users)
    (config_dir / "users").write_text(users)
    (config_dir / "users_roles").write_text(users_roles)
