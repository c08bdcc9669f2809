"""The payment context's repository and unit of work."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.payment.model import Payment, PaymentStatus
from infra.db.tables import payment_messaging, payments
from infra.db.uow import SqlUnitOfWork, insert_ignore

_FIELDS = [c.name for c in payments.columns]


class SqlPayments:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    def _values(self, payment: Payment) -> dict[str, object]:
        values = {name: getattr(payment, name) for name in _FIELDS}
        values["status"] = payment.status.value
        return values

    async def add(self, payment: Payment) -> bool:
        result = await self.conn.execute(insert_ignore(self.conn, payments).values(**self._values(payment)))
        return result.rowcount == 1

    async def by_reservation(self, reservation_id: UUID, *, for_update: bool = False) -> Payment | None:
        query = select(payments).where(payments.c.reservation_id == reservation_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        if row is None:
            return None
        values = row._asdict()
        values["status"] = PaymentStatus(values["status"])
        return Payment(**values)

    async def save(self, payment: Payment) -> None:
        values = self._values(payment)
        del values["id"]
        await self.conn.execute(update(payments).where(payments.c.id == payment.id).values(**values))


class PaymentUoW(SqlUnitOfWork):
    payments: SqlPayments

    def __init__(self, engine, after_commit=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine, payment_messaging, after_commit)

    def _bind(self, conn: AsyncConnection) -> None:
        self.payments = SqlPayments(conn)
