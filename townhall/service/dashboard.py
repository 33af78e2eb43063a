"""What the moderators' dashboard shows: queue items in context, an account at a glance and in full,
and the house rules with a "try it" box. Decisions themselves go through moderation/enforcement/appeals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence, cast

from sqlalchemy import Connection

from townhall.service import moderation as svc_mod
from townhall.service.comments import check_thread_id
from townhall.service.core import Services, as_utc
from townhall.service.errors import Invalid, no_such_site
from townhall.service.identity import Actor
from townhall.service.moderators import other_deciders, own_appeal
from townhall.store import content, dashboard, moderation, people, stats
from townhall.store.schema import CommentStatus, FlagKind

PAGE = 50
COMMENT_QUEUES = ("held", "reported", "rejected")
QUEUE_TABS = ("held", "reported", "clusters", "appeals", "rejected")
RECENT_DAYS = 7  # "recent rejections": comments rejected (decided) in this many days, counted and listed alike


def recent_since(now: datetime) -> datetime:
    """Where the "recent rejections" window starts: the tab's count and its list both use it."""
    return now - timedelta(days=RECENT_DAYS)


def utc(value: Any) -> datetime:
    """A stored timestamp of a NOT NULL column as an aware UTC datetime."""
    out = as_utc(value)
    assert out is not None
    return out


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of a comment's characters; ``rules`` names the rules whose hit spans cover it."""

    text: str
    rules: tuple[str, ...] = ()


def highlight(text: str, hits: Sequence[Mapping[str, Any]]) -> list[Segment]:
    """Split ``text`` at the edges of the hits' spans (offsets into the original text, end exclusive)."""
    spans: list[tuple[int, int, str]] = []
    for hit in hits:
        span = hit.get("span")
        if span and len(span) == 2:
            start, end = max(0, int(span[0])), min(len(text), int(span[1]))
            if start < end:
                spans.append((start, end, str(hit.get("rule", "?"))))
    if not spans:
        return [Segment(text)] if text else []
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out: list[Segment] = []
    for a, b in zip(cuts, cuts[1:]):
        rules = tuple(sorted({r for s, e, r in spans if s <= a and b <= e}))
        if out and out[-1].rules == rules:
            out[-1] = Segment(out[-1].text + text[a:b], rules)
        else:
            out.append(Segment(text[a:b], rules))
    return out


def glance(conn: Connection, account_ids: Sequence[int], now: datetime) -> dict[int, dict[str, Any]]:
    """Author at a glance: age, comments by status, active strikes and other actions."""
    ids = sorted(set(account_ids))
    rows = people.get_accounts(conn, ids)
    counts = dashboard.comment_counts(conn, ids)
    actions = dashboard.action_counts(conn, ids, now)
    out: dict[int, dict[str, Any]] = {}
    for aid in ids:
        row = rows.get(aid)
        if row is None:
            continue
        created = as_utc(row["created_at"]) or now
        by_status = counts.get(aid, {})
        acts = actions.get(aid, {})
        out[aid] = {
            "id": aid, "name": row["display_name"], "state": row["state"], "guest": bool(row["guest"]),
            "supporter": bool(row["supporter"]), "age_days": max(0, (now - created).days), "created_at": created,
            "comments": sum(by_status.values()), "by_status": by_status, "strikes": acts.get("strikes", 0),
            "actions": {k: v for k, v in acts.items() if k != "strikes"},
        }
    return out


def account_ids(values: Any) -> list[int]:
    """The account ids a flag names (its ``accounts`` JSON), ignoring anything that is not an id."""
    out: list[int] = []
    for value in values if isinstance(values, list) else []:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out


def _hits_of(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    dec = item.get("decision")
    return list(dec["hits"]) if dec and dec.get("hits") else []


def _reasons(hits: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"rule": h.get("rule"), "score": h.get("score"), "reasons": list(h.get("reasons") or [])}
            for h in hits if h.get("reasons")]


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """The comment queues of one article (``?thread=``): its thread id as asked, and the thread's internal id and
    title where the site has such a thread (``pk`` None: none, and its queues are empty)."""

    thread: str
    pk: int | None
    title: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"thread": self.thread, "title": self.title, "found": self.pk is not None}


