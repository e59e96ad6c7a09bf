"""The console in a real browser: Debian's Chromium driven by Playwright, with a fake microphone that
plays a WAV file of speech, against the same loopback server as the rest of the suite."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.voice.speech import fresh_spoken

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The screenshots in docs/console/ are refreshed with VOICEAI_SCREENSHOTS=1; ordinary runs keep them in a
# temporary folder so a test run never rewrites tracked files.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "console"
    if os.environ.get("VOICEAI_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "voiceai-console-screenshots"
)
TOKEN_KEY = "voiceai.token"

# Flags that keep Chromium off the (closed) network and let pages use the microphone without a prompt.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


@pytest.fixture(scope="session")
def microphone_wav(data_dir: Path) -> Path:
    """What the fake microphone says: one caller turn, then enough silence to end it. Chromium loops
    the file, so the silence also keeps the agent from hearing a second turn straight away."""
    rate = 16000
    speech = fresh_spoken("yes I am interested please tell me more", rate)
    path = data_dir / "microphone.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * (rate // 2) + speech + b"\0\0" * (rate * 6))
    return path


@pytest_asyncio.fixture(scope="session")
async def browser(microphone_wav: Path) -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-audio-capture={microphone_wav}"],
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    created = await browser.new_context(viewport={"width": 1280, "height": 860})
    created.set_default_timeout(15_000)
    yield created
    await created.close()


@pytest_asyncio.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    """A fresh tab whose console errors fail the test: a broken script must not pass silently."""
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def console_url(server, route: str = "") -> str:
    """The console of a running test server, at a hash route such as `#/live`."""
    return server.url("/console/") + route


async def open_console(page: Page, server, token: str, route: str = "#/live") -> Page:
    """Opens the console already signed in (the token in session storage, as the sign-in page leaves it)."""
    await page.add_init_script(f"window.sessionStorage.setItem({TOKEN_KEY!r}, {token!r})")
    await page.goto(console_url(server, route))
    return page


async def until(predicate, timeout: float = 5.0) -> None:
    """Waits (without blocking the loop the server shares) until `predicate()` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def watched(platform, channel: str) -> bool:
    """True once a subscriber — the page's GraphQL subscription — listens on the bus channel."""
    return bool(platform.bus._subscribers.get(channel))
