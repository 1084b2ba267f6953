"""Page sizes and load times of the largest pages in a real browser (issue 14's note).

    .venv/bin/python benchmarks/page_sizes.py http://127.0.0.1:8123 /tmp/logins.txt

Runs against a served demo (``make demo``, or gunicorn over a ``seed_demo --people
100000`` database, with ``manage.py run_worker`` beside it for the surge solve),
signed in through the sign-in form as the demo ``planner`` and ``hr`` logins read
from the logins file that ``seed_demo --logins-file`` writes. Uses Debian's Chromium
(``CHROMIUM``, default /usr/bin/chromium), headless; never downloads a browser.

As the planner it creates a large surge scenario through the API (several lines,
``--posts`` posts in all, 390 by default, split over the operational roles), queues
its solve and waits for it; then, for each page, it prints:

- load ms, cold: navigation start to the load event (Navigation Timing) on the first
  visit in a fresh browser context. The server's own caches are only cold on the
  first run after the server starts, so run this right after starting it;
- load ms, warm: the median of ``--warm`` further visits in the same context;
- height: ``document.documentElement.scrollHeight`` in px (1280 px wide viewport);
- decision y: the top of the page's decision or primary content, in px from the top
  of the document: the Approve button on the surge results and approval pages, the
  first table body row on reports;
- a check per page: the role search page's checkbox count (it must not render a
  checkbox per organisation unit), the person page's URL ending in a UUID.

It writes only the scenario it creates (named "page_sizes …"); it never approves it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.sync_api import Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 900}
UUID_TAIL = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/?$")
# Roles the demo's operational teams do (skills_app/demo/generator.py OPS_DIRECTORATES)
# and their share of the scenario's posts.
SURGE_LINES = [
    ("universal-credit-case-manager", 0.35),
    ("contact-centre-adviser", 0.30),
    ("work-coach", 0.20),
    ("pensions-processor", 0.10),
    ("decision-maker", 0.05),
]
# [navigation start to load event, navigation start to the response's first byte]
NAVIGATION_MS = """() => {
  const [n] = performance.getEntriesByType('navigation');
  return n ? [Math.round(n.loadEventEnd - n.startTime), Math.round(n.responseStart - n.startTime)]
           : [null, null];
}"""
# What the page says about its size: the summary, or the table's caption.
SUMMARY = """() => {
  const pick = ['#results-summary', '#approval-effects', 'table caption', 'h1'];
  for (const s of pick) {
    const e = document.querySelector(s);
    if (e) return e.textContent.replace(/\\s+/g, ' ').trim().slice(0, 160);
  }
  return '';
}"""
HEIGHT = "() => document.documentElement.scrollHeight"


@dataclass
class Row:
    page: str
    user: str
    url: str
    height: int
    decision_y: int | None
    cold_ms: int | None
    warm_ms: int | None
    cold_ttfb: int | None
    warm_ttfb: int | None
    summary: str = ""
    note: str = ""


def read_logins(path: str) -> dict[str, str]:
    """username -> password from seed_demo's logins table (columns split by 2+ spaces)."""
    logins = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            cells = re.split(r"\s{2,}", line.strip())
            if len(cells) >= 3 and cells[1] not in ("Username",) and not set(cells[1]) <= {"-"}:
                logins[cells[1]] = cells[2]
    return logins


def median(values: list) -> int | None:
    return round(statistics.median(values)) if values else None


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    if "/accounts/login" in page.url:
        sys.exit(f"Could not sign in as {username}")


def load(page: Page, url: str) -> list:
    page.goto(url, wait_until="load", timeout=180_000)
    return page.evaluate(NAVIGATION_MS)


def top(page: Page, selector: str) -> int | None:
    """The y of the first match's top edge, from the top of the document."""
    handle = page.query_selector(selector)
    if handle is None:
        return None
    return round(handle.evaluate("e => e.getBoundingClientRect().top + window.scrollY"))


