"""Keep webhooks off the server's own network (server-side request forgery).

Unless the setting ``webhooks_allow_private`` is on, a webhook URL whose host is, or resolves to, an address
in one of the ranges of :data:`SPECIAL_IPV4` / :data:`SPECIAL_IPV6` is refused: loopback, private, shared
(carrier-grade NAT), link-local (the cloud metadata service), unique-local, multicast, broadcast, unspecified,
documentation, benchmarking, reserved, and every other range of IANA's IPv4 and IPv6 special-purpose address
registries (2025). The tables are Townhall's own, so the answer does not depend on the Python version
(``ipaddress`` changed its idea of "private" in 3.12.4 and 3.13). No publisher's receiver lives in those
ranges, so even the ones IANA calls globally reachable are refused: the PCP and TURN anycast addresses
(192.0.0.9, 192.0.0.10, 2001:1::1, 2001:1::2) are answered by the nearest such server — by design one on the
sender's own network — and the AS112, AMT and 6to4-relay anycast ranges and ORCHID identifiers host no
webhooks either. IPv6 is allowed only in its global unicast space 2000::/3. IPv6 addresses that carry an
IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, Teredo, NAT64 ``64:ff9b::/96``) are
judged by the IPv4 address inside; the local-use NAT64 prefix ``64:ff9b:1::/48`` is refused outright.

A delivery resolves the host once, checks every address it gets, and then connects to a checked address
itself: the URL's host is replaced by the address, while the ``Host`` header, the TLS server name (SNI)
and the certificate check keep the URL's host name. A name that resolves to a public address when checked
and to a private one a moment later (DNS rebinding) therefore cannot redirect the request. Deliveries
connect directly: proxy environment variables (``HTTP(S)_PROXY``) are not used, since the check only
means something for the address Townhall connects to; ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` still are.
Redirects are never followed.

The system resolver (``getaddrinfo``) takes no timeout and cannot be interrupted, so a lookup runs in a
daemon thread of its own and is abandoned when it takes too long: a delivery's lookup gets at most
LOOKUP_DEADLINE_S of the delivery's ANSWER_DEADLINE_S, and a registration's REGISTRATION_LOOKUP_S (a name
that does not answer in time is accepted then, and checked at every delivery). See :func:`resolve`.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import httpcore
import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
SETTING = "webhooks_allow_private"
MAX_ADDRESSES = 4  # addresses of one host tried in turn when a connection cannot be opened
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

_V4, _V6 = ipaddress.IPv4Network, ipaddress.IPv6Network
_PCP, _TURN = "the PCP anycast address (answered on the sender's own network)", "the TURN anycast address"
_AS112, _AMT = "an AS112 (DNS sink) anycast address", "an AMT relay anycast address"

# (network, why a webhook may not go there): the most specific network that holds an address decides.
SPECIAL_IPV4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/8"), 'a "this network" address'),
    (_V4("0.0.0.0/32"), "an unspecified address"),
    (_V4("10.0.0.0/8"), "a private address"),
    (_V4("100.64.0.0/10"), "a shared (carrier-grade NAT) address"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V4("169.254.169.254/32"), "a link-local address (the cloud metadata service)"),
    (_V4("172.16.0.0/12"), "a private address"),
    (_V4("192.0.0.0/24"), "an IETF protocol assignment address"),
    (_V4("192.0.0.0/29"), "an IPv4 service continuity (DS-Lite) address"),
    (_V4("192.0.0.8/32"), "the IPv4 dummy address"),
    (_V4("192.0.0.9/32"), _PCP),
    (_V4("192.0.0.10/32"), _TURN),
    (_V4("192.0.0.170/31"), "a NAT64/DNS64 discovery address"),
    (_V4("192.0.2.0/24"), "a documentation address (TEST-NET-1)"),
    (_V4("192.31.196.0/24"), _AS112),
    (_V4("192.52.193.0/24"), _AMT),
    (_V4("192.88.99.0/24"), "a 6to4 relay anycast address (deprecated)"),
    (_V4("192.168.0.0/16"), "a private address"),
    (_V4("192.175.48.0/24"), _AS112),
    (_V4("198.18.0.0/15"), "a benchmarking address"),
    (_V4("198.51.100.0/24"), "a documentation address (TEST-NET-2)"),
    (_V4("203.0.113.0/24"), "a documentation address (TEST-NET-3)"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
    (_V4("255.255.255.255/32"), "the broadcast address"),
)
# IPv6: everything outside the global unicast space 2000::/3 is refused (None: allowed). ::ffff:0:0/96,
# 64:ff9b::/96, 2002::/16 and Teredo (2001::/32) never get here: the IPv4 address inside decides.
SPECIAL_IPV6: tuple[tuple[ipaddress.IPv6Network, str | None], ...] = (
    (_V6("::/0"), "a reserved address (outside IPv6's global unicast space)"),
    (_V6("2000::/3"), None),
    (_V6("::/128"), "an unspecified address"),
    (_V6("::1/128"), "a loopback address"),
    (_V6("64:ff9b:1::/48"), "a local-use NAT64 address"),
    (_V6("100::/64"), "a discard-only address"),
    (_V6("100:0:0:1::/64"), "a dummy address"),
    (_V6("2001::/23"), "an IETF protocol assignment address"),
    (_V6("2001:1::1/128"), _PCP),
    (_V6("2001:1::2/128"), _TURN),
    (_V6("2001:1::3/128"), "the DNS-SD service registration anycast address"),
    (_V6("2001:2::/48"), "a benchmarking address"),
    (_V6("2001:3::/32"), _AMT),
    (_V6("2001:4:112::/48"), _AS112),
    (_V6("2001:10::/28"), "an ORCHID identifier (not a network address)"),
    (_V6("2001:20::/28"), "an ORCHID identifier (not a network address)"),
    (_V6("2001:30::/28"), "a drone remote ID tag (not a network address)"),
    (_V6("2001:db8::/32"), "a documentation address"),
    (_V6("2620:4f:8000::/48"), _AS112),
    (_V6("3fff::/20"), "a documentation address"),
    (_V6("5f00::/16"), "an SRv6 segment identifier"),
    (_V6("fc00::/7"), "a unique-local address"),
    (_V6("fd00:ec2::254/128"), "a unique-local address (the cloud metadata service)"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fec0::/10"), "a site-local address (deprecated)"),
    (_V6("ff00::/8"), "a multicast address"),
)


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
        return _most_specific(address, SPECIAL_IPV6)
    return _most_specific(address, SPECIAL_IPV4)


def _most_specific(address: Address, table: Sequence[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str | None]]
                   ) -> str | None:
    prefix, reason = -1, None
    for network, why in table:
        if network.prefixlen > prefix and address in network:
            prefix, reason = network.prefixlen, why
    return reason


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


# How long a host name may take to resolve. getaddrinfo has no timeout of its own (the system resolver's
# timeouts and retries, per name server, add up to tens of seconds; an NSS module may hang for ever).
LOOKUP_DEADLINE_S = 10.0  # at a delivery, counted in its ANSWER_DEADLINE_S
REGISTRATION_LOOKUP_S = 5.0  # at `townhall webhooks add` (possibly in an HTTP request): then accepted unchecked
MAX_PENDING_LOOKUPS = 16  # abandoned lookups still running: beyond that, give up without starting another
_LOOKUP_THREAD = "townhall-webhook-dns"

Resolver = Callable[[str, int], Sequence[tuple[Any, ...]]]


def system_resolver(host: str, port: int) -> Sequence[tuple[Any, ...]]:
    """The operating system's resolver: ``socket.getaddrinfo`` for stream sockets (looked up at each call)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


