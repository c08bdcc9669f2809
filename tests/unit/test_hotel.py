from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from consumers import hotel as hotel_consumer
from domain.hotel import commands as hc
from domain.hotel import handlers as hotel
from domain.hotel.events import (
    ApprovalRequested,
    ApprovalWithdrawn,
    ReservationApproved,
    ReservationRejectedByHotel,
    RoomCreated,
    RoomUpdated,
)
from domain.hotel.model import ApprovalStatus
from domain.reservation.events import ReservationCancelled, ReservationPlaced
from domain.shared import errors
from tests.unit.conftest import GUEST, MANAGER, World

OTHER_MANAGER = 600


async def test_an_admin_adds_a_hotel_and_bad_settings_are_refused(world: World) -> None:
    with pytest.raises(errors.UnknownTimezone):
        await hotel.add_hotel(hc.AddHotel(name="X", city="Y", timezone="Mars/Base", currency="EUR"), world.hotel_uow)
    with pytest.raises(errors.UnknownCurrency):
        await hotel.add_hotel(hc.AddHotel(name="X", city="Y", timezone="UTC", currency="EURO"), world.hotel_uow)
    with pytest.raises(errors.TextEmpty, match="hotel_name"):
        await hotel.add_hotel(hc.AddHotel(name="  ", city="Y", timezone="UTC", currency="EUR"), world.hotel_uow)
    h = await hotel.add_hotel(
        hc.AddHotel(name="  Grand   Hotel ", city="Rome", timezone="Europe/Rome", currency="eur"), world.hotel_uow
    )
    assert (h.name, h.currency) == ("Grand Hotel", "EUR")


async def test_a_manager_creates_a_room_and_the_catalog_hears_of_it(world: World) -> None:
    room = await world.add_room(number="202", capacity=4, price=25_000)
    created = world.hotel_uow.outbox[-1]
    assert isinstance(created, RoomCreated)
    assert (created.room_id, created.number, created.capacity, created.revision) == (room.id, "202", 4, 1)
    assert created.timezone == "Asia/Seoul" and created.hotel_name == "Seaside"


@pytest.mark.parametrize(
    ("capacity", "price", "error"),
    [
        (0, 100, errors.RoomCapacityOutOfRange),
        (21, 100, errors.RoomCapacityOutOfRange),
        (2, 0, errors.RoomPriceNotPositive),
        (2, 100_000_001, errors.RoomPriceTooHigh),
    ],
)
async def test_a_room_must_make_sense(world: World, capacity: int, price: int, error: type) -> None:
    with pytest.raises(error):
        await world.add_room(number="9", capacity=capacity, price=price)


async def test_room_numbers_are_unique_per_hotel(world: World) -> None:
    with pytest.raises(errors.RoomNumberTaken):
        await world.add_room(number="101")


async def test_only_the_hotels_managers_run_its_rooms(world: World) -> None:
    with pytest.raises(errors.NotAllowed):
        await hotel.create_room(
            hc.CreateRoom(
                hotel_id=world.hotel_id,
                number="7",
                room_type="single",
                capacity=1,
                price_per_night=100,
                actor_id=OTHER_MANAGER,
            ),
            world.hotel_uow,
        )
    with pytest.raises(errors.NotAllowed):
        await hotel.update_room(
            hc.UpdateRoom(
                room_id=world.room.id,
                price_per_night=1,  # type: ignore[union-attr]
                actor_id=OTHER_MANAGER,
            ),
            world.hotel_uow,
        )


async def test_updating_a_room_bumps_its_revision(world: World) -> None:
    room = await hotel.update_room(
        hc.UpdateRoom(room_id=world.room.id, price_per_night=12_000, in_service=False, actor_id=MANAGER),  # type: ignore[union-attr]
        world.hotel_uow,
    )
    updated = world.hotel_uow.outbox[-1]
    assert isinstance(updated, RoomUpdated)
    assert (room.revision, updated.price_per_night, updated.in_service) == (2, 12_000, False)
    with pytest.raises(errors.NotFound):
        await hotel.update_room(hc.UpdateRoom(room_id=uuid4(), capacity=1), world.hotel_uow)


