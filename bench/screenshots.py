"""Regenerate docs/widget-light.png and docs/widget-dark.png: the demo article's comment thread in Chromium.

    python bench/screenshots.py [--out docs]

Seeds a short conversation on the demo article through the service layer (the house rules judge each comment),
signs in through the demo page's "sign in as" control, likes a comment, shows the F-word rule's in-the-open
feedback in the comment box, and has a new comment arrive live so the "new comments — show" announcement
is visible. Uses Debian's Chromium; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from widget import ROOT, Clock, LiveServer, launch, make_app, scratch_dir  # noqa: E402

from townhall.service import accounts as acct  # noqa: E402
from townhall.service import comments as svc_comments  # noqa: E402

THREAD = "russia-syria-drawdown"
CONVERSATION = [
    # (minutes ago, author, supporter, text, index of the comment replied to)
    (190, "Marta Kowalska", True, "The headline gets it right: a drawdown, not a withdrawal. The TASS quote says plainly "
     "that the air group keeps striking.", None),
    (170, "Dev Patel", False, "Agreed. And the helicopters are staying, which matters more for ground support than "
     "the jets that flew home.", 0),
    (120, "Marta Kowalska", True, "Good point. Do we know how many are still at Hmeimim?", 1),
    (64, "Tom Becker", False, "Does anyone have a source for how many aircraft actually left? The satellite photos "
     "I have seen are ambiguous.", None),
    (23, "Ana Ruiz", True, "Clear, useful piece. The gap between the ceasefire and the groups it excludes is the whole story.", None),
]


def seed(app, clock: Clock) -> list[int]:  # type: ignore[no-untyped-def]
    svc = app.services
    site = svc.settings.default_site
    ids: list[int] = []
    people = {}
    for minutes, name, supporter, text, parent in CONVERSATION:
        if name not in people:
            people[name] = acct.sign_in_sso(svc, site, {"sub": "shot-" + name.split()[0].lower(), "name": name,
                                                        "supporter": supporter})
        clock.offset = -timedelta(minutes=minutes)
        posted = svc_comments.post(svc, people[name], THREAD, text, ids[parent] if parent is not None else None)
        assert posted.comment["status"] == "published", posted.comment
        ids.append(posted.comment["id"])
    clock.offset = timedelta(0)
    for liker in ("Dev Patel", "Tom Becker", "Ana Ruiz"):
        svc_comments.react(svc, people[liker], ids[0], "like")
    svc_comments.react(svc, people["Marta Kowalska"], ids[3], "like")
    return ids


def shoot(out: Path) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    written = []
    with sync_playwright() as pw:
        browser = launch(pw)
        for scheme in ("light", "dark"):
            clock = Clock()
            app = make_app(scratch_dir(), clock)  # a fresh installation for each picture
            try:
                ids = seed(app, clock)
                late = acct.sign_in_sso(app.services, app.services.settings.default_site, {"sub": "shot-sam", "name": "Sam Okafor"})
                server = LiveServer(app).__enter__()
                ctx = browser.new_context(color_scheme=scheme, viewport={"width": 820, "height": 1400}, locale="en-GB")
                page = ctx.new_page()
                page.goto(server.url + "/demo")
                widget = page.locator("#townhall")
                expect(widget.locator("li[id^=comment-]")).to_have_count(len(ids))
                page.evaluate("""() => { window.__loads = 0;
                  document.getElementById('townhall').addEventListener('townhall:loaded', () => { window.__loads++; }); }""")
                page.get_by_label("Sign in as").fill("Alex Reader")
                page.get_by_label("Supporter").check()
                page.locator("#demo-form button[type=submit]").click()
                page.wait_for_function("() => window.__loads >= 1")
                expect(widget.locator(".th-account")).to_contain_text("Alex Reader")
                widget.locator(f"#comment-{ids[4]} > article .th-like").click()
                expect(widget.locator(f"#comment-{ids[4]} > article .th-like")).to_have_attribute("aria-pressed", "true")
                page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
                page.wait_for_timeout(300)
                svc_comments.post(app.services, late, THREAD, "Late to this: is there a map of the bases anywhere?")
                expect(widget.locator(".th-banner")).to_be_visible()
                widget.get_by_label("Add a comment").fill("Honestly, what the fuck is a drawdown supposed to mean?")
                widget.get_by_role("button", name="Post comment").click()
                expect(widget.locator(".th-rejected mark")).to_have_text("fuck")
                page.evaluate("document.activeElement.blur()")
                target = out / f"widget-{scheme}.png"
                # Page coordinates (bounding_box() is relative to the scrolled viewport; the clip is not).
                box = page.evaluate("""() => { const s = document.getElementById('comments').getBoundingClientRect();
                  const w = document.getElementById('townhall').getBoundingClientRect();
                  return {x: s.x + scrollX - 16, y: w.y + scrollY - 16, width: s.width + 32, height: w.height + 32}; }""")
                page.screenshot(path=str(target), full_page=True, clip=box)
                written.append(target)
                ctx.close()
                server.__exit__(None, None, None)
            finally:
                app.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in shoot(out):
        print(path)


if __name__ == "__main__":
    main()
