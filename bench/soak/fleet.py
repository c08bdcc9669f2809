"""The split deployment as real processes: `hotelbot bot`, `hotelbot consume <name>` for every
consumer, `hotelbot scheduler`, `hotelbot relay`. Each can be killed, stopped and started again;
every SIGTERM's exit code is kept (a clean stop exits 0)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

KINDS: tuple[tuple[str, ...], ...] = (
    ("bot",),
    ("consume", "reservation"),
    ("consume", "hotel"),
    ("consume", "payment"),
    ("consume", "view"),
    ("consume", "notifier"),
    ("scheduler",),
    ("relay",),
)


@dataclass
class Stop:
    """How a process ended when it was asked to stop."""

    name: str
    how: str  # "SIGTERM" or "kill -9"
    code: int | None  # None: it did not exit in time and was killed
    seconds: float


@dataclass
class Member:
    args: tuple[str, ...]
    env: dict[str, str]
    logs: Path
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    held: bool = False  # stopped on purpose (a fault): not to be started again by anyone else

    @property
    def name(self) -> str:
        return " ".join(self.args)

    async def start(self) -> None:
        if self.running:
            raise RuntimeError(f"{self.name} is running already")
        self.starts += 1
        log = open(self.logs / f"{'-'.join(self.args)}.log", "ab")  # noqa: SIM115, ASYNC230 - handed to the child
        log.write(f"\n===== start {self.starts}\n".encode())
        log.flush()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "main.cli", *self.args, env=self.env, stdout=log, stderr=log
        )
        log.close()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def terminate(self, timeout: float = 60) -> Stop:
        assert self.process is not None
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.process.send_signal(signal.SIGTERM)
        try:
            code: int | None = await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            code = None
            self.process.kill()
            await self.process.wait()
        return Stop(self.name, "SIGTERM", code, loop.time() - started)

    async def kill(self) -> Stop:
        assert self.process is not None
        loop = asyncio.get_running_loop()
        started = loop.time()
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        code = await self.process.wait()
        return Stop(self.name, "kill -9", code, loop.time() - started)


@dataclass
class Fleet:
    env: dict[str, str]
    logs: Path
    members: list[Member] = field(default_factory=list)
    stops: list[Stop] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.members = [Member(kind, self.env, self.logs) for kind in KINDS]

    async def start(self) -> None:
        for member in self.members:
            await member.start()

    async def revive(self) -> None:
        """Start again any member that is not running (one that died on its own counts too)."""
        for member in self.members:
            if not member.running:
                await member.start()

    def dead(self) -> list[str]:
        return [m.name for m in self.members if m.process is not None and not m.running]

    async def stop(self) -> None:
        """SIGTERM to every running member, at once; their exit codes are kept."""
        running = [m for m in self.members if m.running]
        self.stops.extend(await asyncio.gather(*(m.terminate() for m in running)))

    async def kill_all(self) -> None:
        for member in self.members:
            if member.running:
                await member.kill()