async def test_granting_and_revoking_the_manager_role(world: World) -> None:
    await hotel.grant_manager(hc.GrantManager(hotel_id=world.hotel_id, user_id=OTHER_MANAGER), world.hotel_uow)
    assert OTHER_MANAGER in world.hotel_uow.store["hotels"][world.hotel_id].managers
    assert await hotel.revoke_manager(hc.RevokeManager(hotel_id=world.hotel_id, user_id=OTHER_MANAGER), world.hotel_uow)
    assert not await hotel.revoke_manager(
        hc.RevokeManager(hotel_id=world.hotel_id, user_id=OTHER_MANAGER), world.hotel_uow
    )
    with pytest.raises(errors.NotFound):
        await hotel.grant_manager(hc.GrantManager(hotel_id=999, user_id=1), world.hotel_uow)


def _placed(world: World, reservation_id: UUID | None = None) -> ReservationPlaced:
    assert world.room is not None
    return ReservationPlaced(
        reservation_id=reservation_id or uuid4(),
        guest_id=GUEST,
        guest_name="Ann",
        hotel_id=world.hotel_id,
        hotel_name="Seaside",
        room_id=world.room.id,
        room_number="101",
        check_in=date(2026, 12, 10),
        check_out=date(2026, 12, 12),
        guests=2,
        total_price=20_000,
        currency="KRW",
        payment_id=uuid4(),
    )


async def _request(world: World) -> ReservationPlaced:
    placed = _placed(world)
    async with world.hotel_uow as uow:
        await hotel_consumer.placed(placed, uow)
        await hotel_consumer.placed(placed, uow)  # a redelivery records nothing new
        await uow.commit()
    return placed


async def test_a_manager_approves_a_request_once(world: World) -> None:
    placed = await _request(world)
    approve = hc.ApproveReservation(reservation_id=placed.reservation_id, manager_id=MANAGER, manager_name="Mia")
    request = await hotel.approve_reservation(approve, world.hotel_uow, world.clock)
    assert request.status is ApprovalStatus.APPROVED and request.decided_by == MANAGER
    assert isinstance(world.hotel_uow.outbox[-1], ReservationApproved)
    with pytest.raises(errors.AlreadyDecided) as refused:
        await hotel.approve_reservation(approve, world.hotel_uow, world.clock)
    assert refused.value.params == {"status": "approved"}
    with pytest.raises(errors.AlreadyDecided):
        await hotel.reject_reservation(
            hc.RejectReservation(
                reservation_id=placed.reservation_id, manager_id=MANAGER, manager_name="M", reason="x"
            ),
            world.hotel_uow,
            world.clock,
        )
    assert len([e for e in world.hotel_uow.outbox if isinstance(e, ReservationApproved)]) == 1


async def test_a_manager_rejects_with_a_reason(world: World) -> None:
    placed = await _request(world)
    with pytest.raises(errors.InvalidInput):
        await hotel.reject_reservation(
            hc.RejectReservation(
                reservation_id=placed.reservation_id, manager_id=MANAGER, manager_name="M", reason=" "
            ),
            world.hotel_uow,
            world.clock,
        )
    await hotel.reject_reservation(
        hc.RejectReservation(
            reservation_id=placed.reservation_id,
            manager_id=MANAGER,
            manager_name="M",
            reason="Fully booked for a wedding",
        ),
        world.hotel_uow,
        world.clock,
    )
    rejected = world.hotel_uow.outbox[-1]
    assert isinstance(rejected, ReservationRejectedByHotel) and rejected.reason == "Fully booked for a wedding"


async def test_another_hotels_manager_cannot_decide(world: World) -> None:
    placed = await _request(world)
    with pytest.raises(errors.NotAllowed):
        await hotel.approve_reservation(
            hc.ApproveReservation(reservation_id=placed.reservation_id, manager_id=OTHER_MANAGER, manager_name="X"),
            world.hotel_uow,
            world.clock,
        )
    assert world.hotel_uow.store["approvals"][placed.reservation_id].status is ApprovalStatus.PENDING


