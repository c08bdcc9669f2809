"""The wire contract of every event, checked on both sides: what the producers emit validates
against the committed schema of its type and version, and every consumer reads a document built
from that schema. A renamed or retyped field fails here, not in production."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import uuid4

import jsonschema
import pytest

from consumers import TOPOLOGY
from consumers import hotel as hotel_consumer
from consumers import reservation as reservation_consumer
from domain.hotel import commands as hc
from domain.hotel import handlers as hotel
from domain.payment import handlers as payment
from domain.reservation import handlers as reservation
from domain.reservation.commands import CancelReservation
from domain.shared.events import Event
from infra.messaging.codec import decode, encode
from infra.messaging.contracts import SCHEMAS, load, schema_path
from tests.unit.conftest import GUEST, MANAGER, World

CHECKER = jsonschema.FormatChecker()


async def _everything_the_producers_emit(w: World) -> list[Event]:
    room = w.room
    assert room is not None
    await hotel.update_room(hc.UpdateRoom(room_id=room.id, price_per_night=11_000, actor_id=MANAGER), w.hotel_uow)
    kept = await w.place(check_in=date(2026, 12, 10))
    turned_down = await w.place(check_in=date(2026, 12, 20))
    for event in [e for e in w.reservation_uow.outbox if e.name == "placed"]:
        async with w.hotel_uow as uow:
            await hotel_consumer.placed(event, uow)  # type: ignore[arg-type]
            await uow.commit()
    await hotel.approve_reservation(
        hc.ApproveReservation(reservation_id=kept.id, manager_id=MANAGER, manager_name="Mia"), w.hotel_uow, w.clock
    )
    await hotel.reject_reservation(
        hc.RejectReservation(reservation_id=turned_down.id, manager_id=MANAGER, manager_name="Mia", reason="full"),
        w.hotel_uow,
        w.clock,
    )
    for event in list(w.hotel_uow.outbox):
        async with w.reservation_uow as uow:
            if event.name == "reservation_approved":
                await reservation_consumer.approved(event, uow)  # type: ignore[arg-type]
            elif event.name == "reservation_rejected":
                await reservation_consumer.rejected(event, uow)  # type: ignore[arg-type]
            await uow.commit()
    await reservation.cancel_reservation(
        CancelReservation(reservation_id=kept.id, guest_id=GUEST), w.reservation_uow, w.clock
    )
    for event in [e for e in w.reservation_uow.outbox if e.name == "cancelled"]:
        async with w.hotel_uow as uow:
            await hotel_consumer.cancelled(event, uow)  # type: ignore[arg-type]
            await uow.commit()
    for event in [e for e in w.reservation_uow.outbox if e.name in ("cancelled", "rejected")]:
        await payment.refund_for(event, "payment", w.payment_uow, w.provider, w.clock)  # type: ignore[arg-type]
    return [*w.hotel_uow.outbox, *w.reservation_uow.outbox, *w.payment_uow.outbox]


async def test_every_event_a_producer_emits_matches_its_committed_schema(world: World) -> None:
    emitted = await _everything_the_producers_emit(world)
    assert {type(e) for e in emitted} == set(Event.registry.values())  # every event type was produced
    for event in emitted:
        path = schema_path(type(event))
        assert path.exists(), f"{path.name} missing: run python -m infra.messaging.contracts and commit it"
        jsonschema.validate(json.loads(encode(event)), json.loads(path.read_text()), format_checker=CHECKER)


def _document(schema: dict[str, Any]) -> dict[str, Any]:
    """A valid document built from the schema alone, as a producer in another codebase would."""
    samples = {"uuid": str(uuid4()), "date-time": "2026-12-01T10:00:00+00:00", "date": str(date(2026, 12, 10))}
    doc: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        prop = prop["anyOf"][0] if "anyOf" in prop else prop
        if "const" in prop:
            doc[name] = prop["const"]
        elif "format" in prop:
            doc[name] = samples[prop["format"]]
        else:
            doc[name] = {"integer": 7, "string": "x", "boolean": True}[prop["type"]]
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
