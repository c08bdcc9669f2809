"""Night by night: the guest's calendar (free or not, and the price) and the managers' grid
(the state of every room on every night), built from the catalog and the held nights."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from api.schemas import DayOffer, GridCell, GridRoom, RoomCalendar
from domain.reservation.model import CatalogRoom
from domain.shared.terms import HotelTerms

# What a held night shows on the grid, by the status of the reservation holding it.
STATES = {"pending_payment": "held", "placed": "awaiting", "confirmed": "confirmed"}

Held = dict[tuple[UUID, date], tuple[UUID, str]]


def days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]


def held_map(rows: list[tuple[UUID, date, UUID, str]]) -> Held:
    return {(room_id, night): (reservation_id, status) for room_id, night, reservation_id, status in rows}


def calendar(
    rooms: list[CatalogRoom],
    held: Held,
    nights: list[date],
    today: date,
    last: date,
    terms: HotelTerms | None = None,
) -> list[RoomCalendar]:
    """Rooms in service; a night is free when nobody holds it and it may be booked today. A
    night's price is the hotel's for that night (a season, a weekend night, else the room's own);
    guests beyond those included add the room's extra-guest price to every night."""
    terms = terms or HotelTerms()
    return [
        RoomCalendar(
            room_id=room.room_id,
            number=room.number,
            room_type=room.room_type,
            capacity=room.capacity,
            currency=room.currency,
            price_per_night=room.price_per_night,
            guests_included=extra.included if (extra := terms.extra_guests_for(room.room_id)) else None,
            extra_guest_per_night=extra.per_night if extra else 0,
            nights=[
                DayOffer(
                    night=n,
                    free=(room.room_id, n) not in held and today <= n <= last,
                    price=terms.night_price(room.room_id, room.price_per_night, n)[0],
                )
                for n in nights
            ],
        )
        for room in rooms
        if room.in_service
    ]


def grid(rooms: list[CatalogRoom], held: Held, nights: list[date]) -> list[GridRoom]:
    out = []
    for room in rooms:
        cells = []
        for n in nights:
            found = held.get((room.room_id, n))
            if found is not None:
                cells.append(GridCell(night=n, state=STATES.get(found[1], "held"), reservation_id=found[0]))
            else:
                cells.append(GridCell(night=n, state="free" if room.in_service else "out_of_service"))
        out.append(
            GridRoom(
                room_id=room.room_id,
                number=room.number,
                room_type=room.room_type,
                in_service=room.in_service,
                cells=cells,
            )
        )
    return out
