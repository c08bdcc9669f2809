"""`python -m bench NAME [options]` — what `hotelbot bench` runs as a program of its own."""

from __future__ import annotations

import logging
import sys

from bench.main import run

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: hotelbot bench raw|booking|events|contention|drain|replicas|api|steps|all|soak [options]")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(run(sys.argv[1], sys.argv[2:]))
