"""Debian's Chromium, headless, driven by Playwright: what the Mini App's browser tests open.

`make test` installs /usr/bin/chromium (scripts/ensure-chromium.sh); Playwright's own browser
downloads are never used (`playwright install` cannot reach its servers here, nor in CI).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, async_playwright

CHROMIUM = Path(os.environ.get("NEWSBOT_TEST_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}  # a phone's CSS pixels (iPhone 12-15 class)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Yield a headless Chromium; fail loudly when it is not installed."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: run `bash scripts/ensure-chromium.sh`")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def phone(browser: Browser, *, dark: bool = False) -> AsyncIterator[BrowserContext]:
    """Yield a fresh phone-sized browser context (its own cookies), light or dark."""
    context = await browser.new_context(
        viewport=PHONE,  # type: ignore[arg-type]
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        color_scheme="dark" if dark else "light",
    )
    try:
        yield context
    finally:
        await context.close()
