"""SSRF guard for webhook URLs: https only, and only to public addresses.

Checked twice: when an endpoint is saved (scheme, host, and what the name resolves to now)
and at every delivery, at connect time, against the address actually connected to. The
connection is made to the very address that passed the check (`GuardedBackend`), so a DNS
answer that changes between check and connect (DNS rebinding) cannot reach a private host.
WEBHOOK_ALLOW_PRIVATE_URLS=true (development, tests) allows http and private addresses.
"""

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from httpcore import ConnectError, NetworkStream, SyncBackend

from credits_app.credits.errors import CreditsError
from credits_app.settings import get_settings

MAX_URL_LENGTH = 2048


class InvalidWebhookUrl(CreditsError):
    """The URL is not https, has no host, or points at a private address."""

    code = "invalid_webhook_url"


class PrivateAddressRefused(ConnectError):
    """A delivery whose host resolved to a loopback/private/link-local/metadata address."""


def private_allowed() -> bool:
    """Whether WEBHOOK_ALLOW_PRIVATE_URLS is on (read each time: tests flip it)."""
    return get_settings().webhook_allow_private_urls


def check_url(url: str) -> str:
    """The URL, if it may receive webhooks; else `InvalidWebhookUrl` saying why."""
    url = url.strip()
    if not 0 < len(url) <= MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"url must be 1 to {MAX_URL_LENGTH} characters.", field="url")
    if not url.isascii() or not url.isprintable() or " " in url:
        raise InvalidWebhookUrl("url must be printable ASCII without spaces.", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        raise InvalidWebhookUrl("url is not a valid URL.", field="url") from None
    schemes = {"https", "http"} if private_allowed() else {"https"}
    if parts.scheme not in schemes:
        raise InvalidWebhookUrl("Webhook URLs must use https.", field="url")
    if not parts.hostname or parts.username or parts.password:
        raise InvalidWebhookUrl("url needs a host and no credentials.", field="url")
    if not private_allowed():
        try:
            public_addresses(parts.hostname, parts.port or 443)
        except PrivateAddressRefused as refused:
            raise InvalidWebhookUrl(str(refused), field="url") from None
        except OSError:
            raise InvalidWebhookUrl(f"{parts.hostname} does not resolve.", field="url") from None
    return url


def is_public(address: str) -> bool:
    """Globally routable: not loopback, private, link-local (cloud metadata), reserved, ..."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def public_addresses(host: str, port: int) -> list[str]:
    """The host's addresses, or `PrivateAddressRefused` if any of them is not public."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = [address for address in addresses if not is_public(address)]
    if refused:
        raise PrivateAddressRefused(f"{host} resolves to a non-public address ({refused[0]}).")
    return addresses


class GuardedBackend(SyncBackend):
    """httpcore's socket backend, resolving and checking the host itself before connecting."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> NetworkStream:
        if private_allowed():
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            address = public_addresses(host, port)[0]
        except OSError as error:
            raise ConnectError(f"{host} does not resolve: {error}") from None
        return super().connect_tcp(address, port, timeout, local_address, socket_options)
