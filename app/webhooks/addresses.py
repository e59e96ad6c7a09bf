"""Where a webhook may point: HTTPS (HTTP only when allowed), and never at private, loopback or
link-local addresses unless allowed. Checked when a webhook is saved and again at delivery, on the
addresses actually connected to (a resolver that refuses them), against DNS rebinding."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from app.errors import Invalid


@dataclass(frozen=True)
class AddressPolicy:
    allow_http: bool = False
    allow_private: bool = False


def forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


async def check_url(url: object, policy: AddressPolicy) -> str:
    """The URL, stripped; Invalid naming `url` when it may not be used. Names that do not resolve yet
    are accepted: the delivery-time check guards them."""
    if not isinstance(url, str) or not url.strip():
        raise Invalid("url is required")
    url = url.strip()
    if len(url) > 2048:
        raise Invalid("url must be at most 2048 characters")
    parts = urlsplit(url)
    schemes = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in schemes:
        raise Invalid("url must be an HTTPS URL")
    if not parts.hostname:
        raise Invalid("url must name a host")
    if parts.username or parts.password:
        raise Invalid("url must not carry credentials")
    if policy.allow_private:
        return url
    literal = literal_ip(parts.hostname)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.wait_for(
                asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM), 3
            )
        except (TimeoutError, OSError):
            return url
        addresses = [str(info[4][0]) for info in infos]
    if any(forbidden(address) for address in addresses):
        raise Invalid("url must not point at a private, loopback or link-local address")
    return url


class RefusedAddress(OSError):
    pass


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp does, then refuses forbidden addresses (unless private ones are allowed)."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if not self._allow_private and any(forbidden(entry["host"]) for entry in found):
            raise RefusedAddress(f"{host} resolves to a private, loopback or link-local address")
        return found

    async def close(self) -> None:
        await self._inner.close()
