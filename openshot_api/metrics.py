"""``GET /metrics``: Prometheus metrics in the text exposition format (prometheus-client).

What is measured:

- ``openshot_api_http_requests_total{route,method,status}`` and
  ``openshot_api_http_request_duration_seconds{route}``, by a tween around every request. The
  label is the matched route's name, never the path (ids would make a series per object);
  a request no route matched is ``route="unmatched"``, an unusual method ``method="other"``.
- ``openshot_api_exports{status}``: exports per status, one GROUP BY query at scrape time.
- ``openshot_api_outbox_jobs``: jobs written to the outbox and not yet sent to the broker.
- ``openshot_api_broker_queue_messages{queue}`` (RabbitMQ only): messages ready in each queue of
  the broker (not those being worked on), by passive declares on a short connection per scrape;
  left out of the scrape when RabbitMQ does not answer.
- ``openshot_api_render_seconds`` and ``openshot_api_render_frames_per_second``: renders of
  exports that completed (``render_completed``, called by ``tasks.render_export``).
- ``openshot_api_jobs_total{actor,outcome}`` and ``openshot_api_job_duration_seconds{actor}``:
  Dramatiq messages processed (``JobMetrics``, a broker middleware; Dramatiq's own Prometheus
  middleware would open an HTTP port in every worker process).

Several processes: each process counts its own requests, jobs and renders. With the environment
variable ``PROMETHEUS_MULTIPROC_DIR`` naming a folder, set before the processes start (gunicorn
and ``openshot-api worker`` alike, on the same machine), prometheus-client's multiprocess mode is
used: every process writes its values to files in that folder and ``/metrics``, whichever web
process answers, adds up those of all processes (worker processes included). Empty the folder
before each start. Without the variable each process has its own registry, and ``/metrics``
shows the answering process only (right for one process, e.g. the embedded broker with
waitress; separate worker processes are then not seen).

Who may read it: ``openshot_api.metrics`` = ``admin`` (the default: an admin user, 401/403
otherwise), ``public`` (anyone, for a scraper on a private network), or ``off`` (404).
"""
import logging
import os
import threading
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client import REGISTRY as PROCESS_REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.tweens import INGRESS

log = logging.getLogger(__name__)

# The compatibility text format, which every Prometheus version reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MODES = ("off", "admin", "public")
UNMATCHED = "unmatched"
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))

# No *_created series: a second series per counter and histogram that a scraper does not need.
disable_created_metrics()

HTTP_REQUESTS = Counter("openshot_api_http_requests", "HTTP requests answered, by route name, "
                        "method and status.", ("route", "method", "status"))
HTTP_DURATION = Histogram("openshot_api_http_request_duration_seconds", "Seconds taken to answer "
                          "a request (up to the start of the body), by route name.", ("route",))
RENDER_SECONDS = Histogram("openshot_api_render_seconds", "Seconds the renderer took for an "
                           "export that completed.",
                           buckets=(1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200))
RENDER_FPS = Histogram("openshot_api_render_frames_per_second", "Frames rendered per second by an "
                       "export that completed.",
                       buckets=(1, 2, 5, 10, 25, 50, 100, 200, 500, 1000))
JOBS = Counter("openshot_api_jobs", "Dramatiq messages processed, by actor and outcome (done, "
               "failed, skipped).", ("actor", "outcome"))
JOB_DURATION = Histogram("openshot_api_job_duration_seconds", "Seconds an actor took for one "
                         "message.", ("actor",),
                         buckets=(0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200))

_last_warning = {}


def _warn(what, error, every=60.0):
    """One warning per ``every`` seconds for ``what``: a scrape each 15 s would flood the log."""
    now = time.monotonic()
    if now - _last_warning.get(what, -every) >= every:
        _last_warning[what] = now
        log.warning("metrics: %s: %s: %s", what, type(error).__name__, str(error).splitlines()[0] if str(error) else "")


# --- what processes record ------------------------------------------------------------------

def render_completed(settings, seconds):
    """Record a completed render of ``seconds`` over the frames ``settings`` (the renderer's
    export settings) asked for. Never raises: metrics must not break a render."""
    try:
        RENDER_SECONDS.observe(seconds)
        frames = int(settings["end_frame"]) - int(settings["start_frame"]) + 1
        if frames > 0 and seconds > 0:
            RENDER_FPS.observe(frames / seconds)
    except Exception as error:
        _warn("render not recorded", error)


def tween_factory(handler, registry):
    """Counts and times every request by its matched route's name."""
    def metrics_tween(request):
        started = time.perf_counter()
        status = 500  # what an exception that no exception view answered becomes
        try:
            response = handler(request)
            status = response.status_code
            return response
        finally:
            try:
                route = getattr(request, "matched_route", None)
                name = route.name if route is not None else UNMATCHED
                method = request.method if request.method in METHODS else "other"
                HTTP_REQUESTS.labels(name, method, str(status)).inc()
                HTTP_DURATION.labels(name).observe(time.perf_counter() - started)
            except Exception as error:
                _warn("request not recorded", error)
    return metrics_tween