class Session:
    def __init__(self, browser, base, username, password, warm, screenshots=None):
        self.browser, self.base, self.username, self.password = browser, base, username, password
        self.warm, self.screenshots = warm, screenshots

    def measure(self, name: str, path: str, decision: str, check=None) -> Row:
        """One page in a fresh context (signed in anew): a cold visit then warm ones."""
        context = self.browser.new_context(viewport=VIEWPORT, locale="en-GB")
        try:
            page = context.new_page()
            page.set_default_timeout(180_000)
            sign_in(page, self.base, self.username, self.password)
            url = f"{self.base}{path}"
            cold = load(page, url)
            warm = [load(page, url) for _ in range(self.warm)]
            row = Row(
                page=name,
                user=self.username,
                url=page.url.removeprefix(self.base),
                height=page.evaluate(HEIGHT),
                decision_y=top(page, decision),
                cold_ms=cold[0],
                warm_ms=median([w[0] for w in warm]),
                cold_ttfb=cold[1],
                warm_ttfb=median([w[1] for w in warm]),
                summary=page.evaluate(SUMMARY),
            )
            if check is not None:
                row.note = check(page)
            if self.screenshots:
                slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
                page.screenshot(path=os.path.join(self.screenshots, f"{slug}.png"), full_page=True)
            return row
        finally:
            context.close()

    def api(self, page: Page, method: str, path: str, data=None):
        token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
        response = page.request.fetch(
            f"{self.base}/api/v1{path}",
            method=method,
            data=data,
            headers={"X-CSRFToken": token, "Referer": f"{self.base}/"},
        )
        if not response.ok:
            sys.exit(f"{method} {path}: {response.status} {response.text()[:500]}")
        return response.json()


def make_scenario(session: Session, posts: int) -> int:
    """Creates the scenario, queues its solve, waits for it; returns its id."""
    context = session.browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        sign_in(page, session.base, session.username, session.password)
        page.goto(f"{session.base}/surges/")  # sets the CSRF cookie
        counts = [round(posts * share) for _, share in SURGE_LINES]
        counts[0] += posts - sum(counts)
        body = {
            "name": f"page_sizes {time.strftime('%Y-%m-%d %H:%M:%S')}",
            "description": "Created by benchmarks/page_sizes.py",
            "lines": [
                {"role": code, "headcount": n}
                for (code, _), n in zip(SURGE_LINES, counts, strict=True)
            ],
        }
        scenario = session.api(page, "POST", "/surges", body)
        started = time.monotonic()
        session.api(page, "POST", f"/surges/{scenario['id']}/solve")
        while True:
            state = session.api(page, "GET", f"/surges/{scenario['id']}")
            if state["solve_state"] in ("done", "failed"):
                break
            if time.monotonic() - started > 900:
                sys.exit("The solve did not finish in 15 minutes: is run_worker running?")
            time.sleep(2)
        print(
            f"Scenario {scenario['id']}: {posts} posts on {len(counts)} lines, solve "
            f"{state['solve_state']} after {time.monotonic() - started:.0f} s "
            f"(queued to done, polled every 2 s)",
            flush=True,
        )
        return scenario["id"]
    finally:
        context.close()


def first_person_path(session: Session, role_search: str) -> str | None:
    """The first person link on a role's search results (a UUID URL)."""
    context = session.browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(180_000)
        sign_in(page, session.base, session.username, session.password)
        page.goto(f"{session.base}{role_search}")
        link = page.query_selector("a[href*='/search/people/']")
        return link.get_attribute("href") if link else None
    finally:
        context.close()


def checkboxes(page: Page) -> str:
    return f"{page.locator('input[type=checkbox]').count()} checkboxes"


def uuid_url(page: Page) -> str:
    path = urlsplit(page.url).path
    return "path ends in a UUID" if UUID_TAIL.search(path) else f"path NOT a UUID: {path}"


