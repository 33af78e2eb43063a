"""Queries for accounts, local moderator users and the key-value meta table."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from townhall.store.schema import accounts, comments, insert_row, meta, moderators, sites

Row = RowMapping


def site_meta_key(site_id: str, name: str) -> str:
    """Where a site's own setting lives in ``meta`` (``site:<id>:<name>``); a Townhall export carries them."""
    return f"site:{site_id}:{name}"


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()


def put_meta_if_absent(conn: Connection, key: str, value: str) -> str:
    """Store ``value`` unless the key exists; return the stored value (first writer wins)."""
    current = get_meta(conn, key)
    if current is not None:
        return current
    conn.execute(insert(meta).values(key=key, value=value))
    return value


# Built once with bound parameters (see store/content.py): asked on every post and sign-in.
_ACCOUNT = select(accounts).where(accounts.c.id == bindparam("account_id"))
_ACCOUNT_BY_SUBJECT = select(accounts).where(accounts.c.site_id == bindparam("site_id"), accounts.c.subject == bindparam("subject"))


def get_account(conn: Connection, account_id: int, *, for_update: bool = False) -> Row | None:
    """One account; ``for_update`` locks its row until the transaction ends (PostgreSQL; SQLite's write
    transactions are already exclusive), so that two moderators' sanctions are settled one after the other.

    Lock order (PostgreSQL): a transaction that writes both an account and one of its comments locks the
    **account first, then the comment** (an ``UPDATE`` of a comment, and an ``INSERT`` that references one,
    lock its row too). Two transactions that took them in opposite orders would deadlock, and PostgreSQL
    kills one of them (a 500): a reader's edit (its account, then the comment) against a moderator's decision
    on it. A path that starts from a comment locks its author with :func:`townhall.store.content.lock_comment`;
    tests/enforcement/test_lock_order.py races the paths that lock both. Accounts among themselves are
    locked in **ascending id** order (:func:`lock_accounts`): a ban carried to the same person's accounts on
    other sites (``ban_scope = "installation"``), or lifted there, locks all of them first
    (:func:`lock_person`), so two such bans at once, one from each site, queue
    instead of deadlocking (tests/enforcement/test_lock_busy.py). A deadlock PostgreSQL breaks all the same is
    answered 503 ``busy`` (``DatabaseBusy`` in :mod:`townhall.store.db`), to be sent again."""
    q = _ACCOUNT.with_for_update() if for_update and conn.dialect.name != "sqlite" else _ACCOUNT
    return conn.execute(q, {"account_id": account_id}).mappings().first()


def lock_accounts(conn: Connection, ids: Iterable[int]) -> dict[int, Row]:
    """Lock accounts one by one in ascending id order (the lock order among accounts, :func:`get_account`);
    returns those that exist, read under their locks. Every transaction that locks several accounts takes
    them in this order, so two of them wait for each other instead of each holding what the other needs."""
    locked: dict[int, Row] = {}
    for account_id in sorted(set(ids)):
        row = get_account(conn, account_id, for_update=True)
        if row is not None:
            locked[account_id] = row
    return locked


def find_account(conn: Connection, site_id: str, subject: str) -> Row | None:
    return conn.execute(_ACCOUNT_BY_SUBJECT, {"site_id": site_id, "subject": subject}).mappings().first()


def insert_account(conn: Connection, **values: Any) -> int:
    return insert_row(conn, accounts, values)


def update_account(conn: Connection, account_id: int, **values: Any) -> None:
    conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))


def list_accounts(conn: Connection, site_id: str, *, states: Sequence[str] | None = None, limit: int = 200) -> list[Row]:
    q = select(accounts).where(accounts.c.site_id == site_id)
    if states:
        q = q.where(accounts.c.state.in_(list(states)))
    return list(conn.execute(q.order_by(accounts.c.id.desc()).limit(limit)).mappings())


def accounts_sharing_device(conn: Connection, site_id: str, device_hash: str, exclude: int) -> list[Row]:
    """Accounts of a site that posted from, or registered, the same hashed device id."""
    posted = select(comments.c.account_id).where(comments.c.device_hash == device_hash)
    q = select(accounts).where(
        accounts.c.site_id == site_id,
        accounts.c.id != exclude,
        or_(accounts.c.device_hash == device_hash, accounts.c.id.in_(posted)),
    )
    return list(conn.execute(q).mappings())


def accounts_sharing_ip(conn: Connection, site_id: str, ip_hash: str, since: datetime, exclude: int,
                        state: str | None = None) -> list[Row]:
    """Accounts of a site (in ``state``, if given) that posted from the same hashed network prefix since ``since``."""
    ids = select(comments.c.account_id).where(comments.c.ip_hash == ip_hash, comments.c.created_at >= since)
    q = select(accounts).where(accounts.c.site_id == site_id, accounts.c.id != exclude, accounts.c.id.in_(ids))
    if state is not None:
        q = q.where(accounts.c.state == state)
    return list(conn.execute(q).mappings())


def account_ids_on_ip(conn: Connection, site_id: str, ip_hash: str, since: datetime) -> list[int]:
    """The distinct accounts of a site that posted from the hashed network prefix since ``since`` (how shared
    the network is)."""
    q = (select(comments.c.account_id).distinct()
         .join(accounts, accounts.c.id == comments.c.account_id)
         .where(comments.c.ip_hash == ip_hash, comments.c.created_at >= since, accounts.c.site_id == site_id))
    return [int(i) for i in conn.execute(q).scalars()]


