"""With Telegram Payments (PAYMENT_PROVIDER=telegram) the page does not take the money: it holds the
nights and hands over to the chat, where the invoice waits; paying it there gives the chat's receipt
and the managers' request, as for a booking made in the chat."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from playwright.async_api import expect

from tests.api.conftest import GUEST, MANAGER
from tests.e2e.test_telegram_payments import PROVIDER_TOKEN, pay
from tests.miniapp.conftest import PUBLIC, chat_user, live_mini_app, seoul_today, show_day
from tests.stripe_stub import StripeStub

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


async def test_with_telegram_payments_the_page_hands_over_to_the_invoice_in_the_chat(sqlite_url: str) -> None:
    stripe = StripeStub()
    await stripe.start()
    settings = {
        "database_url": sqlite_url,
        "payment_provider": "telegram",
        "telegram_payment_provider_token": PROVIDER_TOKEN,
        "stripe_api_key": stripe.api_key,
        "stripe_api_base": stripe.base_url,
        "payload_secret": "test-secret",
    }
    try:
        async with live_mini_app(**settings) as app:
            manager = await chat_user(app, MANAGER, "Mia")
            guest = await chat_user(app, GUEST, "Gus")
            page = await app.open(PUBLIC, (GUEST, "Gus"))
            check_in = seoul_today() + timedelta(days=5)
            await (await show_day(page, check_in)).click()
            await (await show_day(page, check_in + timedelta(days=2))).click()
            await page.click('#rooms [data-room="101"]')
            await expect(page.locator("#book")).to_have_text("Pay in the chat")
            await page.click("#book")
            await expect(page.locator("#message")).to_contain_text("pay with the invoice in the chat")
            code = (await page.locator("#message").inner_text()).split("Reservation ")[1].split(":")[0]

            for _ in range(200):
                if app.api.invoices(GUEST):
                    break
                await asyncio.sleep(0.05)
            [invoice] = app.api.invoices(GUEST)
            assert invoice.invoice is not None and invoice.invoice["total_amount"] == 240_000
            # The nights are held meanwhile: the page no longer offers room 101 for them.
            await page.reload()
            await (await show_day(page, check_in)).click()
            await (await show_day(page, check_in + timedelta(days=2))).click()
            await expect(page.locator('#rooms [data-room="102"]')).to_be_visible()
            await expect(page.locator('#rooms [data-room="101"]')).to_have_count(0)

            # The managers' grid shows those nights as held while the guest pays.
            grid = await app.open(f"{PUBLIC}grid.html?hotel={app.hotel_id}", (MANAGER, "Mia"))
            cell = grid.locator(f'#grid tr[data-room="101"] td[data-night="{check_in}"]')
            await expect(cell).to_have_attribute("data-state", "held")
            await cell.locator("button").click()
            await expect(grid.locator("#sheet-note")).to_contain_text("held while the guest pays")
            await expect(grid.locator("#decide")).to_be_hidden()

            _, _, receipt = await pay(guest, invoice)
            assert code in receipt.text and "Seaside Inn" in receipt.text
            await manager.expect(f"New reservation {code}", timeout=20)
            await expect(cell).to_have_attribute("data-state", "awaiting", timeout=20_000)  # it polls
            await page.context.close()
            await grid.context.close()
    finally:
        await stripe.stop()
