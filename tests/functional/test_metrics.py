"""GET /metrics: the Prometheus text format, requests counted by route name (never by path),
exports by status and the outbox read from the database at scrape time, renders and Dramatiq
jobs recorded where they end, who may read it (openshot_api.metrics = off / admin / public), and
the multiprocess mode of PROMETHEUS_MULTIPROC_DIR."""
import datetime
import json
import os
import subprocess
import sys
import time

import pytest
import webtest
from prometheus_client.parser import text_string_to_metric_families

from openshot_api import metrics
from openshot_api.app import make_app
from openshot_api.interfaces import ConfigurationError
from tests.conftest import IN_CI, ROOT
from tests.factories import create_clip, create_project, upload_file


def parse(text):
    """{family name: family} of a scrape; raises when the text is not the Prometheus format."""
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(families, family, sample=None, **labels):
    """The value of the sample ``sample`` (default: the family's own name) with exactly
    ``labels``, or 0.0 when the scrape has no such sample."""
    for s in families[family].samples if family in families else ():
        if s.name == (sample or family) and s.labels == labels:
            return s.value
    return 0.0


@pytest.fixture
def admin(wsgi_app, make_user):
    username, password, _ = make_user(is_admin=True)
    client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    client.authorization = ("Basic", (username, password))
    return client


@pytest.fixture
def scrape(admin):
    def get():
        answer = admin.get("/metrics", status=200)
        assert answer.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        return parse(answer.text)
    return get


@pytest.fixture(scope="module")
def app_with(app_settings):
    """``app_with(mode)``: an app on the suite's database with ``openshot_api.metrics = mode``;
    the suite's broker and worker context are left as they were."""
    import dramatiq
    from openshot_api import worker as worker_module
    from openshot_api.broker import use_broker
    apps = {}

    def build(mode):
        if mode not in apps:
            previous_broker, previous_context = dramatiq.get_broker(), worker_module._context
            try:
                apps[mode] = make_app({}, {**app_settings, "openshot_api.metrics": mode})
            finally:
                use_broker(previous_broker)
                worker_module.set_context(previous_context)
        return webtest.TestApp(apps[mode], extra_environ={"HTTP_HOST": "testserver"})
    yield build
    for app in apps.values():
        app.registry["job_keeper"].stop()


# -- the format --------------------------------------------------------------------------------

def test_the_scrape_is_the_prometheus_text_format_with_every_metric(scrape):
    families = scrape()
    expected = {
        "openshot_api_http_requests": "counter",
        "openshot_api_http_request_duration_seconds": "histogram",
        "openshot_api_exports": "gauge",
        "openshot_api_outbox_jobs": "gauge",
        "openshot_api_render_seconds": "histogram",
        "openshot_api_render_frames_per_second": "histogram",
        "openshot_api_jobs": "counter",
        "openshot_api_job_duration_seconds": "histogram",
    }
    assert {name: families[name].type for name in expected if name in families} == expected
    # Every export status is a series, also at zero, so a dashboard's lines never vanish.
    statuses = {s.labels["status"] for s in families["openshot_api_exports"].samples}
    assert statuses == {"pending", "in-progress", "completed", "failed", "cancel"}
    # The embedded broker has no RabbitMQ queues to count.
    assert "openshot_api_broker_queue_messages" not in families


# -- requests ----------------------------------------------------------------------------------

def test_requests_are_counted_by_route_name_method_and_status_exactly(api, scrape):
    before = scrape()
    for _ in range(3):
        api.get("/projects/", status=200)
    api.post_json("/projects/", {"name": ""}, status=400)
    after = scrape()
    counter = "openshot_api_http_requests"

    def delta(sample, **labels):
        return value(after, counter, sample, **labels) - value(before, counter, sample, **labels)
    assert delta("openshot_api_http_requests_total", route="projects", method="GET", status="200") == 3
    assert delta("openshot_api_http_requests_total", route="projects", method="POST", status="400") == 1
    # The previous scrape is counted under the metrics route (this one is answered after it).
    assert delta("openshot_api_http_requests_total", route="metrics", method="GET", status="200") == 1
    histogram = "openshot_api_http_request_duration_seconds"
    count = f"{histogram}_count"
    assert value(after, histogram, count, route="projects") - value(before, histogram, count, route="projects") == 4


