"""The wire contract of every event, checked on both sides: what the producers emit validates
against the committed schema of its type and version, and every consumer reads a document built
from that schema. A renamed or retyped field fails here, not in production."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import jsonschema
import pytest

from consumers import HEARD, TOPOLOGY
from consumers import hotel as hotel_consumer
from consumers import payment as payment_consumer
from consumers import reservation as reservation_consumer
from domain.hotel import commands as hc
from domain.hotel import handlers as hotel
from domain.payment.events import PaymentRefunded
from domain.reservation import handlers as reservation
from domain.reservation.commands import CancelReservation
from domain.reservation.events import ReservationCancelled, ReservationPlaced
from domain.shared.events import Event
from domain.shared.terms import (
    CancellationPolicy,
    ExtraGuests,
    HotelTerms,
    MinStay,
    Rate,
    Season,
    WeekendRate,
)
from domain.view.model import project_reservation
from infra.messaging.codec import decode, encode
from infra.messaging.contracts import SCHEMAS, load, schema_path
from tests.unit.conftest import GUEST, MANAGER, World

CHECKER = jsonschema.FormatChecker()


class _Bus:
    """Carries each context's events to the consumers that take them, once each, as the bus would."""

    def __init__(self, w: World) -> None:
        self.w, self.delivered = w, set[tuple[str, UUID]]()

    def _new(self, consumer: str, events: list[Event], takes: tuple[type[Event], ...]) -> list[Event]:
        fresh = [e for e in events if isinstance(e, takes) and (consumer, e.event_id) not in self.delivered]
        self.delivered.update((consumer, e.event_id) for e in fresh)
        return fresh

    async def run(self) -> None:
        w = self.w
        for event in self._new("reservation", w.hotel_uow.outbox, reservation_consumer.EVENTS):
            async with w.reservation_uow as uow:
                await reservation_consumer.POLICIES[type(event)](event, uow)
                await uow.commit()
        for event in self._new("hotel", w.reservation_uow.outbox, hotel_consumer.EVENTS):
            async with w.hotel_uow as uow:
                await hotel_consumer.POLICIES[type(event)](event, uow)
                await uow.commit()
        for event in self._new("payment", w.reservation_uow.outbox, payment_consumer.EVENTS):
            await payment_consumer.refund(event, w.payment_uow, w.provider, w.clock)


async def _everything_the_producers_emit(w: World) -> list[Event]:
    """One of every event, each with every optional part of its payload filled where it can be:
    a stay priced by a season, a weekend price and an extra guest; a cancellation inside the
    fee window; a rejection; a stay checked in and out early; a no-show."""
    room = w.room
    assert room is not None
    bus = _Bus(w)
    await hotel.update_room(hc.UpdateRoom(room_id=room.id, price_per_night=11_000, actor_id=MANAGER), w.hotel_uow)
    terms = HotelTerms(
        seasons=(Season("Christmas Eve", date(2026, 12, 24), date(2026, 12, 24), Rate(amount=20_000), room.id),),
        weekend_rates=(WeekendRate(Rate(percent=25)),),
        extra_guests=(ExtraGuests(included=1, per_night=3_000),),
        min_stays=(MinStay(2, arrival_weekday=4), MinStay(3, first_day=date(2026, 12, 30), last_day=date(2027, 1, 1))),
        max_nights=14,
        policy=CancellationPolicy(free_days=7, fee="percent", percent=30),
    )
    await hotel.change_terms(
        hc.ChangeTerms(hotel_id=w.hotel_id, terms=terms, expected_revision=0, actor_id=MANAGER), w.hotel_uow
    )
    await bus.run()
    kept = await w.place(check_in=date(2026, 12, 5))  # cancelled later, inside the fee window
    turned_down = await w.place(check_in=date(2026, 12, 14))
    staying = await w.place(check_in=date(2026, 12, 23), nights=4)  # Wed base, Thu season, Fri+Sat weekend
    absent = await w.place(check_in=date(2026, 12, 28), nights=2, guests=1)
    await bus.run()
    for decided in (kept, staying, absent):
        await hotel.approve_reservation(
            hc.ApproveReservation(reservation_id=decided.id, manager_id=MANAGER, manager_name="Mia"),
            w.hotel_uow,
            w.clock,
        )
    await hotel.reject_reservation(
        hc.RejectReservation(reservation_id=turned_down.id, manager_id=MANAGER, manager_name="Mia", reason="full"),
        w.hotel_uow,
        w.clock,
    )
    await bus.run()
    await reservation.cancel_reservation(
        CancelReservation(reservation_id=kept.id, guest_id=GUEST), w.reservation_uow, w.clock
    )
    await bus.run()
    stay = {"reservation_id": staying.id, "manager_id": MANAGER, "manager_name": "Mia"}
    w.clock.set(datetime(2026, 12, 23, 6, tzinfo=UTC))
    await hotel.check_in_guest(hc.CheckInGuest(**stay), w.hotel_uow, w.clock)
    w.clock.set(datetime(2026, 12, 25, 2, tzinfo=UTC))  # two nights early
    await hotel.check_out_guest(hc.CheckOutGuest(**stay), w.hotel_uow, w.clock)
    await hotel.mark_no_shows(hc.MarkNoShows(now=datetime(2026, 12, 29, 3, tzinfo=UTC), hour=12), w.hotel_uow)
    await bus.run()
    return [*w.hotel_uow.outbox, *w.reservation_uow.outbox, *w.payment_uow.outbox]


