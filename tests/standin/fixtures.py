"""Pytest fixtures for the stand-in (registered via ``pytest_plugins`` in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .core import StandIn


@pytest_asyncio.fixture
async def standin() -> AsyncIterator[StandIn]:
    """A started stand-in with the predefined guild; stopped after the test."""
    fake_discord = StandIn()
    await fake_discord.start()
    try:
        yield fake_discord
    finally:
        await fake_discord.stop()