def test_paths_never_become_labels_and_unmatched_paths_share_one(api, scrape):
    before = scrape()
    for project_id in (999990001, 999990002):
        api.get(f"/projects/{project_id}/", status=404)
    api.get("/no-such-thing/abc123/", status=404)
    api.get("/no-such-thing/def456/", status=404)
    after = scrape()
    sample = "openshot_api_http_requests_total"

    def delta(**labels):
        return (value(after, "openshot_api_http_requests", sample, **labels)
                - value(before, "openshot_api_http_requests", sample, **labels))
    assert delta(route="project", method="GET", status="404") == 2
    assert delta(route=metrics.UNMATCHED, method="GET", status="404") == 2
    labels = {v for family in after.values() for s in family.samples for v in s.labels.values()}
    # Route names are the only route labels (static views' names hold a slash, as "__static/demo/").
    assert not any(("99999000" in v or "abc123" in v or "no-such-thing" in v) for v in labels)


def test_an_unusual_method_is_one_label(api, scrape):
    before = scrape()
    api.request("/projects/", method="BREW", status=405)
    after = scrape()
    sample = "openshot_api_http_requests_total"
    labels = dict(route="projects", method="other", status="405")
    assert (value(after, "openshot_api_http_requests", sample, **labels)
            - value(before, "openshot_api_http_requests", sample, **labels)) == 1


# -- the database, read at scrape time ----------------------------------------------------------

def test_exports_by_status_count_a_created_export(api, media, scrape):
    project = create_project(api)
    create_clip(api, project, upload_file(api, project, media["red.mp4"]), end=1.0)
    before = scrape()
    api.post_json("/exports/", {"project": project["url"]}, status=201)
    after = scrape()
    gauge = "openshot_api_exports"
    # Nothing renders in the suite's app (no worker threads): the export stays pending.
    assert value(after, gauge, status="pending") - value(before, gauge, status="pending") == 1
    for status in ("in-progress", "completed", "failed", "cancel"):
        assert value(after, gauge, status=status) == value(before, gauge, status=status)


def test_the_outbox_depth_is_the_number_of_jobs_not_yet_sent(registry, scrape):
    from openshot_api.db import job_session
    from openshot_api.models import OutboxMessage
    before = value(scrape(), "openshot_api_outbox_jobs")
    # Written directly (not through jobs.enqueue, which sends at commit) and dated ahead, so the
    # job keeper's relay, which only sends rows older than a few seconds, leaves them there.
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    with job_session(registry["dbsession_factory"]) as session:
        rows = [OutboxMessage(actor="metrics_test_no_such_actor", args=[], created=later) for _ in range(2)]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
    try:
        assert value(scrape(), "openshot_api_outbox_jobs") - before == 2
    finally:
        with job_session(registry["dbsession_factory"]) as session:
            for row_id in ids:
                session.delete(session.get(OutboxMessage, row_id))
    assert value(scrape(), "openshot_api_outbox_jobs") == before


def test_a_database_failure_leaves_the_database_gauges_out_not_the_scrape(registry, scrape, monkeypatch):
    from openshot_api import jobs

    def broken(session_factory):
        raise RuntimeError("no database")
    monkeypatch.setattr(jobs, "pending_count", broken)
    families = scrape()
    assert "openshot_api_outbox_jobs" not in families
    assert "openshot_api_exports" in families and "openshot_api_http_requests" in families


