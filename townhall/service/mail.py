"""E-mail through SMTP (the ``smtp_url`` setting): opt-in reply notifications for readers, sanction and
appeal notices, and the moderators' digest of waiting queues. Messages are rendered from Jinja2
templates (``mail_templates/``) when the job runs, so a queued message never holds an address: an erased
or unsubscribed reader gets nothing. What a message tells is checked then too: a sanction lifted or over by
then is not announced, and a reader banned by then is not told of replies. Every message is marked
``Auto-Submitted: auto-generated`` (RFC 3834), so that vacation responders do not answer it.

Every reply notification carries an unsubscribe link with a signed token that works without signing in, and
the RFC 8058 ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers. Opening the link changes nothing
(:func:`unsubscribe_preview`: a mail scanner that follows every link must not unsubscribe anyone); a POST with
its token does it (:func:`unsubscribe`). A token names one account, the address it was mailed to and one kind
of e-mail, and does not expire (SECURITY.md says why).
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import hmac
import logging
import smtplib
import ssl
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any, Mapping
from urllib.parse import parse_qs, unquote, urlencode, urlparse

import jwt
from jinja2 import Environment, PackageLoader, StrictUndefined

from townhall.service import enforcement
from townhall.service.article_urls import absolute_article_url, article_title, site_origins
from townhall.service.core import Services, as_utc, plain_address
from townhall.service.errors import Invalid, NotFound, no_such_site
from townhall.service.identity import Identity
from townhall.service.jobs import Job, JobQueue, PermanentError
from townhall.store import content, ignores, moderation, people, prefs
from townhall.store import dashboard as store_dashboard
from townhall.store.schema import ActionKind, ActorKind, AppealState, CommentStatus, FlagState

log = logging.getLogger("townhall.mail")
JOB_KIND = "mail.send"
UNSUBSCRIBE_PURPOSE = "unsubscribe"
MAX_ACCOUNT_DIGITS = 18  # an account id in a token: an int64


class MailTopic(StrEnum):
    """A kind of e-mail a reader can stop with the link in it. Sanction and appeal notices are about the
    reader's own account, and the moderators' digest goes to moderators: they carry no unsubscribe link."""

    REPLIES = "replies"


@dataclass(frozen=True, slots=True)
class Unsubscription:
    """What an unsubscribe link stands for, as things are now: one kind of e-mail (``topic``) from one site to
    one account's address. ``address`` is that address, named only when the link was made for the address the
    account has now (never another one it has since); ``receiving`` whether it gets this kind of e-mail now."""

    topic: MailTopic
    site_name: str
    address: str | None
    receiving: bool


def _templates() -> Environment:
    return Environment(loader=PackageLoader("townhall.service", "mail_templates"), autoescape=False,
                       undefined=StrictUndefined, keep_trailing_newline=True)


def enabled(svc: Services) -> bool:
    return bool(svc.settings.smtp_url)


def base_url(svc: Services) -> str:
    return (svc.settings.public_url or "http://localhost:8000").rstrip("/")


# --- sending -----------------------------------------------------------------------------------------
NOT_CONFIGURED = "e-mail is not configured: set smtp_url (TOWNHALL_SMTP_URL=smtp://host:port, or smtps://user:password@host:port)"


class _MailPolicy(email.policy.EmailPolicy):
    """SMTP's policy (CRLF, lines of at most 78 characters), except for the headers that hold an unsubscribe link:
    they are written on one line of up to SMTP's limit, 998 (folded, a link as long as a token would become RFC 2047
    encoded words, which List-Unsubscribe does not allow: RFC 2369). Every other header keeps 78, so that a subject
    with non-ASCII characters is written in encoded words of at most 75 characters (RFC 2047 section 2), which a
    998-character limit for all headers made one word of any length."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() in _ONE_LINE_HEADERS:
            return _ONE_LINE.fold(name, value)
        if name.lower() == "subject" and not str(value).isascii():
            # Python 3.11's folder drops the space between two encoded words it splits a subject into ("Żółć
            # Straße" comes out "ŻółćStraße"); the older encoder keeps it inside the words (of at most 75 characters)
            return f"{name}: {Header(str(value), 'utf-8', 76, name).encode(linesep=self.linesep)}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in _ONE_LINE_HEADERS or name.lower() == "subject" and not str(value).isascii():
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


