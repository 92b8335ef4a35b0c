"""The Mini App in real headless Chromium, as Telegram opens it: initData in the URL fragment.

One flow per test: open with valid initData, read the digest, open an article, search (and
Alert me), browse the archive and sources, change the digest time and see /settings in the
chat (the real bot, polling the fake Bot API) show it. A phone-size screenshot of each page
goes to artifacts/screens/ (gitignored; README's docs/screens/ are copies of them).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Page, expect

from harness.browser import chromium, phone
from news.settings import Settings
from news.storage.db import Store
from tests.bot.conftest import Clock, running_bot, say
from tests.web.conftest import USER, Web, add_story, subscribe_chat

pytestmark = pytest.mark.slow  # starts Chromium

SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
THEME = {"bg_color": "#ffffff", "text_color": "#222222", "button_color": "#3390ec"}
DARK = {
    "bg_color": "#212121",
    "secondary_bg_color": "#181818",
    "text_color": "#ffffff",
    "hint_color": "#aaaaaa",
    "link_color": "#8774e1",
    "button_color": "#8774e1",
    "button_text_color": "#ffffff",
}


def app_url(web: Web, init_data: str, theme: dict[str, str]) -> str:
    """Return the address Telegram opens: the app, initData and theme in the fragment."""
    fragment = f"tgWebAppData={quote(init_data)}&tgWebAppThemeParams={quote(json.dumps(theme))}"
    return f"{web.url}/app/#{fragment}&tgWebAppVersion=8.0&tgWebAppPlatform=android"


async def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=False)


async def stories(web: Web) -> dict[str, int]:
    # Seconds before now: today's on any clock; yesterday's two hours before midnight.
    now = datetime.now(UTC) - timedelta(seconds=2)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    await subscribe_chat(web.store, USER)
    ids = {
        "bridge": await add_story(
            web.store,
            now - timedelta(microseconds=20),
            "Harbour bridge reopens after repairs",
            text="The harbour bridge reopened on Monday.\nEngineers replaced the cables.",
        ),
        "council": await add_story(
            web.store,
            now,
            "City council backs night buses",
            feed_url="https://city.example/rss",
            feed_title="City Desk",
        ),
        "old": await add_story(web.store, midnight - timedelta(hours=2), "Yesterday's market"),
    }
    return ids


async def test_open_read_search_and_change_settings(
    web: Web, settings: Settings, store: Store
) -> None:
    ids = await stories(web)
    async with chromium() as browser, phone(browser) as context:
        page = await context.new_page()
        await page.goto(app_url(web, web.init_data(), THEME))
        await page.wait_for_url(f"**/app/c/{USER}/digest")
        await expect(page.locator("h1")).to_have_text("Today")
        await expect(
            page.get_by_role("link", name="Harbour bridge reopens after repairs")
        ).to_be_visible()
        await expect(
            page.get_by_text("Summary of City council backs night buses.")
        ).to_be_visible()
        # Telegram's theme colour reached the CSS variables.
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(255, 255, 255)"
        await shot(page, "digest")

        await page.get_by_role("link", name="Harbour bridge reopens after repairs").click()
        await page.wait_for_url(f"**/article/{ids['bridge']}")
        await expect(page.get_by_role("heading", name="Full text")).to_be_visible()
        await expect(page.get_by_text("Engineers replaced the cables.")).to_be_visible()
        await expect(page.get_by_role("link", name="Read the original")).to_have_attribute(
            "href", "https://example.com/" + str(abs(hash("Harbour bridge reopens after repairs")))
        )
        await shot(page, "article")

        await page.get_by_role("link", name="Search").click()
        await page.get_by_label("Words to find").fill("council")
        await page.get_by_label("Words to find").press("Enter")
        await expect(
            page.get_by_role("link", name="City council backs night buses")
        ).to_be_visible()
        await expect(page.locator("mark").first).to_have_text("council", ignore_case=True)
        await shot(page, "search")
        await page.get_by_role("button", name="Alert me").click()
        await expect(page.get_by_role("status")).to_contain_text("Alert saved")

        await page.get_by_role("link", name="Archive").click()
        await shot(page, "archive")
        await page.locator("ul.days a").nth(1).click()
        await expect(page.get_by_role("link", name="Yesterday's market")).to_be_visible()

        await page.get_by_role("link", name="Sources").click()
        await expect(page.get_by_role("heading", name="City Desk")).to_be_visible()
        await shot(page, "sources")

        async with running_bot(web.settings, store, web.api, Clock(datetime.now(UTC))):
            await page.get_by_role("link", name="Settings").click()
            await page.get_by_label("Digest time", exact=True).fill("07:15")
            await page.get_by_label("Time zone").fill("Europe/Berlin")
            await page.get_by_role("button", name="Save").click()
            await expect(page.get_by_role("status")).to_contain_text("Saved")
            await expect(page.get_by_label("Digest time", exact=True)).to_have_value("07:15")
            await shot(page, "settings")
            [chat_settings] = await say(web.api, USER, "/settings")
        assert "07:15" in chat_settings
        assert "Europe/Berlin" in chat_settings


async def test_dark_theme_and_keyboard_focus(web: Web) -> None:
    await stories(web)
    async with chromium() as browser, phone(browser, dark=True) as context:
        page = await context.new_page()
        await page.goto(app_url(web, web.init_data(), DARK))
        await page.wait_for_url("**/digest")
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(33, 33, 33)"
        await page.keyboard.press("Tab")  # the skip link comes first
        assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
        await shot(page, "digest-dark")
        # The theme carries over to the next page (kept for the tab's session).
        await page.get_by_role("link", name="Archive").click()
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(33, 33, 33)"


async def test_browser_refuses_forged_and_replayed_init_data(web: Web) -> None:
    data = web.init_data()
    async with chromium() as browser:
        async with phone(browser) as first:
            page = await first.new_page()
            await page.goto(app_url(web, data, THEME))
            await page.wait_for_url("**/digest")
        async with phone(browser) as second:
            page = await second.new_page()
            await page.goto(app_url(web, data, THEME))
            await expect(page.get_by_role("alert")).to_contain_text("used already")
            page = await second.new_page()  # a new fragment alone would not reload the page
            await page.goto(app_url(web, web.init_data().replace("Ann", "Eve"), THEME))
            await expect(page.get_by_role("alert")).to_contain_text("not valid")
            await page.goto(f"{web.url}/app/c/{USER}/digest")
            await expect(page.locator("#error")).to_contain_text("Open this app from the bot")


async def test_script_in_a_feed_title_does_not_run(web: Web) -> None:
    await subscribe_chat(web.store, USER)
    await add_story(
        web.store,
        datetime.now(UTC),
        '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>',
        url="javascript:document.title='pwned'",
    )
    async with chromium() as browser, phone(browser) as context:
        page = await context.new_page()
        errors: list[str] = []
        page.on("dialog", lambda dialog: errors.append(dialog.message))
        await page.goto(app_url(web, web.init_data(), THEME))
        await page.wait_for_url("**/digest")
        await page.locator("ol.stories a").first.click()
        await page.wait_for_url("**/article/*")
        assert await page.title() != "pwned"
        assert await page.locator("a.original").count() == 0  # javascript: shown as text
        await expect(page.locator(".inert code")).to_contain_text("javascript:")
        assert errors == []
