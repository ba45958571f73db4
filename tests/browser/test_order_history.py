"""The design's example browser test (section 7.1), in Python Playwright against the shop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, expect

import tdm

from ..support import Inspector


@pytest.fixture
def nothing_left(shop: Inspector) -> Iterator[list[tdm.Session]]:
    """Listed before ``tdm_session``, so it checks the shop after tdm's cleanup of the test."""
    sessions: list[tdm.Session] = []
    yield sessions
    for session in sessions:
        assert session.created, "the test created nothing"
        for made in session.created:
            if made.kind == "user":
                assert shop.users(made.label) == [], f"{made.label} is still in the shop"
            if made.kind == "order":
                answer = shop.api.get(f"/api/orders/{made.entity_id}", headers=shop.headers)
                assert answer.status_code == 404, f"order {made.entity_id} is still there"


async def test_user_can_view_their_order_history(
    nothing_left: list[tdm.Session], tdm_session: tdm.Session, browser: Browser, shop: Inspector
) -> None:
    """A user with three orders logs in through the page and sees exactly three order cards."""
    nothing_left.append(tdm_session)
    data = await tdm_session.run("user-with-orders", order_count=3)

    page = await browser.new_page(base_url=shop.thread.backend_url)
    await page.goto("/login")
    await page.fill('[name="email"]', data.user.email)
    await page.fill('[name="password"]', data.user.password)
    await page.click('button[type="submit"]')
    await page.goto("/orders")

    cards = page.locator(".order-card")
    await expect(cards).to_have_count(3)
    for order in data.orders:
        await expect(cards.filter(has_text=order.number)).to_contain_text("delivered")
