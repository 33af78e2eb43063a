"""/openapi.json describes the answers publishers script against, field by field: a thread's comments, a posted
comment, the moderators' queues and decisions, a reader's own comments (they were free-form objects, ``{}``). Real
answers are held to those descriptions strictly: every object a component describes takes no field it does not
name, so that a field the service adds and the model leaves out, or a value of another type, fails here."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema_rs
from starlette.testclient import TestClient

from tests.fixtures_app import Clock, auth

T = "/api/v1/threads/t1/comments"

COMMENTS = ("GET", "/api/v1/threads/{thread_id}/comments")
FEATURED = ("GET", "/api/v1/threads/{thread_id}/featured")
POST = ("POST", "/api/v1/threads/{thread_id}/comments")
EDIT = ("PATCH", "/api/v1/comments/{comment_id}")
REACT = ("PUT", "/api/v1/comments/{comment_id}/reaction")
REPORT = ("POST", "/api/v1/comments/{comment_id}/reports")
MINE = ("GET", "/api/v1/me/comments")
QUEUE = ("GET", "/api/v1/mod/queues/{name}")
DECIDE = ("POST", "/api/v1/mod/comments/{comment_id}/decision")
FEATURE = ("PUT", "/api/v1/mod/comments/{comment_id}/featured")
SANCTION = ("POST", "/api/v1/mod/accounts/{account_id}/sanctions")
RESTORE = ("POST", "/api/v1/mod/accounts/{account_id}/restore")
APPEAL_DECISION = ("POST", "/api/v1/mod/appeals/{appeal_id}/decision")
THREAD_STATE = ("PUT", "/api/v1/mod/threads/{thread_id}/state")

# The fields each answer's schema names (a few of each nested object's too).
NAMED = {
    "CommentsPage": {"thread", "comments", "next_cursor", "flat"},
    "ListedCommentOut": {"id", "parent_id", "status", "html", "author", "created_at", "edited_at", "reactions", "own",
                         "featured", "text", "my_reaction", "replies", "more_replies", "replies_cursor", "ignored"},
    "AuthorOut": {"id", "name", "supporter", "guest", "moderator"},
    "CommentAnswer": {"comment", "verdict", "guest_token"},
    "JudgedCommentOut": {"verdict", "hits", "text", "html", "author"},
    "HitOut": {"rule", "description", "action", "span", "evidence", "score", "strike", "reasons"},
    "QueueOut": {"queue", "items", "next_before"},
    "QueueCommentOut": {"id", "thread", "text", "status", "author", "decision", "report_weight", "reporters", "reports"},
    "QueueAppealOut": {"id", "action_id", "account_id", "text", "state", "own_action", "action_kind"},
    "MyCommentsOut": {"comments", "next"},
}


def _schema(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def _answer_schema(schema: dict[str, Any], operation: tuple[str, str], status: int) -> dict[str, Any]:
    method, path = operation
    answer = schema["paths"][path][method.lower()]["responses"][str(status)]
    return answer.get("content", {}).get("application/json", {}).get("schema", {})


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema's components, each object that names its properties taking no other."""
    components = copy.deepcopy(schema["components"])
    for component in components["schemas"].values():
        if "properties" in component:
            component.setdefault("additionalProperties", False)
    return components


def test_the_schema_names_the_fields_of_the_answers(make_app, sqlite_url: str) -> None:
    """Each answer is a named model (a ``$ref``), not ``{}`` nor a free-form object, and names its fields."""
    with TestClient(make_app(sqlite_url)) as client:
        schema = _schema(client)
    answers = {COMMENTS: (200, "CommentsPage"), FEATURED: (200, "FeaturedPage"), POST: (201, "CommentAnswer"),
               EDIT: (200, "CommentAnswer"), REACT: (200, "ReactionAnswer"), REPORT: (201, "ReportAnswer"),
               MINE: (200, "MyCommentsOut"), QUEUE: (200, "QueueOut"), DECIDE: (200, "CommentDecisionAnswer"),
               FEATURE: (200, "FeaturedAnswer"), SANCTION: (201, "SanctionAnswer"), RESTORE: (200, "RestoreAnswer"),
               APPEAL_DECISION: (200, "AppealDecisionAnswer"), THREAD_STATE: (200, "ThreadStateAnswer")}
    wrong = {op: _answer_schema(schema, op, status) for op, (status, name) in answers.items()
             if _answer_schema(schema, op, status) != {"$ref": f"#/components/schemas/{name}"}}
    assert wrong == {}
    components = schema["components"]["schemas"]
    missing = {name: sorted(fields - set(components.get(name, {}).get("properties", {})))
               for name, fields in NAMED.items() if not fields <= set(components.get(name, {}).get("properties", {}))}
    assert missing == {}
    assert components["ListedCommentOut"]["properties"]["replies"]["items"] == {"$ref": "#/components/schemas/ListedCommentOut"}