def get_moderator(conn: Connection, email: str) -> Row | None:
    return conn.execute(select(moderators).where(func.lower(moderators.c.email) == email.lower())).mappings().first()


def get_moderator_by_id(conn: Connection, moderator_id: int) -> Row | None:
    return conn.execute(select(moderators).where(moderators.c.id == moderator_id)).mappings().first()


def upsert_moderator(conn: Connection, *, email: str, password_hash: str, role: str, sites: list[str], now: datetime) -> int:
    """Insert a moderator, or set the password, role and sites of the one with this e-mail: one statement, so two
    saves of a new e-mail at once (a double click) make one moderator, not a unique-key error."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(moderators).values(email=email, password_hash=password_hash, role=role, sites=sites,
                                             created_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["email"], set_={"password_hash": password_hash, "role": role,
                                                                      "sites": sites})
    return int(conn.execute(stmt.returning(moderators.c.id)).scalar_one())


def list_moderators(conn: Connection) -> list[Row]:
    return list(conn.execute(select(moderators).order_by(moderators.c.id)).mappings())


def get_accounts(conn: Connection, ids: Sequence[int]) -> dict[int, Row]:
    if not ids:
        return {}
    rows = conn.execute(select(accounts).where(accounts.c.id.in_(list(ids)))).mappings()
    return {int(r["id"]): r for r in rows}


def site_has_banned(conn: Connection, site_id: str) -> bool:
    q = select(accounts.c.id).where(accounts.c.site_id == site_id, accounts.c.state == "banned").limit(1)
    return conn.execute(q).first() is not None


IMPORTED_PREFIX = "import:"  # an unclaimed account made by an archive import (lower case only, as at a claim)


def _imported(subject: Any) -> Any:
    return func.substr(subject, 1, len(IMPORTED_PREFIX)) == IMPORTED_PREFIX  # not LIKE, which ignores case on SQLite


def linked_accounts_elsewhere(conn: Connection, account: Row, *, any_sign_in: bool = False) -> list[Row]:
    """The same person's accounts on the installation's other sites that share this site's sign-in (tokens
    signed with the same secret): the same SSO subject, or the same address that sign-in vouched for. A
    subject or an address from another publisher's sign-in proves nothing here: that publisher could name
    anyone's address. Nor does an imported (unclaimed) account's address or subject, on either side: an
    archive's address was typed into another system's form and vouched for by no one, so an imported account
    links to nothing. ``any_sign_in``: on any site, imported accounts included (to find copies of a ban made
    before a site's secret changed, or before imported accounts stopped linking, when lifting it: only exact
    copies of the lifted ban are revoked)."""
    if not any_sign_in and str(account["subject"]).startswith(IMPORTED_PREFIX):
        return []
    own_secret = select(sites.c.sso_secret).where(sites.c.id == account["site_id"]).scalar_subquery()
    same = accounts.c.subject == account["subject"]
    if account["email"]:
        same = or_(same, func.lower(accounts.c.email) == str(account["email"]).lower())
    q = (select(accounts).join(sites, sites.c.id == accounts.c.site_id)
         .where(accounts.c.site_id != account["site_id"], accounts.c.guest.is_(False),
                same if any_sign_in else and_(sites.c.sso_secret == own_secret, ~_imported(accounts.c.subject), same)))
    return list(conn.execute(q).mappings())


_LOCK_TRIES = 5  # rounds of lock_people while the people's accounts keep changing under it


def _person(conn: Connection, account: Row) -> set[int]:
    """The ids of the account and of the same person's accounts elsewhere that a ban carried from it, or the
    lifting of one, may change (any sign-in: the lifting looks that wide)."""
    return {int(account["id"]), *(int(o["id"]) for o in linked_accounts_elsewhere(conn, account, any_sign_in=True))}


def lock_people(conn: Connection, account_ids: Iterable[int]) -> dict[int, Row]:
    """Lock the accounts and the same people's accounts on the installation's other sites, all in ascending id
    order (:func:`lock_accounts`), before any is changed; returns those of ``account_ids`` that exist, read under
    their locks.

    A ban carried to the other sites (``ban_scope = "installation"``), or lifted there, changes them all: had it
    locked its own account first and the others as it came to them, two moderators banning one person on two
    sites at once would each hold the account the other needs (a deadlock PostgreSQL breaks by rolling one back,
    503 ``busy``). The accounts are found before they are locked, so the search is made again under the locks:
    an account linked meanwhile (a first sign-in on another site, an address vouched for) would be locked out of
    order, so the locks are given back (a savepoint rolled back) and taken again over the larger set."""
    start = set(account_ids)
    want = set(start)
    for row in get_accounts(conn, list(start)).values():
        want |= _person(conn, row)
    for _ in range(_LOCK_TRIES):
        with conn.begin_nested() as attempt:
            locked = lock_accounts(conn, want)
            found = set().union(*(_person(conn, locked[i]) for i in start if i in locked))
            if found <= want:
                return {i: locked[i] for i in start if i in locked}
            want |= found
            attempt.rollback()
    locked = lock_accounts(conn, want)  # still in order; one linked later still waits for its turn
    return {i: locked[i] for i in start if i in locked}


def lock_person(conn: Connection, account_id: int) -> Row | None:
    """One account, locked with the same person's accounts on the installation's other sites (:func:`lock_people`)."""
    return lock_people(conn, [account_id]).get(account_id)