class _Lookup:
    """One resolver call in a daemon thread of its own, waited for at most a given time.

    A daemon thread per lookup, because a stuck getaddrinfo can be neither interrupted nor timed out: the
    thread is left to end when the resolver does, and must not hold the process's exit meanwhile (a
    ThreadPoolExecutor's workers are not daemons: they are joined at exit). There is one lookup per delivery
    attempt or registration, so a thread each costs little, and none is kept between them (no state at module
    level); MAX_PENDING_LOOKUPS bounds those left running.
    Whatever the resolver returns or raises is kept on this object, never raised in its thread: an abandoned
    lookup ends silently, whenever it ends."""

    def __init__(self, resolver: Resolver, host: str, port: int) -> None:
        self._done = threading.Event()
        self._infos: Sequence[tuple[Any, ...]] = ()
        self._error: BaseException | None = None
        threading.Thread(target=self._run, args=(resolver, host, port), daemon=True,
                         name=f"{_LOOKUP_THREAD} {host}").start()

    def _run(self, resolver: Resolver, host: str, port: int) -> None:
        try:
            self._infos = resolver(host, port)
        except BaseException as exc:  # noqa: BLE001 - kept for the caller, who may have gone
            self._error = exc
        finally:
            self._done.set()

    def result(self, within: float) -> Sequence[tuple[Any, ...]] | None:
        """The resolver's answer (or its exception, raised here); None when it has not answered within ``within`` s."""
        if not self._done.wait(max(within, 0.0)):
            return None
        if self._error is not None:
            raise self._error
        return self._infos