_ONE_LINE_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post"})
_ONE_LINE = email.policy.SMTP.clone(max_line_length=998)
_POLICY = _MailPolicy(linesep="\r\n")


def send(svc: Services, to: list[str], subject: str, text: str, headers: dict[str, str] | None = None) -> None:
    """Send one plain-text message now (raises on SMTP errors)."""
    if not svc.settings.smtp_url:
        raise PermanentError(NOT_CONFIGURED)
    url = urlparse(svc.settings.smtp_url)
    if url.scheme not in ("smtp", "smtps"):
        raise PermanentError(f"smtp_url must start with smtp:// or smtps://, not {svc.settings.smtp_url!r}")
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = formataddr(("Townhall", svc.settings.mail_from))
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=svc.settings.mail_from.rpartition("@")[2] or "townhall")
    msg["Date"] = format_datetime(datetime.now(UTC))  # required (RFC 5322); when it is sent, in UTC ("+0000")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation responder or other automaton answers it
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(text)
    options = parse_qs(url.query)
    port = url.port or (465 if url.scheme == "smtps" else 25)
    if url.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(url.hostname or "localhost", port, timeout=30, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(url.hostname or "localhost", port, timeout=30)
    with client:
        if url.scheme == "smtp" and options.get("starttls", ["0"])[0] in ("1", "true", "yes"):
            client.starttls(context=ssl.create_default_context())
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(msg)


def send_job(svc: Services, job: Job) -> None:
    """Job handler: render the message named by the job and send it (nothing when there is no one to tell)."""
    if not enabled(svc):
        raise PermanentError("e-mail is not configured (smtp_url)")
    kind = job.payload.get("template")
    with svc.db.read() as conn:
        built = _BUILDERS[kind](svc, conn, job.payload) if kind in _BUILDERS else None
    if kind not in _BUILDERS:
        raise PermanentError(f"unknown message {kind!r}")
    if built is None:
        return
    to, subject, text, headers = built
    send(svc, to, subject, text, headers)


# --- messages ----------------------------------------------------------------------------------------
Built = tuple[list[str], str, str, dict[str, str]] | None


def _address_tag(svc: Services, address: str) -> str:
    """The address an unsubscribe token was made for, as a keyed hash: the token travels in URLs (proxy and
    scanner logs), and an address hashed without a key could be confirmed by anyone who guesses it."""
    digest = hmac.new(svc.secret.encode(), b"unsubscribe-address\0" + address.strip().lower().encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def unsubscribe_token(svc: Services, account_id: int, address: str, topic: MailTopic = MailTopic.REPLIES) -> str:
    """A signed token that stops ``topic`` e-mails to ``address`` of ``account_id`` (and nothing else). No expiry."""
    claims = {"sub": str(account_id), "purpose": UNSUBSCRIBE_PURPOSE, "topic": topic.value, "to": _address_tag(svc, address)}
    return jwt.encode(claims, svc.secret, algorithm="HS256")


def unsubscribe_url(svc: Services, account_id: int, address: str, topic: MailTopic = MailTopic.REPLIES) -> str:
    return f"{base_url(svc)}/unsubscribe?{urlencode({'token': unsubscribe_token(svc, account_id, address, topic)})}"


def _address(reader: Any) -> str | None:
    """Where a reader's e-mail may go: an address a sign-in vouched for. An imported account's address (subject
    ``import:…``) was typed into another system's comment form and confirmed by no one: it is kept only so that
    its owner can claim the history, and is never mailed (a ban of an imported spammer must not mail whoever
    the address belongs to)."""
    if reader is None or not reader["email"] or str(reader["subject"]).startswith("import:"):
        return None
    return str(reader["email"]) if plain_address(str(reader["email"])) else None  # one recipient, never two


def _reply(svc: Services, conn: Any, payload: dict[str, Any]) -> Built:
    reply = content.get_comment(conn, int(payload["comment_id"]))
    if reply is None or reply["status"] != CommentStatus.PUBLISHED.value or reply["parent_id"] is None:
        return None
    parent = content.get_comment(conn, int(reply["parent_id"]))
    if parent is None or parent["account_id"] == reply["account_id"] or parent["status"] != CommentStatus.PUBLISHED.value:
        return None
    reader = people.get_account(conn, int(parent["account_id"]))
    author = people.get_account(conn, int(reply["account_id"]))
    if reader is None or author is None or not _address(reader) or not prefs.wants_replies(conn, int(reader["id"])):
        return None
    if int(author["id"]) in ignores.hidden_authors(conn, int(reader["id"])):
        return None  # the reader chose not to see this author's comments: their inbox does not show them either
    if _banned(svc, conn, int(reader["id"])):
        log.info("reply notification for comment %s not sent: account %s is banned", reply["id"], reader["id"])
        return None
    thread = content.get_thread_by_id(conn, int(reply["thread_id"]))
    site = content.get_site(conn, reader["site_id"])
    link = unsubscribe_url(svc, int(reader["id"]), str(reader["email"]), MailTopic.REPLIES)
    # The article's address and title are the thread's first commenter's text: the address is linked only where a
    # page may link it (an http(s) address on the site's origins, or a path made absolute on the first of them),
    # and the title is one line, so that neither can add a link or a line that reads like Townhall's own.
    text = _templates().get_template("reply.txt").render(
        name=reader["display_name"], author=author["display_name"], reply=reply["body"], original=parent["body"],
        thread_title=article_title(thread["title"]) if thread else None,
        thread_url=absolute_article_url(thread["url"], site_origins(site)) if thread else None,
        site_name=site["name"] if site else "Townhall", unsubscribe_url=link)
    headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return [reader["email"]], f"{author['display_name']} replied to your comment", text, headers


def _banned(svc: Services, conn: Any, account_id: int) -> bool:
    """Whether a ban is in force on the account as the job runs (queued before the ban or not): a banned reader
    takes no part any more, and news of replies would only invite them back under another name. A suspended
    reader is still told: they come back."""
    return enforcement.sanction_in_force(moderation.actions_for(conn, account_id), svc, ActionKind.BAN) is not None


def _sanction(svc: Services, conn: Any, payload: dict[str, Any]) -> Built:
    reader = people.get_account(conn, int(payload["account_id"]))
    action = moderation.get_action(conn, int(payload["action_id"]))
    if reader is None or action is None or not _address(reader):
        return None
    if not enforcement.still_in_force(svc, action):
        log.info("sanction notice for action %s (%s) not sent: lifted or over before it could be", action["id"],
                 action["kind"])
        return None
    site = content.get_site(conn, reader["site_id"])
    verb = {"warn": "warned", "suspend": "suspended", "ban": "banned"}.get(action["kind"], action["kind"])
    text = _templates().get_template("sanction.txt").render(
        name=reader["display_name"], site_name=site["name"] if site else "Townhall", verb=verb, reason=action["reason"],
        until=_utc_text(action["ends_at"]),
        appeal_url=f"{base_url(svc)}/api/v1/me/actions/{action['id']}/appeal")
    return [reader["email"]], f"Your account on {site['name'] if site else 'Townhall'} was {verb}", text, {}


def _appeal(svc: Services, conn: Any, payload: dict[str, Any]) -> Built:
    row = moderation.get_appeal(conn, int(payload["appeal_id"]))
    reader = people.get_account(conn, int(row["account_id"])) if row is not None else None
    if row is None or reader is None or not _address(reader) or row["state"] == AppealState.OPEN.value:
        return None
    site = content.get_site(conn, reader["site_id"])
    moot = row["state"] == AppealState.MOOT.value  # the action was lifted before anyone answered
    action = moderation.get_action(conn, int(row["action_id"]))
    text = _templates().get_template("appeal_decided.txt").render(
        name=reader["display_name"], site_name=site["name"] if site else "Townhall", moot=moot,
        what=_APPEALED.get(action["kind"], "action") if action is not None else "action",
        reversed=row["state"] == AppealState.REVERSED.value, response=row["response"] or "")
    return [reader["email"]], "Your appeal was closed" if moot else "Your appeal was decided", text, {}


_APPEALED = {"strike": "strike", "warn": "warning", "suspend": "suspension", "ban": "ban",
             "premoderate": "review of your comments"}  # an action, as the e-mail on its appeal names it


def _utc_text(value: Any) -> str | None:
    stamp = as_utc(value)
    return stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if stamp is not None else None


_BUILDERS = {"reply": _reply, "sanction": _sanction, "appeal_decided": _appeal}


def listener(svc: Services, queue: JobQueue) -> Any:
    """A ``svc.listeners`` entry: queue the e-mails an event calls for (only when e-mail is configured)."""

    def on_event(event: str, site_id: str, payload: dict[str, Any]) -> None:
        if not enabled(svc):
            return
        try:
            # a reply published when posted, or held or refused and published later (the same data)
            if event in ("comment.created", "comment.published") and payload.get("comment", {}).get("parent_id"):
                queue.enqueue(JOB_KIND, {"template": "reply", "comment_id": payload["comment"]["id"]})
            elif event == "account.sanctioned":
                queue.enqueue(JOB_KIND, {"template": "sanction", "account_id": payload["account_id"], "action_id": payload["action_id"]})
            elif event == "appeal.decided":
                queue.enqueue(JOB_KIND, {"template": "appeal_decided", "appeal_id": payload["appeal_id"]})
        except Exception:  # noqa: BLE001 - e-mail trouble must not fail the reader's request
            log.exception("could not queue e-mail for %s", event)

    return on_event


# --- readers' preferences ------------------------------------------------------------------------------
def notification_settings(svc: Services, ident: Identity) -> dict[str, Any]:
    with svc.db.read() as conn:
        account = people.get_account(conn, ident.account_id)
        if account is None:
            raise NotFound("No such account.")
        return {"replies": prefs.wants_replies(conn, ident.account_id), "email_known": bool(account["email"]),
                "email_enabled": enabled(svc)}


def set_reply_notifications(svc: Services, ident: Identity, on: bool) -> dict[str, Any]:
    with svc.db.write() as conn:
        # locked: the same choice sent twice at once (a double click) is stored and audited once; on PostgreSQL both
        # would find no row and both insert one (the second a primary-key violation)
        account = people.get_account(conn, ident.account_id, for_update=True)
        if account is None:
            raise NotFound("No such account.")
        if on and not account["email"]:
            raise Invalid("We have no e-mail address for you: the site's sign-in did not share one it has verified.", {"field": "replies"})
        if prefs.wants_replies(conn, ident.account_id) != on:
            prefs.set_replies(conn, ident.account_id, on, svc.now())
            _audit_preference(svc, conn, account, MailTopic.REPLIES, on=on, via="settings")
    return notification_settings(svc, ident)


def _audit_preference(svc: Services, conn: Any, account: Mapping[str, Any], topic: MailTopic, *, on: bool,
                      via: str) -> None:
    """A reader's consent to a kind of e-mail, given or withdrawn, in the audit log: who, which, how (their
    settings, or an unsubscribe link) and when, so the site can show when a reader stopped its mail."""
    svc.audit(conn, action="account.mail_subscribed" if on else "account.mail_unsubscribed", subject_type="account",
              subject_id=account["id"], actor_kind=ActorKind.READER.value, actor=f"account:{account['id']}",
              site_id=account["site_id"], details={"topic": topic.value, "via": via})


def _unsubscribe_claims(svc: Services, token: str) -> tuple[int, MailTopic, str | None]:
    """The account, kind of e-mail and address tag a token names (raises Invalid for any other token). A token
    made before tokens named their address (no ``to``) still works, for the account it names."""
    invalid = "This unsubscribe link is not valid."
    try:
        claims = jwt.decode(token, svc.secret, algorithms=["HS256"], options={"require": ["sub"]})
    except jwt.PyJWTError as exc:
        raise Invalid(invalid) from exc
    sub, topic, tag = claims.get("sub"), claims.get("topic"), claims.get("to")
    if (claims.get("purpose") != UNSUBSCRIBE_PURPOSE or topic not in tuple(MailTopic) or not isinstance(sub, str)
            or not sub.isascii() or not sub.isdigit() or len(sub) > MAX_ACCOUNT_DIGITS
            or not (tag is None or isinstance(tag, str))):
        raise Invalid(invalid)
    return int(sub), MailTopic(topic), tag


def _receives(conn: Any, account_id: int, topic: MailTopic) -> bool:
    match topic:
        case MailTopic.REPLIES:
            return prefs.wants_replies(conn, account_id)


def _stop(conn: Any, account_id: int, topic: MailTopic, now: datetime) -> None:
    match topic:
        case MailTopic.REPLIES:
            prefs.set_replies(conn, account_id, False, now)


def _unsubscription(svc: Services, conn: Any, account_id: int, topic: MailTopic, tag: str | None) -> Unsubscription:
    account = people.get_account(conn, account_id)
    address = _address(account)  # None: erased, imported, or no address: no e-mail goes to this account
    site = content.get_site(conn, account["site_id"]) if account is not None else None
    # The link stands for the address it was mailed to: once the account has another one, the old address gets
    # nothing from this site, and its link neither stops e-mail to the new one nor names it.
    same = address is not None and (tag is None or hmac.compare_digest(tag, _address_tag(svc, address)))
    return Unsubscription(topic=topic, site_name=str(site["name"]) if site is not None else "Townhall",
                          address=address if same and tag is not None else None,
                          receiving=same and _receives(conn, account_id, topic))


def unsubscribe_preview(svc: Services, token: str) -> Unsubscription:
    """What a token would stop, changing nothing: for the page a GET of the link shows."""
    account_id, topic, tag = _unsubscribe_claims(svc, token)
    with svc.db.read() as conn:
        return _unsubscription(svc, conn, account_id, topic, tag)


def unsubscribe(svc: Services, token: str) -> Unsubscription:
    """Stop the kind of e-mail a token names, to the address it was made for. Idempotent: a token whose address
    gets none of it already (unsubscribed, erased, or an address the account has since changed) changes nothing."""
    account_id, topic, tag = _unsubscribe_claims(svc, token)
    with svc.db.write() as conn:
        found = _unsubscription(svc, conn, account_id, topic, tag)
        if found.receiving:
            _stop(conn, account_id, topic, svc.now())
            account = people.get_account(conn, account_id)
            assert account is not None  # receiving: the account has an address
            _audit_preference(svc, conn, account, topic, on=False, via="unsubscribe_link")
    return replace(found, receiving=False)


# --- moderators' digest --------------------------------------------------------------------------------
def digest(svc: Services, site_id: str, *, to: list[str] | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Tell a site's moderators what is waiting. Recipients: ``to``, else the site's moderator users."""
    with svc.db.read() as conn:
        site = content.get_site(conn, site_id)
        if site is None:
            raise no_such_site(site_id)
        threshold = svc.policies.for_site(site).settings.reports.threshold
        counts = {
            "held": content.count_by_status(conn, site_id, CommentStatus.HELD),
            "reported": len(store_dashboard.reported_comments(conn, site_id, min_weight=threshold, limit=10_000)),
            "appeals": len(moderation.list_appeals(conn, site_id, state=AppealState.OPEN, limit=10_000)),
            "flags": len(moderation.list_flags(conn, site_id, state=FlagState.OPEN, limit=10_000)),
        }
        recipients = to or [m["email"] for m in people.list_moderators(conn)
                            if m["role"] == "admin" or site_id in (m["sites"] or [])]
    text = _templates().get_template("digest.txt").render(site=site_id, site_name=site["name"], counts=counts,
                                                        dashboard_url=f"{base_url(svc)}/admin")
    waiting = sum(counts.values())
    if not dry_run and recipients and waiting:
        send(svc, recipients, f"{waiting} item(s) waiting for the moderators of {site['name']}", text)
    return {"site": site_id, "counts": counts, "recipients": recipients, "sent": bool(not dry_run and recipients and waiting),
            "text": text}
