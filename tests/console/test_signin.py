"""Sign-in: a pasted API key is checked with a query before it is kept (in session storage only); the
organisation's name shows with a sign-out; a wrong key says so and stores nothing."""

from __future__ import annotations

import pytest_asyncio
from playwright.async_api import expect

from app.calls.channels import live_calls
from app.organisations.service import add_member, create_organisation
from tests.calls.conftest import start_call
from tests.console.conftest import TOKEN_KEY, console_url, screenshot_path, until, watched
from tests.fakes.firebase_certs import FakeCertServer

PROJECT = "voiceai-console"


async def stored_token(page):
    return await page.evaluate(f"window.sessionStorage.getItem({TOKEN_KEY!r})")


async def test_a_good_key_signs_in_and_shows_the_organisation(page, server, client):
    await page.goto(console_url(server, "#/live"))
    await expect(page).to_have_url(console_url(server, "#/signin"))  # nothing opens without a key
    await page.get_by_label("API key or Firebase ID token").fill(client.token)
    await page.screenshot(path=screenshot_path("signin"))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_test_id("organisation-name")).to_have_text("Luminary Home")
    await expect(page.get_by_role("heading", name="Live calls")).to_be_visible()
    assert await stored_token(page) == client.token
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert await stored_token(page) is None


async def test_a_wrong_key_is_refused_and_nothing_is_stored(page, server):
    await page.goto(console_url(server, "#/signin"))
    await page.get_by_label("API key or Firebase ID token").fill("nn_k_not_a_real_key")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("Sign-in failed: Invalid or expired token")
    assert await stored_token(page) is None
    await expect(page.get_by_role("navigation")).to_be_hidden()
    await expect(page.get_by_role("button", name="Sign out")).to_be_hidden()


@pytest_asyncio.fixture(scope="module")
async def certs():
    fake = FakeCertServer(PROJECT)
    fake.add_key("k1")
    await fake.start()
    yield fake
    await fake.stop()


async def test_a_members_firebase_id_token_works_like_a_key_live_updates_included(page, start_server, certs):
    server = await start_server(firebase_project_id=PROJECT, firebase_certs_url=certs.url)
    organisation = (await create_organisation("Firebase Console Org")).organisation
    await add_member(organisation.id, "uid-ada", "ada@example.com")
    await page.goto(console_url(server, "#/signin"))
    await page.get_by_label("API key or Firebase ID token").fill(certs.mint("k1", sub="uid-ada", user_id="uid-ada"))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_test_id("organisation-name")).to_have_text("Firebase Console Org")
    await expect(page.get_by_test_id("no-live-calls")).to_be_visible()
    await until(lambda: watched(server.platform, live_calls(organisation.id)))  # the socket took the token
    call_id = await start_call(server.platform, organisation.id)
    await expect(page.locator(f"tr[data-call='{call_id}']")).to_be_visible()
