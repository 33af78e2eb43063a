"""Keep webhooks off the server's own network (server-side request forgery).

Unless the setting ``webhooks_allow_private`` is on, a webhook URL whose host is, or resolves to, an
address that is not publicly routable is refused: loopback (127.0.0.0/8, ::1), private (10/8, 172.16/12,
192.168/16), link-local (169.254/16 — cloud metadata services — and fe80::/10), unique-local (fc00::/7),
multicast, unspecified (0.0.0.0, ::), reserved, shared (100.64/10) and the like; IPv6 addresses that carry
an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, Teredo, NAT64 ``64:ff9b::/96``) are judged by the
IPv4 address inside.

A delivery resolves the host once, checks every address it gets, and then connects to a checked address
itself: the URL's host is replaced by the address, while the ``Host`` header, the TLS server name (SNI)
and the certificate check keep the URL's host name. A name that resolves to a public address when checked
and to a private one a moment later (DNS rebinding) therefore cannot redirect the request. Deliveries
connect directly: proxy environment variables (``HTTP(S)_PROXY``) are not used, since the check only
means something for the address Townhall connects to; ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` still are.
Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpcore
import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
SETTING = "webhooks_allow_private"
MAX_ADDRESSES = 4  # addresses of one host tried in turn when a connection cannot be opened
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
_METADATA = ipaddress.IPv4Address("169.254.169.254")


class Refused(Exception):
    """The URL's host is, or resolves to, an address on the server's own network."""


class BadURL(Refused):
    """Not an http(s) URL with a host that httpx can parse."""


class Unresolvable(Exception):
    """The host name has no address now (DNS may answer later)."""


def blocked_reason(address: Address) -> str | None:
    """Why a webhook may not be sent to ``address`` ("a loopback address", …), or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = blocked_reason(embedded)
            return f"{inner} ({embedded} inside)" if inner else None
        if address in _NAT64_LOCAL:
            return "a not publicly routable address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address == _METADATA:
        return "a link-local address (the cloud metadata service)"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv6Address) and (address.is_site_local or address in _UNIQUE_LOCAL):
        return "a unique-local address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if not address.is_global:
        return "a not publicly routable address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address; the server half is a public relay
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def literal(host: str) -> Address | None:
    """The address when ``host`` is an IP literal (``127.0.0.1``, ``::1``), else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address of ``host`` in the resolver's order of preference, without repeats."""
    found = literal(host)
    if found is not None:
        return [found]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:  # socket.gaierror is an OSError; a bad IDNA name a ValueError
        raise Unresolvable(f"cannot resolve {host}: {exc}") from exc
    addresses: list[Address] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Unresolvable(f"cannot resolve {host}: no IPv4 or IPv6 address")
    return addresses


def parse(url: str) -> httpx.URL:
    """The URL as httpx reads it; BadURL when it is not an http(s) URL with a host. BadURL's message says only
    what is wrong with the URL ("its scheme is ftp"), not the rule again: callers state the rule."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise BadURL(f"it cannot be read: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise BadURL(f"its scheme is {parsed.scheme}" if parsed.scheme else "it has no scheme")
    if not parsed.host:
        raise BadURL("it has no host")
    return parsed


def vet(url: httpx.URL, *, allow_private: bool) -> list[Address]:
    """Resolve the URL's host and check every address; the addresses, or Refused / Unresolvable."""
    host = url.raw_host.decode("ascii")
    addresses = resolve(host, url.port or (443 if url.scheme == "https" else 80))
    if allow_private:
        return addresses
    for address in addresses:
        reason = blocked_reason(address)
        if reason is not None:
            named = f"{url.host} is" if literal(host) is not None else f"{url.host} resolves to {address}, which is"
            raise Refused(f"{named} {reason}; webhooks to the server's own network are refused "
                          f"unless the setting {SETTING} is on (TOWNHALL_{SETTING.upper()}=true)")
    return addresses