def _pending_lookups() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name.startswith(_LOOKUP_THREAD))


def resolve(host: str, port: int, *, within: float = LOOKUP_DEADLINE_S,
            resolver: Resolver = system_resolver) -> list[Address]:
    """Every address of ``host`` in the resolver's order of preference, without repeats; Unresolvable when
    there is none, or when the resolver has not answered within ``within`` seconds (the lookup is then
    abandoned: see :class:`_Lookup`). ``resolver`` stands for the operating system's (tests pass a slow one)."""
    found = literal(host)
    if found is not None:
        return [found]
    if _pending_lookups() >= MAX_PENDING_LOOKUPS:
        raise Unresolvable(f"cannot resolve {host}: {MAX_PENDING_LOOKUPS} earlier DNS lookups have not ended yet")
    try:
        infos = _Lookup(resolver, host, port).result(within)
    except (OSError, ValueError) as exc:  # socket.gaierror is an OSError; a bad IDNA name a ValueError
        raise Unresolvable(f"cannot resolve {host}: {exc}") from exc
    if infos is None:
        raise Unresolvable(f"{host} did not resolve within {within:.3g} s")
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


def vet(url: httpx.URL, *, allow_private: bool, within: float = LOOKUP_DEADLINE_S,
        resolver: Resolver = system_resolver) -> list[Address]:
    """Resolve the URL's host (within ``within`` seconds) and check every address; the addresses, or Refused /
    Unresolvable."""
    host = url.raw_host.decode("ascii")
    addresses = resolve(host, url.port or (443 if url.scheme == "https" else 80), within=within, resolver=resolver)
    if allow_private:
        return addresses
    for address in addresses:
        reason = blocked_reason(address)
        if reason is not None:
            named = f"{url.host} is" if literal(host) is not None else f"{url.host} resolves to {address}, which is"
            raise Refused(f"{named} {reason}; webhooks to the server's own network are refused "
                          f"unless the setting {SETTING} is on (TOWNHALL_{SETTING.upper()}=true)")
    return addresses


def check_registration(parsed: httpx.URL, *, allow_private: bool, resolver: Resolver = system_resolver) -> None:
    """At ``townhall webhooks add``, for a URL :func:`parse` read: Refused for a private literal or a name with
    any private address. A name that does not resolve now, or not within REGISTRATION_LOOKUP_S, is accepted:
    every delivery checks it again. With private addresses allowed there is nothing to check."""
    if allow_private:
        return
    try:
        vet(parsed, allow_private=False, within=REGISTRATION_LOOKUP_S, resolver=resolver)
    except Unresolvable:
        return


# What a delivery reads of the receiver's answer: only its status matters (and a redirect's Location). An
# endless body (memory), or headers or a body sent a byte at a time (each read within the timeout, the whole
# never ending: the process's job runner stuck) must not be read to its end: the whole exchange (the DNS lookup,
# connecting, TLS, sending, the answer's headers and what is read of its body) has one deadline.
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
         allow_private: bool, resolver: Resolver = system_resolver) -> httpx.Response:
    """POST to ``url``, connecting only to addresses checked here (see the module's docstring).

    Only the answer's status and headers and at most MAX_ANSWER_BYTES of its body are read, and the whole
    exchange (the DNS lookup — at most LOOKUP_DEADLINE_S of it —, every address tried, TLS, the request, the
    answer's headers and body) ends within ANSWER_DEADLINE_S. Raises Refused (sending cannot become allowed by
    retrying), Unresolvable (also for a lookup that took too long), or httpx.HTTPError (an
    httpx.TimeoutException for an exchange that takes longer)."""
    deadline = _Deadline(ANSWER_DEADLINE_S)
    target = parse(url)
    addresses = vet(target, allow_private=allow_private, within=deadline.left(LOOKUP_DEADLINE_S, Unresolvable),
                    resolver=resolver)
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
