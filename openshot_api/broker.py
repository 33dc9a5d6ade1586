"""The Dramatiq broker, built from settings before any actor is imported.

``openshot_api.broker = rabbitmq``: RabbitMQ through pika, workers are separate processes
(``openshot-api worker CONFIG``). ``embedded``: an in-memory broker whose worker threads run inside
the web server process, so the development instance needs no server at all.
"""
import logging

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

log = logging.getLogger(__name__)

QUEUES = ("render", "default", "webhooks", "transcribe")


def make_broker(settings):
    kind = (settings.get("openshot_api.broker") or "embedded").strip()
    # Not Dramatiq's Prometheus middleware (it opens an HTTP port per process): JobMetrics
    # records into the registry GET /metrics reads (see openshot_api.metrics).
    from .metrics import JobMetrics
    middleware = [AgeLimit(), TimeLimit(time_limit=24 * 3600 * 1000), ShutdownNotifications(),
                  Callbacks(), Pipelines(), Retries(max_retries=0), CurrentMessage(), JobMetrics()]
    if kind == "rabbitmq":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker
        # Confirmed publishes: the outbox row of a job is deleted only once RabbitMQ has it.
        return RabbitmqBroker(url=settings["openshot_api.broker_url"], middleware=middleware,
                              confirm_delivery=True)
    if kind == "embedded":
        broker = StubBroker(middleware=middleware)
        broker.emit_after("process_boot")
        return broker
    from .interfaces import ConfigurationError
    raise ConfigurationError(f"openshot_api.broker = {kind}: use rabbitmq or embedded")


def use_broker(broker):
    """Make ``broker`` the global one and move every declared actor onto it (tests switch brokers
    within one process; production sets it once at start-up)."""
    dramatiq.set_broker(broker)
    from . import tasks
    for actor in tasks.ACTORS:
        actor.broker = broker
        broker.declare_actor(actor)
    return broker


class EmbeddedWorker:
    """Worker threads inside the current process, for the embedded broker."""

    def __init__(self, broker, queues=None, threads=2):
        self.worker = dramatiq.Worker(broker, queues=set(queues) if queues else None,
                                      worker_threads=threads, worker_timeout=100)

    def start(self):
        self.worker.start()
        return self

    def stop(self):
        self.worker.stop()
