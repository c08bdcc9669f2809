"""A 2-minute soak: the split deployment on a PostgreSQL cluster and a RabbitMQ node of its own,
scripted guests and managers, faults at random; every promise holds (`pytest -m soak`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.soak


@pytest.mark.timeout(1200)
def test_two_minutes_of_faults_keep_every_promise() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "soak", "--minutes", "2", "--seed", "18"],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=1100,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    assert "FAIL" not in done.stdout
    print(done.stdout)
