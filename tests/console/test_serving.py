"""The console is served by the platform itself at /console: static files shipped in the package, a strict
Content-Security-Policy, never cached stale, and a shell that survives a view it cannot load."""

from __future__ import annotations

from playwright.async_api import expect

from tests.console.conftest import console_url, open_console

CONSOLE_FILES = [
    "index.html",
    "app.js",
    "api.js",
    "dom.js",
    "styles.css",
    "chart.js",
    "transcript.js",
    "views/signin.js",
    "views/live.js",
    "views/live_call.js",
    "views/campaigns.js",
    "views/calls.js",
    "views/call.js",
]


async def test_console_redirects_to_its_folder_and_serves_the_page_with_strict_headers(http, server):
    async with http.get(server.url("/console"), allow_redirects=False) as answer:
        assert (answer.status, answer.headers["Location"]) == (308, "/console/")
    async with http.get(server.url("/console/")) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/html")
        assert '<script type="module" src="app.js"></script>' in await answer.text()
        host = server.base_url.removeprefix("http://")
        policy = answer.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert f"connect-src 'self' ws://{host} wss://{host}" in policy
        assert "media-src 'self' blob:" in policy
        assert answer.headers["Cache-Control"] == "no-cache"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        etag = answer.headers["ETag"]
    async with http.get(server.url("/console/"), headers={"If-None-Match": etag}) as answer:
        assert answer.status == 304 and answer.headers["Cache-Control"] == "no-cache"


async def test_every_module_is_served_as_javascript(http, server):
    for name in CONSOLE_FILES:
        async with http.get(server.url(f"/console/{name}")) as answer:
            assert answer.status == 200, name
            expected = {"html": "text/html", "css": "text/css", "js": "text/javascript"}[name.rsplit(".", 1)[1]]
            assert answer.headers["Content-Type"].startswith(expected), (name, answer.headers["Content-Type"])
    async with http.get(server.url("/console/missing.js")) as answer:
        assert answer.status == 404


async def test_pages_run_under_the_policy_without_violations(page, server, client):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    await open_console(page, server, client.token, "#/live")
    for link, heading in [
        ("Campaigns", "Campaigns"),
        ("Calls", "Calls"),
        ("Flow tester", "Flow tester"),
        ("Live calls", "Live calls"),
    ]:
        await page.get_by_role("navigation").get_by_role("link", name=link, exact=True).click()
        await expect(page.get_by_role("heading", level=1, name=heading, exact=True)).to_be_visible()
        await expect(page.get_by_role("navigation").get_by_role("link", name=link, exact=True)).to_have_attribute(
            "aria-current", "page"
        )
    assert violations == []


async def test_a_view_that_cannot_load_is_reported_not_fatal(page, server, client):
    await page.route("**/console/views/tester.js", lambda route: route.fulfill(status=404, body="not here"))
    await open_console(page, server, client.token, "#/tester")
    await expect(page.get_by_role("status")).to_have_text(
        "Flow tester is not available in this version of the console."
    )
    await page.get_by_role("link", name="Calls", exact=True).click()
    await expect(page.get_by_role("heading", level=1, name="Calls", exact=True)).to_be_visible()


async def test_an_unknown_route_or_a_revoked_key_lands_on_sign_in(page, server, client):
    await open_console(page, server, "nn_k_revoked_or_wrong", "#/calls")
    await expect(page).to_have_url(console_url(server, "#/signin"))
    assert await page.evaluate("window.sessionStorage.getItem('voiceai.token')") is None


async def test_a_key_revoked_while_the_console_is_open_signs_out(page, server, client):
    created = await client.graphql('mutation { createApiKey(name: "console") { apiKey key { prefix } } }')
    key = created["data"]["createApiKey"]
    await page.goto(console_url(server, "#/signin"))
    await page.get_by_label("API key or Firebase ID token").fill(key["apiKey"])
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", level=1, name="Live calls")).to_be_visible()
    revoked = await client.graphql(
        "mutation($p: String!) { revokeApiKey(prefix: $p) { revokedAt } }", {"p": key["key"]["prefix"]}
    )
    assert revoked["data"]["revokeApiKey"]["revokedAt"]
    # The next request signs out: the live page's own may already have (the nav is then gone), so go by hash.
    await page.evaluate("window.location.hash = '#/calls'")
    await expect(page).to_have_url(console_url(server, "#/signin"))
    assert await page.evaluate("window.sessionStorage.getItem('voiceai.token')") is None