def test_rabbitmq_queue_sizes_come_from_passive_declares(monkeypatch):
    """No RabbitMQ here: pika's connection is replaced by one that knows two queues."""
    import pika
    from pika.exceptions import ChannelClosedByBroker

    declared = []

    class Channel:
        def queue_declare(self, queue, passive=False):
            declared.append((queue, passive))
            if queue not in {"render": 4, "default": 0}:
                raise ChannelClosedByBroker(404, f"NOT_FOUND - no queue '{queue}'")
            return type("Ok", (), {"method": type("M", (), {"message_count": {"render": 4, "default": 0}[queue]})})

    class Connection:
        closed = False

        def __init__(self, parameters):
            assert parameters.connection_attempts == 1 and parameters.socket_timeout <= 5

        def channel(self):
            return Channel()

        def close(self):
            Connection.closed = True

    monkeypatch.setattr(pika, "BlockingConnection", Connection)
    assert metrics.broker_queue_sizes("amqp://guest:guest@rabbit:5672/") == {"render": 4, "default": 0}
    assert all(passive for _, passive in declared) and Connection.closed

    class Registry(dict):
        settings = {"openshot_api.broker": "rabbitmq", "openshot_api.broker_url": "amqp://rabbit/"}
    collected = {f.name: f for f in metrics.DatabaseCollector(Registry(dbsession_factory=None)).collect()}
    queues = {s.labels["queue"]: s.value for s in collected["openshot_api_broker_queue_messages"].samples}
    assert queues == {"render": 4, "default": 0}

    def down(parameters):
        raise pika.exceptions.AMQPConnectionError("refused")
    monkeypatch.setattr(pika, "BlockingConnection", down)
    collected = {f.name for f in metrics.DatabaseCollector(Registry(dbsession_factory=None)).collect()}
    assert "openshot_api_broker_queue_messages" not in collected


def test_rabbitmq_queue_sizes_on_a_real_broker():
    """Ready messages per queue of a vhost of our own; a queue not declared yet is left out,
    and counting declares nothing."""
    import uuid
    from urllib.parse import quote

    import pika
    vhost = f"openshot-metrics-{uuid.uuid4().hex[:8]}"
    try:
        for args in (["add_vhost", vhost], ["set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"]):
            subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        if IN_CI:
            raise
        pytest.skip("RabbitMQ (rabbitmqctl) is not available (CI=true makes this a failure)")
    url = f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}"
    try:
        connection = pika.BlockingConnection(pika.URLParameters(url))
        channel = connection.channel()
        channel.confirm_delivery()
        channel.queue_declare(queue="render", durable=True)
        for body in (b"one", b"two"):
            channel.basic_publish(exchange="", routing_key="render", body=body)
        connection.close()
        assert metrics.broker_queue_sizes(url) == {"render": 2}
        assert metrics.broker_queue_sizes(url) == {"render": 2}  # the passive declares made no queue
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)


# -- renders and jobs --------------------------------------------------------------------------

def test_a_completed_render_records_its_seconds_and_frames_per_second(scrape):
    before = scrape()
    metrics.render_completed({"start_frame": 1, "end_frame": 120}, 4.0)
    metrics.render_completed({"start_frame": None}, 2.0)  # no frame count: seconds only, no error
    after = scrape()

    def delta(family, sample):
        return value(after, family, sample) - value(before, family, sample)
    assert delta("openshot_api_render_seconds", "openshot_api_render_seconds_count") == 2
    assert delta("openshot_api_render_seconds", "openshot_api_render_seconds_sum") == pytest.approx(6.0)
    fps = "openshot_api_render_frames_per_second"
    assert delta(fps, f"{fps}_count") == 1
    assert delta(fps, f"{fps}_sum") == pytest.approx(30.0)
    le_50 = value(after, fps, f"{fps}_bucket", le="50.0") - value(before, fps, f"{fps}_bucket", le="50.0")
    le_25 = value(after, fps, f"{fps}_bucket", le="25.0") - value(before, fps, f"{fps}_bucket", le="25.0")
    assert (le_25, le_50) == (0, 1)


