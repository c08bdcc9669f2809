"""`python -m bench soak`: the split deployment on a PostgreSQL cluster and a RabbitMQ node of its
own, scripted guests and managers through the Bot API stand-in, faults at random, and the
promises checked at the end (see bench/soak/invariants.py)."""