class Answers:
    """Real answers, each checked against the strict schema of its operation and status."""

    def __init__(self, client: TestClient, clock: Clock) -> None:
        self.client = client
        self.issued = clock.now
        self.schema = _schema(client)
        self.components = _strict(self.schema)
        self.checked: list[tuple[str, str, int]] = []

    def check(self, operation: tuple[str, str], response: Any, status: int) -> Any:
        assert response.status_code == status, (operation, response.text)
        declared = _answer_schema(self.schema, operation, status)
        assert "$ref" in declared, (operation, declared)
        validator = jsonschema_rs.Draft202012Validator({**declared, "components": self.components})
        body = response.json()
        errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(body)]
        assert errors == [], (operation, errors)
        self.checked.append((*operation, status))
        return body

    def who(self, sub: str, **claims: Any) -> dict[str, str]:
        """A sign-in token issued when the test began, valid after the app's clock moves on (for the reports)."""
        return auth(sub, now=self.issued, exp_in=30 * 86400, **claims)


def _readers_and_comments(a: Answers) -> dict[str, int]:
    """Comments of every kind a listing shows: published, a reply, a liked one, an own one, a featured one, a
    placeholder of an ignored author, a tombstone kept for its reply; a held one (premoderated article)."""
    c, ALICE, BOB, MOD = a.client, a.who("alice"), a.who("bob"), a.who("mod-a", role="moderator")
    root = a.check(POST, c.post(T, json={"text": "A first comment on this article.", "url": "/a/1", "title": "One"},
                                headers=ALICE), 201)["comment"]["id"]
    reply = a.check(POST, c.post(T, json={"text": "A reply to it.", "parent_id": root}, headers=BOB), 201)["comment"]["id"]
    gone = a.check(POST, c.post(T, json={"text": "Soon deleted."}, headers=a.who("carol")), 201)["comment"]["id"]
    c.post(T, json={"text": "An answer to what was deleted.", "parent_id": gone}, headers=BOB)
    assert c.delete(f"/api/v1/comments/{gone}", headers=a.who("carol")).status_code == 204
    a.check(REACT, c.put(f"/api/v1/comments/{root}/reaction", json={"kind": "like"}, headers=BOB), 200)
    a.check(EDIT, c.patch(f"/api/v1/comments/{reply}", json={"text": "A reply to it, mended."}, headers=BOB), 200)
    a.check(FEATURE, c.put(f"/api/v1/mod/comments/{root}/featured", json={"featured": True}, headers=MOD), 200)
    ignored = a.check(POST, c.post(T, json={"text": "Someone Bob ignores."}, headers=a.who("dave")), 201)["comment"]
    c.post(T, json={"text": "Erin answers him.", "parent_id": ignored["id"]}, headers=a.who("erin"))  # keeps its placeholder
    assert c.put(f"/api/v1/me/ignored/{ignored['author']['id']}", headers=BOB).status_code == 200
    guest = a.check(POST, c.post(T, json={"text": "A guest's view.", "guest_name": "Visitor"}), 201)
    assert guest["guest_token"]
    assert c.patch("/api/v1/mod/threads/held-t", json={"premoderated": True}, headers=MOD).status_code == 200
    held = a.check(POST, c.post("/api/v1/threads/held-t/comments", json={"text": "Waits for a moderator."},
                                headers=ALICE), 201)
    assert held["verdict"] == "held" and held["comment"]["hits"], held
    return {"root": root, "reply": reply, "held": held["comment"]["id"], "alice": held["comment"]["author"]["id"]}