async def test_every_event_a_producer_emits_matches_its_committed_schema(world: World) -> None:
    emitted = await _everything_the_producers_emit(world)
    assert {type(e) for e in emitted} == set(Event.registry.values())  # every event type was produced
    # the optional parts of the payloads are there too, for the schemas to check them
    lines = [line for e in emitted if isinstance(e, ReservationPlaced) for line in e.price_lines or []]
    assert {line["kind"] for line in lines} == {"base", "season", "weekend", "extra_guests"}
    assert [e.fee for e in emitted if isinstance(e, ReservationCancelled)] == [9_225]  # 30 % of 30,750
    assert sorted(e.kept for e in emitted if isinstance(e, PaymentRefunded)) == [0, 6_600, 9_225]
    for event in emitted:
        path = schema_path(type(event))
        assert path.exists(), f"{path.name} missing: run python -m infra.messaging.contracts and commit it"
        jsonschema.validate(json.loads(encode(event)), json.loads(path.read_text()), format_checker=CHECKER)


_SAMPLES = {"uuid": str(uuid4()), "date-time": "2026-12-01T10:00:00+00:00", "date": str(date(2026, 12, 10))}


def _value(schema: dict[str, Any]) -> Any:
    """A valid value of one schema, the first alternative of each choice, every property filled."""
    for choice in ("anyOf", "oneOf"):
        if choice in schema:
            return _value(schema[choice][0])
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "format" in schema:
        return _SAMPLES[schema["format"]]
    if schema["type"] == "object":
        return {name: _value(prop) for name, prop in schema["properties"].items()}
    if schema["type"] == "array":
        return [_value(schema["items"])]
    return {"integer": 7, "string": "x", "boolean": True}[schema["type"]]


def _document(schema: dict[str, Any]) -> dict[str, Any]:
    """A valid document built from the schema alone, as a producer in another codebase would."""
    doc: dict[str, Any] = _value(schema)
    return doc


@pytest.mark.parametrize(("consumer", "key"), sorted((c, k) for c, keys in TOPOLOGY.items() for k in keys))
def test_every_consumer_reads_the_schema_of_each_event_it_takes(consumer: str, key: str) -> None:
    versions = sorted(SCHEMAS.glob(f"{key}.v*.json"))
    assert versions, f"{consumer} takes {key}, which has no schema"
    current = Event.registry[key]
    schema = load(key, current.version)
    doc = _document(schema)
    jsonschema.validate(doc, schema, format_checker=CHECKER)
    event = decode(json.dumps(doc))
    assert type(event) is current
    assert json.loads(encode(event)) == doc  # nothing lost or added on the way through