def check_registration(parsed: httpx.URL, *, allow_private: bool) -> None:
    """At ``townhall webhooks add``, for a URL :func:`parse` read: Refused for a private literal or a name with
    any private address. A name that does not resolve now is accepted; every delivery checks it again."""
    try:
        vet(parsed, allow_private=allow_private)
    except Unresolvable:
        return


# What a delivery reads of the receiver's answer: only its status matters (and a redirect's Location). An
# endless body (memory), or headers or a body sent a byte at a time (each read within the timeout, the whole
# never ending: the process's job runner stuck) must not be read to its end: the whole exchange (connecting, TLS,
# sending, the answer's headers and what is read of its body) has one deadline.
MAX_ANSWER_BYTES = 64 * 1024
ANSWER_DEADLINE_S = 30.0


class _Deadline:
    """The time left of one exchange: every network operation waits at most that long."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def left(self, timeout: float | None, error: type[Exception]) -> float:
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise error(f"the exchange took more than {self.seconds:g} s")
        return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._stream, self._deadline = stream, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, self._deadline.left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own network backend, with every connect, read and write bounded by the exchange's deadline."""

    def __init__(self, deadline: _Deadline) -> None:
        self._backend, self._deadline = httpcore.SyncBackend(), deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(host, port, self._deadline.left(timeout, httpcore.ConnectTimeout),
                                           local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:  # pragma: no cover
        raise httpcore.ConnectError("webhooks are not sent over Unix sockets")

    def sleep(self, seconds: float) -> None:  # pragma: no cover - only for httpcore's retries, which are off
        self._backend.sleep(seconds)


def _capped(response: httpx.Response) -> httpx.Response:
    """The answer with at most MAX_ANSWER_BYTES of its (still encoded) body (each read bounded by the deadline)."""
    body = bytearray()
    for chunk in response.iter_raw():
        body += chunk[: MAX_ANSWER_BYTES - len(body)]
        if len(body) >= MAX_ANSWER_BYTES:
            break
    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(response.status_code, headers=headers, content=bytes(body), request=response.request)


def post(url: str, *, content: bytes, headers: Mapping[str, str], timeout: httpx.Timeout,
         allow_private: bool) -> httpx.Response:
    """POST to ``url``, connecting only to addresses checked here (see the module's docstring).

    Only the answer's status and headers and at most MAX_ANSWER_BYTES of its body are read, and the whole
    exchange (every address tried, TLS, the request, the answer's headers and body) ends within
    ANSWER_DEADLINE_S. Raises Refused (sending cannot become allowed by retrying), Unresolvable, or
    httpx.HTTPError (an httpx.TimeoutException for an exchange that takes longer)."""
    target = parse(url)
    addresses = vet(target, allow_private=allow_private)
    deadline = _Deadline(ANSWER_DEADLINE_S)  # after the name was resolved: getaddrinfo cannot be bounded here
    host = target.raw_host.decode("ascii")
    pinned_headers = {**headers, "Host": target.netloc.decode("ascii")}
    extensions = {"sni_hostname": host} if target.scheme == "https" and literal(host) is None else {}
    ssl_context = httpx.create_ssl_context(trust_env=True)  # honours SSL_CERT_FILE / SSL_CERT_DIR
    transport = httpx.HTTPTransport(verify=ssl_context, trust_env=False)
    # httpx takes no network backend of its own: its connection pool, made again with ours (httpcore's public API)
    transport._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=_DeadlineBackend(deadline))
    failure: httpx.HTTPError | None = None
    with httpx.Client(transport=transport, trust_env=False, follow_redirects=False, timeout=timeout) as client:
        for address in addresses[:MAX_ADDRESSES]:
            request = client.build_request("POST", target.copy_with(host=str(address)), content=content,
                                           headers=pinned_headers, extensions=extensions)
            try:
                response = client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failure = exc  # no connection was made: the next address may answer
                continue
            try:
                return _capped(response)
            finally:
                response.close()
    if failure is None:  # vet() returns at least one address
        raise Unresolvable(f"cannot resolve {host}")
    raise failure
