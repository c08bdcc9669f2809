"""A crash after "Taking the payment…" leaves a hold that the payment sweep settles later: the
guest is told how their booking ended, whichever way it went."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.reservation.model import Reservation
from main.jobs import Jobs
from tests.integration.helpers import seed_hotel
from tests.integration.test_scheduler import Clocked, clocked  # noqa: F401  (the fixture)

pytestmark = pytest.mark.integration
PAID_GUEST, UNPAID_GUEST = 4343, 4344


async def _hold(w: Clocked, room_id: object, guest: int, days_ahead: int) -> Reservation:
    """Nights held and nothing more, as a process killed during the payment call leaves them."""
    c = w.container
    room = await c.availability.room(room_id)  # type: ignore[arg-type]
    assert room is not None
    check_in = w.clock.now().date() + timedelta(days=days_ahead)
    reservation = Reservation.request(
        room=room,
        guest_id=guest,
        guest_name=f"Guest {guest}",
        check_in=check_in,
        check_out=check_in + timedelta(days=2),
        guests=1,
        now=w.clock.now(),
        policy=c.policy,
    )
    async with c.reservation_uow() as uow:
        await uow.reservations.add(reservation)
        await uow.nights.hold(reservation)
        await uow.commit()
    return reservation


async def test_every_guest_whose_booking_the_sweep_settled_is_told_which_way(clocked: Clocked) -> None:  # noqa: F811
    w = clocked
    c = w.container
    _, (room,) = await seed_hotel(c, sync_catalog=False)
    paid = await _hold(w, room.id, PAID_GUEST, 10)
    unpaid = await _hold(w, room.id, UNPAID_GUEST, 20)
    await c.payments.charge(reservation_id=paid.id, guest_id=PAID_GUEST, amount=paid.total_price, currency="EUR")
    w.clock.advance(timedelta(minutes=10))

    assert await Jobs(c, w.runtime.notifier).settle_payments() == (1, 1)

    told = await w.api.user(PAID_GUEST, "Pia").expect("your booking is made")
    assert "Seaside, room 101" in told.text and "Paid: 200.00 EUR" in told.text
    assert str(paid.check_in) in told.text
    released = await w.api.user(UNPAID_GUEST, "Uno").expect("did not go through")
    assert "Nothing was charged" in released.text and str(unpaid.check_in) in released.text
    # A second sweep finds nothing left to settle and tells nobody again.
    assert await Jobs(c, w.runtime.notifier).settle_payments() == (0, 0)
    await w.api.wait_idle()
    assert len([m for m in w.api.sent if m.chat_id in (PAID_GUEST, UNPAID_GUEST)]) == 2
