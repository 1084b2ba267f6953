"""Playwright (sync API) against Debian's Chromium, plus axe-core for accessibility.

No browser is ever downloaded: ``chromium_path`` (tests/conftest.py) points at the
system Chromium and skips locally, or fails in CI, when it is missing. Pages run
under the real CSP: axe is injected with ``page.evaluate``, which the DevTools
protocol runs outside the page's Content-Security-Policy, so ``bypass_csp`` stays off
and a CSP mistake in a template still shows up here.
"""

from pathlib import Path

import pytest

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]

# Records CSP violations from inside the page; added with add_init_script, which
# (like evaluate) is not subject to the page's CSP.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
});
"""


@pytest.fixture(scope="module")
def _playwright():
    """Playwright's sync API runs an asyncio loop in this thread while it is started,
    and Django's ORM (make_user, factories, the database flush between tests) refuses
    to run beside a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set. Set it only
    for as long as Playwright runs: set for the whole session, it would leak into
    subprocesses such as test_settings' `manage.py check --deploy` (async.E001)."""
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            yield playwright


@pytest.fixture
def browser(_playwright, chromium_path):
    browser = _playwright.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def console_errors():
    """Every console message of type "error" and every uncaught page error."""
    return []


@pytest.fixture
def page(browser, console_errors):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
    page.on("pageerror", lambda exc: console_errors.append(f"page error: {exc}"))
    yield page
    context.close()


def csp_problems(page, console_errors) -> list[str]:
    in_page = page.evaluate("window.__cspViolations || []")
    logged = [text for text in console_errors if "Content Security Policy" in text]
    return in_page + logged


def assert_no_csp_violations(page, console_errors):
    problems = csp_problems(page, console_errors)
    assert not problems, "CSP violations:\n" + "\n".join(problems)


def run_axe(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: tags, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return result["violations"]


def assert_accessible(page, impacts=FAILING_IMPACTS):
    """Fails listing every axe violation of impact serious or critical (or of the
    given ``impacts``: pass None to fail on any violation at all)."""
    violations = [v for v in run_axe(page) if impacts is None or v.get("impact") in impacts]
    if violations:
        lines = [f"axe: {len(violations)} violation(s) on {page.url}"]
        for v in violations:
            targets = ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
            lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']}) at {targets}")
        pytest.fail("\n".join(lines))


def login(page, live_server, username, password):
    """Signs in through the real sign-in form."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
