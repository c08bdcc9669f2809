"""The payment context's repository and unit of work."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.payment.model import Payment, PaymentStatus
from infra.db.tables import payment_messaging, payments
from infra.db.uow import SqlUnitOfWork, inserting_ignored, updating

_FIELDS = [c.name for c in payments.columns]
# Built once, executed with parameters (see infra.db.uow).
_BY_RESERVATION = select(payments).where(payments.c.reservation_id == bindparam("b_reservation"))
_BY_RESERVATION_FOR_UPDATE = _BY_RESERVATION.with_for_update()
_SAVE = updating(payments, "id")
_BY_TELEGRAM_CHARGE = select(payments).where(payments.c.telegram_charge_id == bindparam("b_charge"))


class SqlPayments:
    def __init__(self, conn: AsyncConnection, seen: list[Any] | None = None) -> None:
        self.conn = conn
        self.seen = [] if seen is None else seen  # the unit of work collects their events

    def _values(self, payment: Payment) -> dict[str, object]:
        values = {name: getattr(payment, name) for name in _FIELDS}
        values["status"] = payment.status.value
        return values

    async def add(self, payment: Payment) -> bool:
        result = await self.conn.execute(inserting_ignored(self.conn.dialect.name, payments), self._values(payment))
        if result.rowcount != 1:
            return False
        self.seen.append(payment)
        return True

    async def by_reservation(self, reservation_id: UUID, *, for_update: bool = False) -> Payment | None:
        query = _BY_RESERVATION_FOR_UPDATE if for_update else _BY_RESERVATION
        row = (await self.conn.execute(query, {"b_reservation": reservation_id})).first()
        return self._payment(row)

    async def by_telegram_charge(self, telegram_charge_id: str) -> Payment | None:
        return self._payment((await self.conn.execute(_BY_TELEGRAM_CHARGE, {"b_charge": telegram_charge_id})).first())

    def _payment(self, row: Any) -> Payment | None:
        if row is None:
            return None
        values = row._asdict()
        values["status"] = PaymentStatus(values["status"])
        payment = Payment(**values)
        self.seen.append(payment)
        return payment

    async def save(self, payment: Payment) -> None:
        values = self._values(payment)
        values["b_id"] = values.pop("id")
        await self.conn.execute(_SAVE, values)


class PaymentUoW(SqlUnitOfWork):
    payments: SqlPayments

    def __init__(self, engine, after_commit=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine, payment_messaging, after_commit)

    def _bind(self, conn: AsyncConnection) -> None:
        self.payments = SqlPayments(conn, self.seen_aggregates)