@pytest.mark.slow
def test_a_real_render_is_recorded_with_its_job(api, media, worker, scrape):
    project = create_project(api)
    create_clip(api, project, upload_file(api, project, media["red.mp4"]), end=1.0)
    before = scrape()
    export = api.post_json("/exports/", {"project": project["url"]}, status=201).json
    worker.join()
    deadline = time.time() + 120
    while api.get(export["url"]).json["status"] not in ("completed", "failed") and time.time() < deadline:
        time.sleep(0.2)
    assert api.get(export["url"]).json["status"] == "completed"
    after = scrape()

    def delta(family, sample, **labels):
        return value(after, family, sample, **labels) - value(before, family, sample, **labels)
    # Exports other tests left pending are rendered by these worker threads too: each render
    # that completed an export is one observation.
    completed = delta("openshot_api_exports", None, status="completed")
    assert completed >= 1
    assert delta("openshot_api_render_seconds", "openshot_api_render_seconds_count") == completed
    fps = "openshot_api_render_frames_per_second"
    assert delta(fps, f"{fps}_count") == completed and delta(fps, f"{fps}_sum") > 0
    assert delta("openshot_api_jobs", "openshot_api_jobs_total", actor="render_export", outcome="done") == completed
    assert delta("openshot_api_job_duration_seconds", "openshot_api_job_duration_seconds_count",
                 actor="render_export") == completed


def test_the_job_middleware_counts_outcomes_per_actor():
    job_metrics = metrics.JobMetrics()
    message = type("Message", (), {"actor_name": "metrics_test_actor"})()

    def count(outcome):
        return metrics.JOBS.labels("metrics_test_actor", outcome)._value.get()
    before = {outcome: count(outcome) for outcome in ("done", "failed", "skipped")}
    job_metrics.before_process_message(None, message)
    job_metrics.after_process_message(None, message, result=None)
    job_metrics.before_process_message(None, message)
    job_metrics.after_process_message(None, message, exception=ValueError("boom"))
    job_metrics.after_skip_message(None, message)
    assert {o: count(o) - before[o] for o in before} == {"done": 1, "failed": 1, "skipped": 1}


# -- who may read it ---------------------------------------------------------------------------

def test_by_default_only_an_admin_reads_the_metrics(anon, api, admin):
    assert anon.get("/metrics", status=401).headers["WWW-Authenticate"] == 'Basic realm="api"'
    assert api.get("/metrics", status=403).json["detail"] == "You do not have permission to perform this action."
    assert admin.get("/metrics/", status=200).text.startswith("# HELP")


def test_public_metrics_need_no_credentials(app_with):
    client = app_with("public")
    answer = client.get("/metrics", status=200)
    assert "openshot_api_http_requests_total" in answer.text
    assert client.head("/metrics", status=200).body == b""


def test_metrics_off_is_a_404_even_for_an_admin(app_with, make_user):
    client = app_with("off")
    username, password, _ = make_user(is_admin=True)  # the same database as the suite's app
    client.authorization = ("Basic", (username, password))
    assert client.get("/metrics", status=404).json == {"detail": "Not found."}
    assert client.get("/projects/", status=200)


def test_an_unknown_mode_stops_start_up(app_settings):
    with pytest.raises(ConfigurationError, match="openshot_api.metrics"):
        make_app({}, {**app_settings, "openshot_api.metrics": "everyone"})


# -- several processes -------------------------------------------------------------------------

def test_multiprocess_mode_adds_up_every_process(tmp_path):
    """Two processes count requests and one renders; a third, scraping, sees the sums."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def run(code):
        return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout
    count = "from openshot_api import metrics; metrics.HTTP_REQUESTS.labels('projects', 'GET', '200').inc({})"
    run(count.format(2))
    run(count.format(3))
    run("from openshot_api import metrics; metrics.render_completed({'start_frame': 1, 'end_frame': 50}, 5.0)")
    scraped = run(
        "import json\n"
        "from prometheus_client.exposition import generate_latest\n"
        "from openshot_api import metrics\n"
        "class Registry(dict):\n"
        "    settings = {}\n"
        "print(json.dumps(generate_latest(metrics._Scrape(Registry(dbsession_factory=None))).decode()))\n")
    families = parse(json.loads(scraped))
    assert value(families, "openshot_api_http_requests", "openshot_api_http_requests_total",
                 route="projects", method="GET", status="200") == 5
    assert value(families, "openshot_api_render_seconds", "openshot_api_render_seconds_count") == 1
    assert value(families, "openshot_api_render_frames_per_second",
                 "openshot_api_render_frames_per_second_sum") == pytest.approx(10.0)
    assert len(os.listdir(tmp_path)) >= 3  # each process wrote its own files