async def test_a_request_the_guest_cancelled_cannot_be_approved(world: World) -> None:
    placed = await _request(world)
    async with world.hotel_uow as uow:
        await hotel_consumer.cancelled(
            ReservationCancelled(reservation_id=placed.reservation_id, guest_id=GUEST, hotel_id=world.hotel_id), uow
        )
        await uow.commit()
    with pytest.raises(errors.AlreadyDecided, match="withdrawn"):
        await hotel.approve_reservation(
            hc.ApproveReservation(reservation_id=placed.reservation_id, manager_id=MANAGER, manager_name="Mia"),
            world.hotel_uow,
            world.clock,
        )


async def test_deciding_an_unknown_reservation_is_refused(world: World) -> None:
    with pytest.raises(errors.NotFound):
        await hotel.approve_reservation(
            hc.ApproveReservation(reservation_id=uuid4(), manager_id=MANAGER, manager_name="Mia"),
            world.hotel_uow,
            world.clock,
        )


async def test_a_cancellation_that_overtakes_its_reservation_still_withdraws_the_request(world: World) -> None:
    rid = uuid4()
    async with world.hotel_uow as uow:
        await hotel_consumer.cancelled(
            ReservationCancelled(reservation_id=rid, guest_id=GUEST, hotel_id=world.hotel_id), uow
        )
        await uow.commit()
    placed = _placed(world, rid)
    async with world.hotel_uow as uow:
        await hotel_consumer.placed(placed, uow)
        await uow.commit()
    assert world.hotel_uow.store["approvals"][rid].status is ApprovalStatus.WITHDRAWN


async def test_an_opened_request_is_announced_to_the_managers_once(world: World) -> None:
    placed = await _request(world)  # delivered twice
    announced = [e for e in world.hotel_uow.outbox if isinstance(e, ApprovalRequested)]
    assert [(e.reservation_id, e.hotel_name, e.total_price) for e in announced] == [
        (placed.reservation_id, "Seaside", 20_000)
    ]


async def test_a_request_withdrawn_before_it_arrived_is_never_announced(world: World) -> None:
    rid = uuid4()
    async with world.hotel_uow as uow:
        await hotel_consumer.cancelled(ReservationCancelled(reservation_id=rid, guest_id=GUEST, hotel_id=1), uow)
        await hotel_consumer.placed(_placed(world, rid), uow)
        await uow.commit()
    assert not [e for e in world.hotel_uow.outbox if isinstance(e, ApprovalRequested | ApprovalWithdrawn)]


async def test_a_guest_cancelling_after_the_approval_marks_the_request_cancelled_and_says_so(world: World) -> None:
    placed = await _request(world)
    approve = hc.ApproveReservation(reservation_id=placed.reservation_id, manager_id=MANAGER, manager_name="Mia")
    await hotel.approve_reservation(approve, world.hotel_uow, world.clock)
    cancelled = ReservationCancelled(reservation_id=placed.reservation_id, guest_id=GUEST, hotel_id=world.hotel_id)
    for _ in range(2):  # a redelivery says nothing new
        async with world.hotel_uow as uow:
            await hotel_consumer.cancelled(cancelled, uow)
            await uow.commit()
    request = world.hotel_uow.store["approvals"][placed.reservation_id]
    assert request.status is ApprovalStatus.CANCELLED and request.decided_by_name == "Mia"
    assert request.withdrawn_at is not None
    told = [e for e in world.hotel_uow.outbox if isinstance(e, ApprovalWithdrawn)]
    assert [e.previous_status for e in told] == ["approved"]


async def test_a_pending_request_the_guest_cancels_is_withdrawn_and_says_so(world: World) -> None:
    placed = await _request(world)
    async with world.hotel_uow as uow:
        await hotel_consumer.cancelled(
            ReservationCancelled(reservation_id=placed.reservation_id, guest_id=GUEST, hotel_id=world.hotel_id), uow
        )
        await uow.commit()
    assert world.hotel_uow.store["approvals"][placed.reservation_id].status is ApprovalStatus.WITHDRAWN
    told = [e for e in world.hotel_uow.outbox if isinstance(e, ApprovalWithdrawn)]
    assert [e.previous_status for e in told] == ["pending"]