try:
    from dramatiq.middleware import Middleware as _Middleware
except ImportError:  # pragma: no cover - dramatiq is a dependency
    _Middleware = object


class JobMetrics(_Middleware):
    """Dramatiq middleware: messages processed per actor and outcome, and how long each took.
    A message is processed on one worker thread from start to end, so its start time is kept
    per thread."""

    def __init__(self):
        self._local = threading.local()

    def before_process_message(self, broker, message):
        self._local.started = time.perf_counter()

    def _record(self, message, outcome):
        try:
            started = getattr(self._local, "started", None)
            self._local.started = None
            JOBS.labels(message.actor_name, outcome).inc()
            if started is not None:
                JOB_DURATION.labels(message.actor_name).observe(time.perf_counter() - started)
        except Exception as error:
            _warn("job not recorded", error)

    def after_process_message(self, broker, message, *, result=None, exception=None):
        self._record(message, "done" if exception is None else "failed")

    def after_skip_message(self, broker, message):
        self._record(message, "skipped")


# --- what a scrape reads --------------------------------------------------------------------

class DatabaseCollector:
    """Gauges read when scraped: exports per status, the outbox and, on RabbitMQ, the broker's
    queues. A part that fails is left out of this scrape (and logged), the rest still answers."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        from sqlalchemy import func, select

        from .db import job_session
        from .jobs import pending_count
        from .models import Export
        from .models.export import STATUSES
        session_factory = self.registry["dbsession_factory"]
        try:
            with job_session(session_factory) as session:
                counts = dict(session.execute(
                    select(Export.status, func.count()).group_by(Export.status)).all())
        except Exception as error:
            _warn("exports not counted", error)
        else:
            exports = GaugeMetricFamily("openshot_api_exports", "Exports per status.", labels=("status",))
            for status in sorted(set(STATUSES) | set(counts)):
                exports.add_metric((status,), counts.get(status, 0))
            yield exports
        try:
            pending = pending_count(session_factory)
        except Exception as error:
            _warn("outbox not counted", error)
        else:
            yield GaugeMetricFamily("openshot_api_outbox_jobs", "Jobs in the outbox, not yet sent "
                                    "to the broker.", value=pending)
        settings = self.registry.settings or {}
        if (settings.get("openshot_api.broker") or "embedded").strip() == "rabbitmq":
            try:
                sizes = broker_queue_sizes(settings["openshot_api.broker_url"])
            except Exception as error:
                _warn("broker queues not counted", error)
            else:
                queues = GaugeMetricFamily("openshot_api_broker_queue_messages", "Messages ready in "
                                           "each RabbitMQ queue.", labels=("queue",))
                for name, size in sizes.items():
                    queues.add_metric((name,), size)
                yield queues


def broker_queue_sizes(url, timeout=2.0):
    """{queue: messages ready} of this app's Dramatiq queues, by passive declares (which create
    nothing); a queue RabbitMQ does not have yet (no worker declared it) is left out."""
    import pika
    from pika.exceptions import ChannelClosedByBroker

    from .broker import QUEUES
    parameters = pika.URLParameters(url)
    parameters.socket_timeout = parameters.blocked_connection_timeout = timeout
    parameters.connection_attempts = 1
    connection = pika.BlockingConnection(parameters)
    sizes = {}
    try:
        channel = connection.channel()
        for name in QUEUES:
            try:
                sizes[name] = channel.queue_declare(queue=name, passive=True).method.message_count
            except ChannelClosedByBroker:  # 404: no such queue; the channel is closed with it
                channel = connection.channel()
    finally:
        connection.close()
    return sizes


class _Scrape:
    """What one scrape exposes: this process's metrics, or every process's in multiprocess
    mode, and the database gauges of this app."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess
            processes = CollectorRegistry()
            multiprocess.MultiProcessCollector(processes)
            yield from processes.collect()
        else:
            yield from PROCESS_REGISTRY.collect()
        yield from DatabaseCollector(self.registry).collect()


def metrics_view(request):
    response = Response(body=generate_latest(_Scrape(request.registry)))
    response.headers["Content-Type"] = CONTENT_TYPE
    response.cache_control = "no-cache"
    return response


def includeme(config):
    mode = (config.get_settings().get("openshot_api.metrics") or "admin").strip().lower()
    if mode not in MODES:
        from .interfaces import ConfigurationError
        raise ConfigurationError(f"openshot_api.metrics = {mode}: use {', '.join(MODES)}")
    if mode == "off":
        return  # no route: /metrics is a 404 like any unknown path
    # Right under the ingress, outside the exception view: error answers are counted with
    # their status, and the whole handling is timed.
    config.add_tween("openshot_api.metrics.tween_factory", under=INGRESS)
    config.add_route("metrics", "/metrics/")
    config.add_view(metrics_view, route_name="metrics", request_method=("GET", "HEAD"),
                    permission="admin" if mode == "admin" else NO_PERMISSION_REQUIRED)
