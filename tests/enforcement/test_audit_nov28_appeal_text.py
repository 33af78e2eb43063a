"""Found by an audit (2026-11-28; each test failed before its fix): a reversed appeal publishes again the comment its action was for — as it reads now. A reader who mended
the struck comment into a text the rules refuse for another reason (the F word, no strike) gets that text published
by the appeal, though no moderator and no rule ever let it through."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.enforcement.test_enforcement_audit2 import _decide_appeal, _struck
from tests.enforcement.test_ladder import T, abusive_texts
from tests.fixtures_app import auth

F_WORD = "This council is a fucking disgrace."


def test_a_reversed_appeal_does_not_publish_a_text_the_rules_refused_since(app, client: TestClient) -> None:
    reader = auth("mender-f")
    cid = _struck(client, reader, abusive_texts(app)[0])
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": F_WORD}, headers=reader)
    assert r.status_code == 422 and r.json()["error"]["details"]["hits"][0]["rule"] == "f_word", r.text
    strike = next(a for a in client.get("/api/v1/me", headers=reader).json()["actions"] if a["kind"] == "strike")
    _decide_appeal(client, reader, strike["id"], "reverse", "The first text was criticism, not abuse.")
    listed = client.get(T).json()["comments"]
    assert "fucking" not in str(listed), listed
