"""Who is acting: a reader (through SSO or as a guest) or a moderator, and what they may touch."""

from __future__ import annotations

from dataclasses import dataclass

from townhall.service.errors import Forbidden
from townhall.store.schema import ActorKind, Role


@dataclass(frozen=True, slots=True)
class Identity:
    """A reader or moderator signed in through the site's SSO, or a guest; always has an account."""

    account_id: int
    site_id: str
    subject: str
    name: str
    role: Role = Role.READER
    supporter: bool = False
    guest: bool = False

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone performing a moderation action. ``sites`` is None for installation admins (all sites)."""

    kind: ActorKind
    id: str
    role: Role
    sites: frozenset[str] | None

    def can_moderate(self, site_id: str) -> bool:
        if self.role not in (Role.MODERATOR, Role.ADMIN):
            return False
        return self.sites is None or site_id in self.sites

    def require_site(self, site_id: str) -> None:
        if not self.can_moderate(site_id):
            raise Forbidden("You do not moderate this site.", {"site": site_id})

    @classmethod
    def from_identity(cls, ident: Identity) -> Actor:
        return cls(ActorKind.MODERATOR, f"sso:{ident.site_id}:{ident.subject}", ident.role, frozenset({ident.site_id}))

    @classmethod
    def policy(cls) -> Actor:
        return cls(ActorKind.POLICY, "policy", Role.ADMIN, None)

    @classmethod
    def cli(cls) -> Actor:
        """The operator at the command line: an installation admin."""
        return cls(ActorKind.SYSTEM, "cli", Role.ADMIN, None)
