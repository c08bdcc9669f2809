"""What goes over the wire: request bodies and answers, in the guests' and managers' words.
Amounts are integers in the currency's minor units (cents; won have none), as everywhere."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")
# Hotels are numbered by the database; Telegram user ids fit in 52 bits.
HotelId = Annotated[int, Path(ge=1, le=2**31 - 1)]
UserId = Annotated[int, Path(ge=1, le=2**52)]
MAX_PAGE = 100
MAX_MINOR = 10**12  # no stay costs more; keeps absurd numbers out before any rule sees them


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    limit: int
    offset: int
    next_offset: int | None = Field(None, description="Ask again from here for more; null: nothing more.")


def page(rows: list[Any], limit: int, offset: int) -> dict[str, Any]:
    """`rows` read with room for one more than the page holds: that one says whether more exist."""
    items = rows[offset : offset + limit]
    more = len(rows) > offset + limit
    return {"items": items, "limit": limit, "offset": offset, "next_offset": offset + limit if more else None}


# --- auth ----------------------------------------------------------------------------------------


class TelegramLogin(Model):
    init_data: str = Field(..., min_length=1, max_length=4096, description="Telegram.WebApp.initData, as given.")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: str


# --- guest ---------------------------------------------------------------------------------------


class HotelOut(BaseModel):
    id: int
    name: str


class NightPrice(BaseModel):
    night: date
    price: int


class RoomOffer(BaseModel):
    room_id: UUID
    number: str
    room_type: str
    capacity: int
    currency: str
    price_per_night: int
    nights: list[NightPrice]
    total: int


class ReservationRequest(Model):
    room_id: UUID
    check_in: date
    check_out: date
    guests: int = Field(..., ge=1, le=100)
    total: int | None = Field(None, ge=0, le=MAX_MINOR, description="The total the guest was shown (else: any).")
    currency: str | None = Field(None, min_length=3, max_length=3)


class ReservationOut(BaseModel):
    reservation_id: UUID
    status: str
    hotel_id: int
    room_id: UUID | None
    check_in: date | None
    check_out: date | None
    guests: int
    total_price: int
    currency: str
    payment_status: str | None = None
    hotel_name: str = ""
    room_number: str = ""
    guest_name: str = ""
    reason: str | None = None
    decided_by_name: str | None = None
    updated_at: datetime | None = None


# --- manager -------------------------------------------------------------------------------------


class RoomOut(BaseModel):
    room_id: UUID
    hotel_id: int
    number: str
    room_type: str
    capacity: int
    price_per_night: int
    in_service: bool
    revision: int


class NewRoom(Model):
    number: str = Field(..., max_length=200)
    room_type: str = Field("double", max_length=200)
    capacity: int = Field(2, ge=-1000, le=1000)
    price_per_night: int = Field(..., ge=-MAX_MINOR, le=MAX_MINOR)


class RoomChange(Model):
    room_type: str | None = Field(None, max_length=200)
    capacity: int | None = Field(None, ge=-1000, le=1000)
    price_per_night: int | None = Field(None, ge=-MAX_MINOR, le=MAX_MINOR)
    in_service: bool | None = None


class Rejection(Model):
    reason: str = Field(..., max_length=2000)


class Decision(BaseModel):
    reservation_id: UUID
    status: str
    decided_by_name: str | None
    reason: str | None


class BoardRoom(BaseModel):
    room_id: UUID
    number: str
    room_type: str
    capacity: int
    price_per_night: int
    currency: str
    in_service: bool


class Board(BaseModel):
    hotel_id: int
    rooms: list[BoardRoom]
    reservations: list[ReservationOut]


# --- a hotel's terms: prices, stay rules, times, the cancellation policy --------------------------
# The API's shapes of domain.shared.terms; the bounds here only keep absurd values out, the rules
# are the domain's (InvalidTerms, 422, says which one).

RuleCount = 200  # lists longer than this are refused before the domain counts them (it allows 50)
SmallInt = Annotated[int, Field(ge=-1000, le=1000)]


class RateIO(Model):
    """A night's price under a rule: an amount of its own, or the room's base price moved by a percentage."""

    amount: int | None = Field(None, ge=-MAX_MINOR, le=MAX_MINOR, description="minor units; or")
    percent: int | None = Field(None, ge=-1000, le=1000, description="e.g. 25 (+25 %) or -10")


class SeasonIO(Model):
    name: str = Field(..., max_length=200)
    first_night: date
    last_night: date = Field(..., description="included")
    rate: RateIO
    room_id: UUID | None = Field(None, description="null: every room of the hotel")


class WeekendRateIO(Model):
    rate: RateIO
    room_id: UUID | None = None


class ExtraGuestsIO(Model):
    included: SmallInt = Field(..., description="guests the room's price includes")
    per_night: int = Field(..., ge=-MAX_MINOR, le=MAX_MINOR, description="each guest beyond them, a night")
    room_id: UUID | None = None


class MinStayIO(Model):
    nights: SmallInt
    arrival_weekday: SmallInt | None = Field(None, description="0 = Monday; or a date range:")
    first_day: date | None = None
    last_day: date | None = None
    room_id: UUID | None = None


class PolicyIO(Model):
    kind: Literal["free_until", "non_refundable"] = "free_until"
    free_days: SmallInt = Field(1, description="free until this many days before check-in (hotel dates)")
    fee: Literal["percent", "first_night"] = Field("first_night", description="what is kept after that")
    percent: SmallInt = Field(100, description="the fee's share of the total, when fee is percent")


class TermsFields(Model):
    seasons: list[SeasonIO] = Field(default_factory=list, max_length=RuleCount)
    weekend_days: list[SmallInt] = Field(default_factory=lambda: [4, 5], max_length=7, description="0 = Monday")
    weekend_rates: list[WeekendRateIO] = Field(default_factory=list, max_length=RuleCount)
    extra_guests: list[ExtraGuestsIO] = Field(default_factory=list, max_length=RuleCount)
    min_nights: SmallInt = 1
    max_nights: SmallInt | None = Field(None, description="null: the system's limit only")
    min_stays: list[MinStayIO] = Field(default_factory=list, max_length=RuleCount)
    check_in_time: str = Field("15:00", max_length=8, description="HH:MM, hotel time")
    check_out_time: str = Field("11:00", max_length=8)
    policy: PolicyIO = Field(
        default_factory=lambda: PolicyIO(kind="free_until", free_days=1, fee="first_night", percent=100)
    )


class TermsChange(TermsFields):
    """The hotel's terms, whole, as they should be; `expected_revision` is the revision they were
    read at (GET): when another change came first, nothing is overwritten (409)."""

    expected_revision: int = Field(..., ge=0, le=2**31 - 1)


class TermsOut(TermsFields):
    hotel_id: int
    currency: str
    revision: int = Field(..., description="send it back as expected_revision with a change")


class StayOut(BaseModel):
    reservation_id: UUID
    hotel_id: int
    stay: str = Field(..., description="expected, checked_in, checked_out, no_show")
    on: date | None = Field(None, description="the hotel-local day of the last check-in/out or no-show")


# --- admin ---------------------------------------------------------------------------------------


class NewHotel(Model):
    name: str = Field(..., max_length=200)
    city: str = Field(..., max_length=200)
    timezone: str = Field("UTC", max_length=64)
    currency: str = Field("EUR", max_length=8)


class HotelDetail(BaseModel):
    id: int
    name: str
    city: str
    timezone: str
    currency: str
    managers: list[int]


class ManagerChange(BaseModel):
    hotel_id: int
    user_id: int
    manager: bool


class DeadLetter(BaseModel):
    consumer: str
    type: str | None = None
    event_id: str | None = None
    attempts: int | None = None
    error: str | None = None


class Replayed(BaseModel):
    consumer: str
    replayed: int


# --- Mini App: the guest's calendar and the managers' occupancy grid ------------------------------


class DayOffer(BaseModel):
    night: date
    free: bool = Field(..., description="Bookable: in service, not held, not in the past nor past the horizon.")
    price: int


class RoomCalendar(BaseModel):
    room_id: UUID
    number: str
    room_type: str
    capacity: int
    currency: str
    price_per_night: int
    guests_included: int | None = Field(
        None, description="Guests the nightly price includes; each one beyond costs extra_guest_per_night more a night"
    )
    extra_guest_per_night: int = 0
    nights: list[DayOffer]


class HotelCalendar(BaseModel):
    hotel_id: int
    timezone: str
    today: date = Field(..., description="Today at the hotel.")
    start: date
    days: int
    max_nights: int
    checkout: str = Field(
        ..., description="page: POST /reservations takes the payment; chat: POST /checkouts sends an invoice there"
    )
    rooms: list[RoomCalendar]


class CheckoutOut(BaseModel):
    reservation_id: UUID
    status: str = Field("held", description="The nights are held until expires_at; the invoice is in the chat.")
    total_price: int
    currency: str
    expires_at: datetime


class GridCell(BaseModel):
    night: date
    state: str = Field(..., description="free, held (being paid), awaiting (a decision), confirmed, out_of_service")
    reservation_id: UUID | None = None


class GridRoom(BaseModel):
    room_id: UUID
    number: str
    room_type: str
    in_service: bool
    cells: list[GridCell]


class OccupancyGrid(BaseModel):
    hotel_id: int
    hotel_name: str
    timezone: str
    today: date = Field(..., description="Today at the hotel.")
    start: date
    days: int
    rooms: list[GridRoom]
    reservations: list[ReservationOut] = Field(..., description="The reservations the cells name (paid ones).")


class ManagedHotel(BaseModel):
    id: int
    name: str
    timezone: str
