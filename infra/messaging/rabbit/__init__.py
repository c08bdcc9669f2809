"""RabbitMQ with aio-pika, one module per concern: the topology (`topology`), the relay's confirmed
publisher (`publisher`), the consumer runner with retries and parking (`runner`), and the admin's
view of the dead letters (`dead_letters`).

Topology, for a consumer `c` and prefix `p`:
  exchange  p.events            topic, durable; routing keys `<context>.<event>`
  queue     p.c                 quorum; bound to the keys c takes; the consumers compete on it
  queues    p.c.retry.<ms>      one per retry delay: TTL, then dead-lettered back to p.c
  queue     p.c.dead            parked messages, with the error and attempt count in headers
"""

from infra.messaging.rabbit.dead_letters import dead_letters
from infra.messaging.rabbit.publisher import RabbitPublisher
from infra.messaging.rabbit.runner import RabbitConsumerRunner
from infra.messaging.rabbit.topology import ATTEMPT, Names, connect, declare

__all__ = ["ATTEMPT", "Names", "RabbitConsumerRunner", "RabbitPublisher", "connect", "dead_letters", "declare"]
