"""Where `voiceai serve` listens, and whether `VOICEAI_PUBLIC_URL` leads back to it.

The in-process simulated carrier dials the listening address itself; Exotel can only use the public URL,
so a public URL on this machine that names another port is a configuration mistake worth a warning.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return host == ""


@dataclass(frozen=True)
class ListenAddress:
    host: str
    port: int

    @property
    def url(self) -> str:
        """An http URL this machine can dial: a wildcard bind is reached on loopback."""
        host = self.host
        if _is_unspecified(host):
            host = "::1" if ":" in host else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def public_url_mismatch(self, public_url: str) -> str | None:
        """Why `public_url` cannot be this server, or None when it is (or may be: another host's name, a
        proxy or a tunnel in front of us, cannot be told apart from here)."""
        parts = urlsplit(public_url)
        host = parts.hostname or ""
        try:
            port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
        except ValueError:
            return "it has an invalid port"
        local = _is_loopback(host) or host == self.host
        if not local:
            return None
        if port != self.port:
            return f"it names port {port} on this machine, but the server listens on {self.port}"
        return None
