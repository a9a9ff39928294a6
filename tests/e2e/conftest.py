"""End-to-end fixtures: real SMTP servers, real fedianon processes, headless Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.support.browser import ARGS, CHROMIUM
from tests.support.smtp import SmtpSink

pytestmark = pytest.mark.e2e


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=ARGS
        )
        yield instance
        await instance.close()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