def _earlier_versions() -> list[tuple[str, int]]:
    found = [(p.stem.rsplit(".v", 1)[0], int(p.stem.rsplit(".v", 1)[1])) for p in SCHEMAS.glob("*.json")]
    return sorted((key, v) for key, v in found if v < Event.registry[key].version)


@pytest.mark.parametrize(("key", "version"), _earlier_versions())
def test_an_event_of_an_earlier_version_still_in_flight_is_read_by_the_current_code(key: str, version: int) -> None:
    """A rolling upgrade: events written by the old version wait in queues and outboxes while
    the new consumers start. Each earlier version a schema was published for still decodes."""
    doc = _document(load(key, version))
    assert type(decode(json.dumps(doc))) is Event.registry[key]


def test_a_renamed_field_breaks_the_contract() -> None:
    schema = load("reservation.placed", 1)
    doc = _document(schema)
    doc["guest"] = doc.pop("guest_id")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)
    with pytest.raises(ValueError):
        decode(json.dumps(doc))


def test_a_process_running_the_contexts_consumers_takes_or_hears_every_event_they_publish() -> None:
    """The in-process bus refuses an event no consumer of its process takes or hears; a process
    running the contexts' consumers (reservation, hotel, payment, view: the notifier may run
    elsewhere) must take or hear every event."""
    contexts = ("reservation", "hotel", "payment", "view")
    taken = set().union(*(TOPOLOGY[name] | HEARD.get(name, frozenset()) for name in contexts))
    assert set(Event.registry) - taken == set()


def test_what_a_consumer_hears_it_does_not_take() -> None:
    """A heard key is one its queue is not bound to: taking it too would make the in-process bus
    deliver it and the broker hold it."""
    assert all(not keys & TOPOLOGY[name] for name, keys in HEARD.items())


# --- a rolling upgrade: the new consumers read what the old producers wrote ------------------------


def _old(key: str, **values: Any) -> Event:
    """An event as the previous version wrote it: v1, valid under the v1 schema."""
    doc = {**_document(load(key, 1)), **{k: str(v) if isinstance(v, UUID | date) else v for k, v in values.items()}}
    jsonschema.validate(doc, load(key, 1), format_checker=CHECKER)
    return decode(json.dumps(doc))


async def test_an_old_cancellation_without_a_fee_is_refunded_in_full_by_the_new_payment_consumer(
    world: World,
) -> None:
    placed = await world.place(check_in=date(2026, 12, 3))  # 20,000
    cancelled = _old("reservation.cancelled", reservation_id=placed.id, guest_id=GUEST, hotel_id=world.hotel_id)
    assert isinstance(cancelled, ReservationCancelled) and cancelled.refund_amount is None
    await payment_consumer.refund(cancelled, world.payment_uow, world.provider, world.clock)
    assert list(world.provider.refunded.values()) == [20_000]
    (refunded,) = [e for e in world.payment_uow.outbox if isinstance(e, PaymentRefunded)]
    assert (refunded.amount, refunded.kept) == (20_000, 0)
    jsonschema.validate(json.loads(encode(refunded)), load("payment.refunded", 2), format_checker=CHECKER)


def test_an_old_placement_shows_in_the_view_at_one_flat_price_under_the_default_policy() -> None:
    placed = _old(
        "reservation.placed",
        check_in=date(2026, 12, 10),
        check_out=date(2026, 12, 13),
        total_price=36_000,
        currency="KRW",
    )
    assert isinstance(placed, ReservationPlaced) and placed.price_lines is None
    row = project_reservation(placed, None)
    assert row is not None
    assert [(line.kind, line.nights, line.price) for line in row.price_lines] == [("base", 3, 12_000)]
    assert row.quote.total == row.total_price == 36_000
    assert row.policy == CancellationPolicy()  # free until the day before check-in


def test_an_old_refund_shows_everything_given_back() -> None:
    refunded = _old("payment.refunded", amount=20_000)
    assert isinstance(refunded, PaymentRefunded) and refunded.kept == 0
    row = project_reservation(refunded, None)
    assert row is not None and (row.payment_status, row.refunded_amount, row.kept_amount) == ("refunded", 20_000, 0)
