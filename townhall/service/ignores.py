"""A reader's ignore list (Coral's "Ignore user", Disqus's "Block user"): the readers whose comments they chose
not to see.

* Who: any reader with an account on the site, signed in through the publisher or as a guest (a guest already
  likes and reports comments; being pestered is no different for them). A guest adds to the list only while the
  site allows guests, as for reactions and reports (``403 guests_not_allowed``); reading it and taking names off
  it always work.
* Whom: another reader of the same site whose writing readers are shown: an author with a published comment
  (one already on the list stays there, and can be taken off, whatever became of their comments). Not oneself,
  not a moderator or admin (the staff's comments are how a site speaks to its readers: as in Coral, they cannot
  be ignored), not an account of another site, nor one that never had a comment shown, nor an erased one
  (``404``, as for an unknown one: the answer names the reader, and an account id is no way to learn the names
  of readers who never wrote anything public). At most
  :data:`MAX_IGNORED`.
* An account made a moderator or admin after a reader ignored it (the role is the account's, as the
  publisher's sign-in token last gave it: townhall.service.accounts) is neither hidden nor listed: the thread's
  pages, reply pages and featured list show its comments (townhall.store.ignores.HIDDEN), ``GET /me/ignored``
  leaves it out and it takes no place under :data:`MAX_IGNORED` — so the widget, which hides live comments of
  the authors that list names, shows its comments too. The row is kept (the reader's own export still has it):
  should the role be taken away again, the reader's choice holds again. ``DELETE`` takes it off as any other.
* An imported account joining a reader's (townhall.service.importing, a claim by e-mail address): the readers
  who ignored it now ignore the reader it joined, and its own list (if any) joins that reader's, without
  duplicates (the earlier time is kept), without a row naming its own reader (dropped), and at most
  :data:`MAX_IGNORED` readers (the newest kept) — townhall.store.ignores.merge_account.
* Private: nothing is audited or announced, and neither the ignored reader nor the moderators are shown it;
  the reader's own export has it (townhall.service.privacy), and an erasure of either account removes the row.
* Where it applies: the thread's listing, its reply pages and its featured list, built for the signed-in reader
  (never cached; signed-out readers' cached pages do not change): a comment of an ignored author is left out,
  or, while a reply keeps its place under it, listed as a placeholder (``"ignored": true``, no text, no author),
  like a tombstone (townhall.service.threads). The live stream is one per thread and does not know its reader:
  ``comment.published`` carries ``author_id``, and the widget does not announce those of ignored authors.
"""

from __future__ import annotations

from typing import Any, Mapping

from townhall.service.accounts import require_guests_allowed
from townhall.service.core import Services, as_utc
from townhall.service.enforcement import ERASED_PREFIX, SANCTIONED_PREFIX
from townhall.service.errors import Invalid, NotFound, Unauthenticated, no_such_site
from townhall.service.identity import Identity
from townhall.store import content, ignores, people
from townhall.store.schema import Role

MAX_IGNORED = 1_000
STAFF = (Role.MODERATOR.value, Role.ADMIN.value)


def list_ignored(svc: Services, ident: Identity) -> dict[str, Any]:
    """The readers ``ident`` ignores, the latest first: ``{"ignored": [{"id", "name", "since"}], "limit"}``."""
    with svc.db.read() as conn:  # not the staff: never hidden, so not listed (nor counted)
        rows = ignores.list_ignored(conn, ident.account_id, readers_only=True)
    return {"ignored": [{"id": int(r["ignored_id"]), "name": r["display_name"], "since": as_utc(r["created_at"]).isoformat()}
                        for r in rows], "limit": MAX_IGNORED}


def _target(conn: Any, ident: Identity, account_id: int) -> Mapping[str, Any]:
    target = people.get_account(conn, account_id)
    if target is None or target["site_id"] != ident.site_id:  # another site's account is no business of this one
        raise NotFound("No such reader.", {"account_id": account_id})
    return target


def _erased(account: Mapping[str, Any]) -> bool:
    return str(account["subject"]).startswith((ERASED_PREFIX, SANCTIONED_PREFIX))


def ignore(svc: Services, ident: Identity, account_id: int) -> dict[str, Any]:
    """Ignore a reader; ignoring one already ignored changes nothing (and is no error, even with a full list)."""
    with svc.db.write() as conn:
        site = content.get_site(conn, ident.site_id)
        if site is None:
            raise no_such_site(ident.site_id)
        require_guests_allowed(site, ident)
        # both rows locked, in id order (two readers ignoring each other at once do not deadlock): two requests of
        # the reader's count the list one after the other, and an erasure of either account (which locks its row)
        # is not followed by a row naming it
        locked = {i: people.get_account(conn, i, for_update=True) for i in sorted({ident.account_id, account_id})}
        me = locked[ident.account_id]
        if me is None or _erased(me):  # erased while this request was on its way
            raise Unauthenticated("This account was erased; sign in again to take part as a new reader.")
        target = _target(conn, ident, account_id)
        if _erased(target):  # anonymised comments stay published: the account is no one's any more
            raise NotFound("No such reader.", {"account_id": account_id})
        if account_id == ident.account_id:
            raise Invalid("You cannot ignore yourself.", {"account_id": account_id}, code="cannot_ignore_self")
        listed = ignores.is_ignored(conn, ident.account_id, account_id)
        if not listed and not ignores.has_published(conn, account_id):  # nothing of theirs was shown: not named
            raise NotFound("No such reader.", {"account_id": account_id})
        if target["role"] in STAFF:
            raise Invalid("Moderators cannot be ignored: their comments are how the site speaks to its readers.",
                          {"account_id": account_id}, code="cannot_ignore_moderator")
        if not listed:
            if ignores.count_ignored(conn, ident.account_id) >= MAX_IGNORED:
                raise Invalid(f"You ignore {MAX_IGNORED:,} readers, the most there can be. Stop ignoring someone first.",
                              {"limit": MAX_IGNORED}, code="ignore_list_full")
            ignores.add(conn, ident.account_id, account_id, svc.now())
    return {"account_id": account_id, "name": target["display_name"], "ignored": True}


def unignore(svc: Services, ident: Identity, account_id: int) -> None:
    """Stop ignoring a reader (one not ignored: nothing changes)."""
    with svc.db.write() as conn:
        _target(conn, ident, account_id)
        ignores.remove(conn, ident.account_id, account_id)