def team_depth(session: Session) -> int:
    """The heatmap's deepest ``depth`` option (teams in the demo's org tree)."""
    context = session.browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(180_000)
        sign_in(page, session.base, session.username, session.password)
        page.goto(f"{session.base}/reports/capability/")
        values = page.eval_on_selector_all(
            "select[name=depth] option", "os => os.map(o => [o.value, o.textContent.trim()])"
        )
        print("Heatmap depth options: " + "; ".join(f"{v}={t}" for v, t in values), flush=True)
        depths = [int(v) for v, _ in values if v.isdigit()]
        return max(depths) if depths else 3
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the served site, e.g. http://127.0.0.1:8123")
    parser.add_argument("logins", help="seed_demo's --logins-file")
    parser.add_argument("--posts", type=int, default=390, help="posts in the surge scenario")
    parser.add_argument("--scenario", type=int, help="measure this solved scenario instead")
    parser.add_argument("--role", default="universal-credit-case-manager", help="role to search")
    parser.add_argument("--warm", type=int, default=2, help="warm visits per page (median)")
    parser.add_argument(
        "--screenshots", help="save a full-page PNG of each page in this folder (demo data only)"
    )
    args = parser.parse_args()
    base = args.base.rstrip("/")
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)
    logins = read_logins(args.logins)
    rows: list[Row] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        hr = Session(browser, base, "hr", logins["hr"], args.warm, args.screenshots)
        planner = Session(browser, base, "planner", logins["planner"], args.warm, args.screenshots)
        # Reports first: their first load in this server process is the cold one.
        rows.append(hr.measure("Data quality", "/reports/data-quality/", "table tbody tr"))
        rows.append(hr.measure("Capability heatmap", "/reports/capability/", "table tbody tr"))
        depth = team_depth(hr)
        rows.append(
            hr.measure(
                f"Capability heatmap by team (depth={depth})",
                f"/reports/capability/?depth={depth}",
                "table tbody tr",
            )
        )
        rows.append(hr.measure("Supply and demand", "/reports/supply-demand/", "table tbody tr"))
        scenario = args.scenario or make_scenario(planner, args.posts)
        rows.append(
            planner.measure(
                "Surge results",
                f"/surges/{scenario}/",
                'role=button[name="Approve scenario"]',
            )
        )
        rows.append(
            planner.measure(
                "Surge approval confirmation",
                f"/surges/{scenario}/approve/",
                'role=button[name="Approve scenario"]',
            )
        )
        rows.append(
            planner.measure(
                "Supply and demand, with the scenario",
                f"/reports/supply-demand/?scenario={scenario}",
                "table tbody tr",
            )
        )
        search = f"/roles/{args.role}/search/"
        rows.append(planner.measure("Role search", search, "table tbody tr", check=checkboxes))
        person = first_person_path(planner, search)
        if person:
            rows.append(planner.measure("Person page", person, "h1", check=uuid_url))
        else:
            print("No person link on the role search page", flush=True)
        browser.close()

    print()
    print(
        f"{'Page':42} {'User':7} {'Height px':>9} {'Decision y':>10} {'Cold ms':>8} "
        f"{'Warm ms':>8} {'TTFB c/w':>12}  Note"
    )
    for r in rows:
        y = "-" if r.decision_y is None else f"{r.decision_y:,}"
        ttfb = f"{r.cold_ttfb or 0:,}/{r.warm_ttfb or 0:,}"
        print(
            f"{r.page:42} {r.user:7} {r.height:>9,} {y:>10} {r.cold_ms or 0:>8,} "
            f"{r.warm_ms or 0:>8,} {ttfb:>12}  {r.note}"
        )
    print()
    for r in rows:
        print(f"  {r.page}: {r.url}\n      {r.summary}")
    with open("/proc/loadavg", encoding="ascii") as handle:
        print(f"Load average (1, 5, 15 min): {' '.join(handle.read().split()[:3])}")


if __name__ == "__main__":
    main()
