"""Abuse signals without personal data: IP prefixes, user agents and device ids become salted hashes.

IP addresses are cut to a prefix (/24 for IPv4, /48 for IPv6) and hashed with a salt derived from the
installation secret and the current rotation period, so hashes stop matching after the period ends and a
raw address is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import datetime


class SignalHasher:
    def __init__(self, secret: str, rotation_days: float) -> None:
        self._secret = secret.encode()
        self._rotation_seconds = max(rotation_days, 0.001) * 86400

    def _salt(self, now: datetime) -> bytes:
        period = int(now.timestamp() // self._rotation_seconds)
        return hmac.new(self._secret, f"salt:{period}".encode(), hashlib.sha256).digest()

    def _hash(self, kind: str, value: str, salt: bytes) -> str:
        return hmac.new(salt, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]

    def ip_prefix(self, ip: str | None, now: datetime) -> str | None:
        if not ip:
            return None
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return None
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            # An IPv4 reader of a dual-stack server (::ffff:a.b.c.d): its /48 would be ::/48, one prefix
            # for every IPv4 reader (one rate-limit budget, one "network" for ban-evasion evidence).
            addr = addr.ipv4_mapped
        prefix = 24 if addr.version == 4 else 48
        net = ipaddress.ip_network(f"{addr}/{prefix}", strict=False)
        return self._hash("ip", str(net), self._salt(now))

    def user_agent(self, ua: str | None, now: datetime) -> str | None:
        return self._hash("ua", ua[:500], self._salt(now)) if ua else None

    def device(self, device_id: str | None) -> str | None:
        """Device ids arrive already hashed by the widget; we hash again with the installation secret
        (not rotated: evasion evidence must survive a rotation)."""
        if not device_id:
            return None
        return hmac.new(self._secret, f"device:{device_id[:200]}".encode(), hashlib.sha256).hexdigest()[:32]