def test_real_answers_are_the_declared_ones(make_app, db_url: str, clock: Clock) -> None:
    """On both databases: a value read from the store (a report's weight, a sum) must have the declared type."""
    with TestClient(make_app(db_url, allow_guests=True)) as client:
        a = Answers(client, clock)
        reporters = ("r1", "r2", "r3")
        for reader in reporters:  # accounts older than a week: their reports bring a comment to the reported queue
            assert client.get("/api/v1/me", headers=a.who(reader)).status_code == 200
        clock.advance(days=8)
        ALICE, BOB, MOD = a.who("alice"), a.who("bob"), a.who("mod-a", role="moderator")
        ids = _readers_and_comments(a)
        for headers in ({}, BOB, ALICE):  # signed out (the cached page), signed in: my_reaction, text, placeholders
            for sort in ("newest", "top"):
                page = a.check(COMMENTS, client.get(T, params={"sort": sort, "limit": 2}, headers=headers), 200)
                a.check(COMMENTS, client.get(T, params={"cursor": page["next_cursor"], "limit": 2}, headers=headers), 200)
            a.check(COMMENTS, client.get(T, params={"root": ids["root"]}, headers=headers), 200)  # flat
            a.check(FEATURED, client.get("/api/v1/threads/t1/featured", headers=headers), 200)
        listed = client.get(T, headers=BOB).json()["comments"]
        assert any(c.get("ignored") for c in listed) and any(c["author"] is None for c in listed)
        assert a.check(COMMENTS, client.get("/api/v1/threads/none-yet/comments"), 200)["comments"] == []

        rejected = client.post(T, json={"text": "what the fuck"}, headers=a.who("frank"))
        assert rejected.status_code == 422, rejected.text
        for reader in reporters:
            a.check(REPORT, client.post(f"/api/v1/comments/{ids['reply']}/reports", json={"reason": "spam", "note": "Ads"},
                                        headers=a.who(reader)), 201)
        warned = a.check(SANCTION, client.post(f"/api/v1/mod/accounts/{ids['alice']}/sanctions",
                                               json={"sanction": "warn", "reason": "Tone."}, headers=MOD), 201)
        appealed = client.post(f"/api/v1/me/actions/{warned['action_id']}/appeal", json={"text": "I was polite."},
                               headers=ALICE)
        assert appealed.status_code == 201, appealed.text
        queues = {name: a.check(QUEUE, client.get(f"/api/v1/mod/queues/{name}", headers=MOD), 200)["items"]
                  for name in ("held", "reported", "rejected", "appeals", "flags")}
        assert all(queues[name] for name in ("held", "reported", "rejected", "appeals")), queues

        a.check(DECIDE, client.post(f"/api/v1/mod/comments/{ids['held']}/decision", json={"action": "approve"},
                                    headers=MOD), 200)
        a.check(DECIDE, client.post(f"/api/v1/mod/comments/{ids['held']}/decision", json={"action": "approve"},
                                    headers=a.who("mod-b", role="moderator")), 409)  # the refusal: the error envelope
        a.check(DECIDE, client.post(f"/api/v1/mod/comments/{ids['root']}/decision", json={"action": "approve"},
                                    headers=MOD), 200)  # nothing to do: a notice
        a.check(APPEAL_DECISION, client.post(f"/api/v1/mod/appeals/{queues['appeals'][0]['id']}/decision",
                                             json={"outcome": "reverse", "response": "Fair."}, headers=MOD), 200)
        a.check(RESTORE, client.post(f"/api/v1/mod/accounts/{ids['alice']}/restore", json={}, headers=MOD), 200)
        a.check(THREAD_STATE, client.put("/api/v1/mod/threads/t1/state", json={"state": "closed"}, headers=MOD), 200)
        mine = a.check(MINE, client.get("/api/v1/me/comments", params={"limit": 1}, headers=ALICE), 200)
        a.check(MINE, client.get("/api/v1/me/comments", params={"before": mine["next"]}, headers=ALICE), 200)
    assert len({(m, p) for m, p, _ in a.checked}) == 14