def _article(conn: Connection, site_id: str, thread: str | None) -> ArticleFilter | None:
    """The filter for ``thread`` (a thread id of the site; blank: none). A thread id no thread can have is refused;
    one the site has no thread for filters to nothing."""
    if not thread:
        return None
    check_thread_id(thread)
    row = content.get_thread(conn, site_id, thread)
    return ArticleFilter(thread, int(row["id"]) if row is not None else None, row["title"] if row is not None else None)


def queue_view(svc: Services, actor: Actor, site_id: str, name: str, *, before_id: int | None = None,
               limit: int = PAGE, thread: str | None = None, before_weight: float | None = None) -> dict[str, Any]:
    """A queue page: comment items in context, or clusters, or appeals; plus the size of every queue. With
    ``thread``, the comment queues and their sizes are that article's (clusters and appeals stay the site's):
    ``article`` says which, and whether the site has it. One read transaction for the whole page."""
    actor.require_site(site_id)
    if name not in QUEUE_TABS:
        raise Invalid("Unknown queue.", {"allowed": list(QUEUE_TABS)})
    now = svc.now()
    with svc.db.read() as conn:
        article = _article(conn, site_id, thread)
        if name in COMMENT_QUEUES:
            if article is not None and article.pk is None:
                out: dict[str, Any] = {"queue": name, "items": [], "next_before": None}
            else:
                out = _comment_queue(svc, conn, site_id, name, before_id, before_weight, limit,
                                     article.pk if article else None)
        elif name == "clusters":
            out = _cluster_queue(conn, site_id, limit)
        else:
            out = _appeal_queue(conn, actor, site_id, limit, before_id, now)
        out["sizes"] = _sizes(svc, conn, site_id, now, article)
        out["article"] = article.as_dict() if article is not None else None
    return out


def report_threshold(svc: Services, conn: Connection, site_id: str) -> float:
    """The weight of open reports at which a comment joins the site's reported queue (its policy's)."""
    return float(svc.policies.for_site(content.get_site(conn, site_id)).settings.reports.threshold)


def queue_sizes(svc: Services, actor: Actor, site_id: str, thread: str | None = None,
                held_after: int | None = None) -> dict[str, int]:
    """How many items wait in each queue of a site (the dashboard asks every few seconds); with ``thread``, the
    comment queues' sizes are that article's, as :func:`queue_view` counts them. With ``held_after`` (the newest
    held comment a page shows), ``held_new``: the held comments newer than it, which arrived since (a size alone
    hides an arrival when another moderator decided one meanwhile)."""
    actor.require_site(site_id)
    with svc.db.read() as conn:
        article = _article(conn, site_id, thread)
        out = _sizes(svc, conn, site_id, svc.now(), article)
        if held_after is not None:
            out["held_new"] = 0 if article is not None and article.pk is None else dashboard.count_status(
                conn, site_id, CommentStatus.HELD.value, thread_id=article.pk if article else None, after_id=held_after)
        return out


def _comment_queue(svc: Services, conn: Connection, site_id: str, name: str, before_id: int | None,
                   before_weight: float | None, limit: int, thread_pk: int | None) -> dict[str, Any]:
    if name == "reported":  # heaviest first: a page goes on after the (weight, id) of the last one shown
        after = (before_weight, before_id) if before_id is not None and before_weight is not None else None
        rows = dashboard.reported_comments(conn, site_id, min_weight=report_threshold(svc, conn, site_id), limit=limit,
                                           thread_id=thread_pk, after=after)
    elif name == "held":
        rows = dashboard.comment_page(conn, site_id, CommentStatus.HELD.value, limit=limit, before_id=before_id,
                                      thread_id=thread_pk)
    else:
        rows = dashboard.comment_page(conn, site_id, CommentStatus.REJECTED.value, limit=limit, before_id=before_id,
                                      decided_since=recent_since(svc.now()), thread_id=thread_pk)
    ids = [int(r["id"]) for r in rows]
    decisions = moderation.latest_decisions(conn, ids)
    authors = people.get_accounts(conn, sorted({int(r["account_id"]) for r in rows}))
    items = [svc_mod.comment_item(conn, cast(Mapping[str, Any], r), decisions, authors) for r in rows]
    parents = {int(r["id"]): r for r in content.get_comments(conn, {i["parent_id"] for i in items if i["parent_id"]})}
    glances = glance(conn, [i["author"]["id"] for i in items if i.get("author")], svc.now())
    for item in items:
        hits = _hits_of(item)
        item["segments"] = highlight(item["text"], hits)
        item["hits"] = hits
        item["reasons"] = _reasons(hits)
        item["scores"] = (item.get("decision") or {}).get("scores") or {}
        parent = parents.get(item["parent_id"]) if item["parent_id"] else None
        item["parent"] = {"id": parent["id"], "text": parent["body"], "status": parent["status"]} if parent else None
        item["glance"] = glances.get(item["author"]["id"]) if item.get("author") else None
        if name == "reported":
            reports = content.open_reports(conn, item["id"])
            who = people.get_accounts(conn, sorted({int(r["account_id"]) for r in reports}))
            item["reports"] = [{"account_id": r["account_id"], "reason": r["reason"], "note": r["note"], "weight": r["weight"],
                                "name": who[r["account_id"]]["display_name"] if r["account_id"] in who else None,
                                "age_days": (svc.now() - utc(who[r["account_id"]]["created_at"])).days if r["account_id"] in who else None}
                               for r in reports]
    more = len(ids) == limit
    return {"queue": name, "items": items, "next_before": ids[-1] if more else None,
            "next_weight": float(rows[-1]["weight"]) if more and name == "reported" else None}


