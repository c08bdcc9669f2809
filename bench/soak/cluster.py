"""A PostgreSQL cluster and a RabbitMQ node of the soak's own, in a temporary folder, on free
ports: the soak restarts them at will without touching the machine's shared services.

initdb and postgres refuse to run as root, so they run as the `postgres` user (through
`runuser`) when the soak runs as root. The RabbitMQ node gets its own node name, ports,
Erlang cookie (HOME), config, enabled-plugins file (none) and data folder."""

from __future__ import annotations

import glob
import os
import random
import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port(low: int = 20_000, high: int = 32_000, span: int = 2) -> int:
    """A free TCP port below the ephemeral range, with the `span - 1` ports after it free too."""
    for _ in range(200):
        port = random.randint(low, high)
        if all(_bindable(p) for p in range(port, port + span)):
            return port
    raise RuntimeError("no free ports found")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class Postgres:
    def __init__(self, root: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not found:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = Path(found[-1])
        self.root = root / "pg"
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/hotelbot"

    def _run(self, *argv: str, timeout: float = 120) -> None:
        subprocess.run(
            _as_postgres([str(self.bin / argv[0]), *argv[1:]]), check=True, capture_output=True, timeout=timeout
        )

    def start(self) -> None:
        self.root.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self._pg_ctl_start()
        subprocess.run(
            [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q", "-c",
             "CREATE DATABASE hotelbot"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def _pg_ctl_start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=300 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w", "-t", "60", "start"
        )

    def restart(self) -> None:
        """What a failover looks like to the clients: every connection dropped, the server back."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        self._pg_ctl_start()

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                timeout=60,
            )


class RabbitMQ:
    def __init__(self, root: Path) -> None:
        self.root = root / "rabbitmq"
        # AMQP, the node's distribution port, and 11 ports for rabbitmqctl's own short-lived nodes:
        # by default those take the node's distribution port + 10000..10010, which for the machine's
        # node (25672) is 35672..35682; ours stay next to our node instead, away from the shared ones.
        self.port = free_port(span=13)
        self.node = f"soak-{os.getpid()}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.process: subprocess.Popen[bytes] | None = None
        self.bin = Path("/usr/lib/rabbitmq/bin")
        if not (self.bin / "rabbitmq-server").exists():
            self.bin = Path(os.path.dirname(shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"))

    def env(self) -> dict[str, str]:
        r = self.root
        return {
            **os.environ,
            "HOME": str(r),  # the Erlang cookie of this node and its rabbitmqctl
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_DIST_PORT": str(self.port + 1),
            "RABBITMQ_CTL_DIST_PORT_MIN": str(self.port + 2),
            "RABBITMQ_CTL_DIST_PORT_MAX": str(self.port + 12),
            "RABBITMQ_CONF_ENV_FILE": str(r / "rabbitmq-env.conf"),  # not the machine's /etc/rabbitmq one
            "RABBITMQ_CONFIG_FILE": str(r / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(r / "enabled_plugins"),  # no management plugin
            "RABBITMQ_MNESIA_BASE": str(r / "mnesia"),
            "RABBITMQ_LOG_BASE": str(r / "log"),
            "RABBITMQ_PID_FILE": str(r / "pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def start(self) -> None:
        if self.process is None:
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / "rabbitmq-env.conf").write_text("")
            (self.root / "enabled_plugins").write_text("[].\n")
            (self.root / "rabbitmq.conf").write_text(
                f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\n"
            )
        out = open(self.root / "server.out", "ab")  # noqa: SIM115 - the node's own output, kept with it
        self.process = subprocess.Popen(
            [str(self.bin / "rabbitmq-server")], env=self.env(), stdout=out, stderr=subprocess.STDOUT
        )
        out.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited: see {self.root / 'server.out'}")
            if self.ctl("await_startup", "--timeout", "10", check=False) == 0:
                return
            time.sleep(0.5)
        raise RuntimeError("the soak's RabbitMQ node did not start")

    def ctl(self, *args: str, check: bool = True, timeout: float = 120) -> int:
        done = subprocess.run(
            [str(self.bin / "rabbitmqctl"), "-n", self.node, *args],
            env=self.env(),
            capture_output=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr.decode()[-500:]}")
        return done.returncode

    def queues(self) -> dict[str, int]:
        """Every queue with its ready + unacknowledged messages."""
        done = subprocess.run(
            [str(self.bin / "rabbitmqctl"), "-n", self.node, "-q", "list_queues", "--no-table-headers",
             "name", "messages"],
            env=self.env(), capture_output=True, timeout=120, check=True,
        )  # fmt: skip
        counts = {}
        for line in done.stdout.decode().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                counts[parts[0]] = int(parts[1])
        return counts

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.ctl("stop", check=False)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
