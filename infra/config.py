"""Settings from the environment (pydantic-settings: typed, validated, one clear line on error)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CONTEXTS = ("reservation", "hotel", "payment", "view")
Context = Literal["reservation", "hotel", "payment", "view"]
# "app" is not a bounded context: the bot's own state and the in-process bus, in the default database.
DATABASES = (*CONTEXTS, "app")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    data_dir: Path = Field(Path("data"), description="Folder for the default SQLite database.")
    database_url: str | None = Field(None, description="Default database for every context.")
    reservation_database_url: str | None = None
    hotel_database_url: str | None = None
    payment_database_url: str | None = None
    view_database_url: str | None = None
    # Measured with `hotelbot bench booking` (everything in one process, 64 guests): pool 20 and
    # prefetch 32 gave 38 bookings/s, receipt p99 1.3 s; pool 40 and prefetch 8 gave 63/s, p99 0.56 s.
    # Fewer prefetched deliveries queue fewer background transactions in front of a guest's.
    db_pool_size: int = Field(40, ge=1, le=200, description="PostgreSQL connections per process and database.")
    # Off by default: it costs a round trip per transaction (measured: event lag p99 at 50
    # bookings/s 95 ms without, vs. seconds with it). After a database restart the first use of
    # each stale connection fails once (a retried message, or "please try again" in the chat).
    db_pre_ping: bool = False
    amqp_url: str | None = Field(None, description="RabbitMQ; unset means the in-process bus.")
    amqp_exchange: str = "hotelbot.events"
    amqp_queue_prefix: str = "hotelbot"
    amqp_prefetch: int = Field(8, ge=1, le=10_000)
    # Measured with `hotelbot bench events --split` at a steady 100 bookings/s, 0 vs 5 ms in turns,
    # three pairs on a quiet machine: lag p99 1.7-8.3 s vs 0.36-1.26 s, 13.2-16.3 vs 12.7-13.4 ms of
    # CPU a booking.
    amqp_batch_linger_ms: float = Field(
        5.0, ge=0, le=1000, description="How long a batching consumer waits after a delivery for more to apply with it."
    )
    # A relay drains an outbox at once when a commit in its own process writes to it; the sweep
    # finds what other processes left behind (a crash, a process without a relay).
    relay_sweep_s: float = Field(
        5.0, gt=0, description="Seconds a relay waits without a commit of its own before sweeping every outbox."
    )

    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # The Mini App: the public https address of the gateway's /app/ (e.g. https://hotel.example/app/).
    # Set, the bot's menu button opens the guest's booking page and /board offers the occupancy grid.
    mini_app_url: str | None = Field(None, description="Public https URL of the gateway's /app/ (the Mini App).")

    max_nights: int = Field(30, ge=1, le=365)
    max_days_ahead: int = Field(730, ge=1)
    payment_latency_ms: int = Field(50, ge=0)
    payment_failure_rate: float = Field(0.0, ge=0.0, le=1.0)
    payment_decline_rate: float = Field(0.0, ge=0.0, le=1.0)
    payment_timeout_s: float = Field(5.0, gt=0)
    breaker_failures: int = Field(5, ge=1)
    breaker_reset_s: float = Field(60.0, gt=0)

    # Checkout with real money: "sandbox" (default, nothing to set up: a Pay button the sandbox
    # provider approves) or "telegram" (Telegram Payments with a provider connected in BotFather;
    # refunds through Stripe's API).
    payment_provider: Literal["sandbox", "telegram"] = "sandbox"
    telegram_payment_provider_token: str | None = Field(None, description="From BotFather: /mybots → Payments.")
    payment_hold_minutes: float = Field(15.0, gt=0, le=24 * 60, description="How long unpaid nights stay held.")
    payload_secret: str | None = Field(None, description="HMAC key of invoice payloads (default: from the bot token).")
    stripe_api_key: str | None = Field(None, description="Secret key of the hotel's Stripe account, for refunds.")
    stripe_api_base: str = "https://api.stripe.com"
    paysupport_text: str | None = Field(None, description="What /paysupport tells guests, in the hotel's words.")

    approval_reminder_after_s: float = Field(2 * 3600, gt=0, description="Remind managers of a pending request after.")
    approval_deadline_s: float = Field(24 * 3600, gt=0, description="Reject a request nobody decided after.")
    check_in_reminder_hour: int = Field(18, ge=0, le=23, description="Local hour, the day before check-in.")
    no_show_hour: int = Field(
        12, ge=0, le=23, description="Local hour, the day after arrival: a stay not checked in by then is a no-show."
    )
    retention_days: int = Field(30, ge=1, description="Keep processed inbox rows and sent outbox rows this long.")
    scheduler_tick_s: float = Field(30.0, gt=0)

    # Long enough to outlast an open payment breaker (BREAKER_RESET_S) before anything is parked.
    retry_delays_s: Annotated[tuple[float, ...], NoDecode] = (1.0, 5.0, 30.0, 120.0, 600.0)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    # /healthz, /readyz and /metrics of every long-running process; 0 picks a free port (logged).
    health_port: int = Field(9090, ge=0, le=65535)
    health_listen: str = "0.0.0.0"
    # Liveness fails once the event loop was blocked longer than this (and for a while after).
    health_max_loop_lag_s: float = Field(5.0, gt=0)
    # The HTTP gateway (`hotelbot api`, and inside `hotelbot run`): /api/v1, the Telegram webhook
    # (when WEBHOOK_URL is set), /healthz /readyz /metrics, on one port; 0 picks a free one (logged).
    api_host: str = "127.0.0.1"
    api_port: int = Field(8080, ge=0, le=65535)
    # kid → secret, e.g. `k2:new-secret,k1:old-secret` (or JSON): the first signs, all verify, so an
    # old key keeps working until its tokens expire. Unset: one key derived from the bot token.
    jwt_keys: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    jwt_secret: str | None = Field(None, description="One signing key (kid `main`) when JWT_KEYS is not set.")
    api_token_ttl_s: int = Field(3600, ge=60, description="Lifetime of a token from the Mini App exchange.")
    api_init_data_max_age_s: int = Field(3600, ge=1, description="Oldest Mini App initData accepted.")
    api_cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    api_max_body_bytes: int = Field(16_384, ge=256)
    api_rate_per_s: float = Field(20.0, gt=0, description="Requests per second per client (bucket of one second).")
    # uvloop (libuv, from the asyncpg authors) where it installs (not on Windows); measured here:
    # bench booking 71 → 75-79 bookings/s, event → view lag p99 at 100 bookings/s 32 → 16 ms.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
            except ValueError:
                raise ValueError("must be comma-separated Telegram user ids, e.g. 123,456") from None
        return value

    @field_validator("jwt_keys", mode="before")
    @classmethod
    def _keys(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("{"):
                import json

                return json.loads(value)
            pairs = [part.split(":", 1) for part in value.split(",") if part.strip()]
            if any(len(pair) != 2 or not pair[0].strip() or not pair[1] for pair in pairs):
                raise ValueError("must be kid:secret pairs, comma-separated, the signing key first")
            return {kid.strip(): secret for kid, secret in pairs}
        return value

    @field_validator("api_cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("retry_delays_s", mode="before")
    @classmethod
    def _delays(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(float(part) for part in value.split(",") if part.strip())
        return value

    @field_validator(
        "database_url",
        "reservation_database_url",
        "hotel_database_url",
        "payment_database_url",
        "view_database_url",
    )
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        return None if not value else async_url(value)

    @cached_property
    def default_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'hotelbot.db'}"

    def url_for(self, context: str) -> str:
        if context == "app":
            return self.default_database_url
        return getattr(self, f"{context}_database_url") or self.default_database_url


def async_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://, sqlite://) and pick async drivers."""
    for prefix, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(prefix):
            return driver + url[len(prefix) :]
    if not url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        raise ValueError("must be a postgresql:// or sqlite:// URL")
    return url


class SettingsError(Exception):
    pass


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]).upper()
        raise SettingsError(f"setting {name}: {first['msg']}") from None