def _cluster_queue(conn: Connection, site_id: str, limit: int) -> dict[str, Any]:
    rows = moderation.list_flags(conn, site_id, kind=FlagKind.COORDINATION.value, limit=limit)
    names = people.get_accounts(conn, sorted({a for r in rows for a in account_ids(r["accounts"])}))
    return {"queue": "clusters", "next_before": None, "items": [
        {"id": r["id"], "score": r["score"], "created_at": as_utc(r["created_at"]), "key": r["key"],
         "accounts": [{"id": a, "name": names[a]["display_name"] if a in names else f"#{a}",
                       "state": names[a]["state"] if a in names else "?"} for a in account_ids(r["accounts"])],
         "signals": signals_of(r["evidence"])} for r in rows]}


def _appeal_queue(conn: Connection, actor: Actor, site_id: str, limit: int, before_id: int | None,
                  now: datetime) -> dict[str, Any]:
    rows = dashboard.open_appeals(conn, site_id, limit=limit, before_id=before_id)
    others = other_deciders(conn, site_id, actor.id)
    took = svc_mod.appeal_takers(conn, rows)
    actions = {int(r["action_id"]): moderation.get_action(conn, int(r["action_id"])) for r in rows}
    cids = {a["comment_id"] for a in actions.values() if a is not None and a["comment_id"]}
    comments = {int(c["id"]): c for c in content.get_comments(conn, cids)}
    authors = glance(conn, [int(r["account_id"]) for r in rows], now)
    items = []
    for r in rows:
        action = actions.get(int(r["action_id"]))
        comment = comments.get(action["comment_id"]) if action is not None and action["comment_id"] else None
        items.append({"id": r["id"], "text": r["text"], "created_at": as_utc(r["created_at"]), "account_id": r["account_id"],
                      "name": r["display_name"], "action_kind": r["action_kind"], "action_reason": r["action_reason"],
                      "rule": action["rule"] if action is not None else None,
                      "comment": {"id": comment["id"], "text": comment["body"], "status": comment["status"]} if comment else None,
                      "glance": authors.get(int(r["account_id"])),
                      "own_action": own_appeal(actor, took[int(r["action_id"])], others)})
    # newest first, a page at a time (the oldest appeal, waiting longest, was beyond the first page and unreachable)
    return {"queue": "appeals", "items": items, "next_before": int(rows[-1]["id"]) if len(rows) == limit else None}


def _sizes(svc: Services, conn: Connection, site_id: str, now: datetime, article: ArticleFilter | None = None) -> dict[str, int]:
    """Every tab's size; with ``article``, the comment queues' are that article's (clusters and appeals are never an
    article's), none where the site has no such article."""
    pk = article.pk if article is not None else None
    sizes = stats.queue_sizes(conn, site_id, report_threshold(svc, conn, site_id), thread_id=pk)
    rejected = dashboard.count_status(conn, site_id, CommentStatus.REJECTED.value, decided_since=recent_since(now),
                                      thread_id=pk)
    clusters = len(moderation.list_flags(conn, site_id, kind=FlagKind.COORDINATION.value, limit=1000))
    out = {"held": sizes["held"][0], "reported": sizes["reported"][0], "clusters": clusters,
           "appeals": sizes["appeals"][0], "rejected": rejected}
    if article is not None and pk is None:  # no such article on the site: its queues are empty
        out.update(held=0, reported=0, rejected=0)
    return out


def signals_of(evidence: Any) -> list[dict[str, Any]]:
    """Signals with strength from a flag's evidence, whatever shape the detector stored: a list of items
    with "signal"/"strength" (under "evidence" or "items"), or a {"signals": {name: strength}} mapping."""
    if not isinstance(evidence, Mapping):
        return []
    found: dict[str, dict[str, Any]] = {}
    lists = [evidence.get(key) or [] for key in ("evidence", "items")]
    if "signal" in evidence:  # one signal stored at the top level
        lists.append([evidence])
    for entries in lists:
        for item in entries if isinstance(entries, list) else []:
            if isinstance(item, Mapping) and "signal" in item:
                found[str(item["signal"])] = {"name": str(item["signal"]), "strength": _num(item.get("strength")),
                                              "why": item.get("why"), "observed": item.get("observed"),
                                              "expected": item.get("expected"), "details": item.get("details") or []}
    sig = evidence.get("signals")
    if isinstance(sig, Mapping):
        for name, value in sig.items():
            entry = found.setdefault(str(name), {"name": str(name), "strength": None, "why": None, "observed": None,
                                                 "expected": None, "details": []})
            if entry["strength"] is None:
                entry["strength"] = _num(value.get("strength") if isinstance(value, Mapping) else value)
    return sorted(found.values(), key=lambda s: -(s["strength"] or 0.0))


def _num(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def account_view(svc: Services, actor: Actor, account_id: int) -> dict[str, Any]:
    """An account's full history plus linked accounts (evasion and coordination flags that name it)."""
    history = svc_mod.account_history(svc, actor, account_id)
    site_id = history["account"]["site"]
    with svc.db.read() as conn:
        flags = [f for f in dashboard.flags_for_site(conn, site_id)
                 if account_id in account_ids(f["accounts"])]
        others = sorted({a for f in flags for a in account_ids(f["accounts"])} - {account_id})
        linked = glance(conn, others, svc.now())
        me = glance(conn, [account_id], svc.now()).get(account_id)
        decisions = {c["id"]: c["decisions"] for c in history["comments"]}
    for comment in history["comments"]:
        pipeline = [d for d in decisions.get(comment["id"], []) if d["hits"]]
        comment["segments"] = highlight(comment["text"], pipeline[-1]["hits"] if pipeline else [])
    history["glance"] = me
    history["flags"] = [{"id": f["id"], "kind": f["kind"], "state": f["state"], "score": f["score"],
                         "created_at": as_utc(f["created_at"]), "accounts": account_ids(f["accounts"])}
                        for f in flags]
    history["linked"] = [linked[a] for a in others if a in linked]
    return history


def try_policy(svc: Services, actor: Actor, site_id: str, text: str) -> dict[str, Any]:
    """Run the site's house rules on a pasted text, as if a reader in good standing posted it."""
    from townhall.policy.types import Subject

    actor.require_site(site_id)
    if not isinstance(text, str) or not text.strip():
        raise Invalid("Paste a text to try.", {"field": "text"})
    text = text.replace("\x00", "")[:20000]
    with svc.db.read() as conn:
        site = content.get_site(conn, site_id)
    if site is None:
        raise no_such_site(site_id)
    policy = svc.policies.for_site(site)
    decision = policy.evaluate(Subject(text=text))
    hits = [h.to_dict() for h in decision.hits]
    deciding = [h.to_dict() for h in decision.deciding_hits]
    return {"verdict": decision.verdict.value, "policy_version": decision.policy_version, "hits": hits,
            "deciding": deciding, "segments": highlight(text, hits), "scores": dict(decision.scores),
            "reasons": _reasons(hits), "strike": decision.strike,
            "message": " ".join(dict.fromkeys(h["description"] for h in deciding))}


def policy_view(svc: Services, actor: Actor, site_id: str) -> dict[str, Any]:
    actor.require_site(site_id)
    with svc.db.read() as conn:
        site = content.get_site(conn, site_id)
    if site is None:
        raise no_such_site(site_id)
    policy = svc.policies.for_site(site)
    return {"site": site_id, "rules": list(policy.describe()), "version": getattr(policy, "version", "?"),
            "source": str(getattr(policy, "source", "")), "ladder": policy.settings.enforcement.ladder,
            "troll_confirmed": policy.settings.enforcement.troll_confirmed.value}
