"""Every Dramatiq actor. Actors are verbs, take ids, are idempotent, and do their database work
in transactions of their own (``db.job_session``). Jobs are asked for through the outbox
(``jobs.enqueue``), in the same transaction as the change that needs them.

An export is rendered by ``render_export(export_id, attempt)``: the attempt number makes a job
stale as soon as the export is retried, handed back or cancelled, so a late or duplicated message
does nothing. A webhook delivery is ``send_webhook(export_id, attempt)`` with the same rule, its
state kept on the export so that it outlives the broker and the workers.
"""
import datetime
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import tempfile
import time
from urllib.parse import urlencode

import dramatiq
import psutil
import requests
from sqlalchemy import select

from . import metrics, timeline
from .db import database_unavailable, job_session, retry_unavailable
from .fetch import post_url
from .interfaces import BackendError, WorkerFault
from .jobs import enqueue
from .media import output_prefix, work_dir
from .models import Export, File
from .settings import get_bool, get_int
from .worker import current, shutdown_for

log = logging.getLogger(__name__)

# Heartbeats are written at least this often while rendering; the sweeper gives up on an export
# after ``openshot_api.export_heartbeat_timeout`` seconds without one.
HEARTBEAT_SECONDS = 0.5


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class RenderMonitor:
    """Passes progress from the renderer to the database (throttled, doubling as heartbeat) and
    tells the renderer to stop when the export was cancelled, retried or deleted meanwhile, or
    when this worker is stopping and the grace period is over (``handing_back``). A failed
    progress write (a database blip) is skipped: the render goes on."""

    def __init__(self, context, export_id, attempt):
        self.context = context
        self.export_id = export_id
        self.attempt = attempt
        self.latest = 0.0
        self.last_write = 0.0
        self.stop = False
        self.handing_back = False
        self.grace = float(get_int(context.settings, "openshot_api.worker_shutdown_grace"))
        psutil.cpu_percent(None)  # starts the measurement window

    def progress(self, value):
        self.latest = max(self.latest, min(float(value), 99.9))
        self._poll()

    def cancelled(self):
        stopping = shutdown_for()
        if stopping is not None and stopping >= self.grace:
            self.handing_back = True
            return True
        self._poll()
        return self.stop

    def _poll(self):
        now = time.monotonic()
        if now - self.last_write < HEARTBEAT_SECONDS:
            return
        self.last_write = now
        try:
            with job_session(self.context.session_factory) as session:
                export = session.get(Export, self.export_id)
                if export is None or export.attempt != self.attempt or export.status != "in-progress":
                    self.stop = True
                    return
                export.progress = round(self.latest, 2)
                export.date_updated = _utcnow()
        except Exception as error:
            if not database_unavailable(error):
                raise
            log.warning("export %s: progress not saved (%s); rendering goes on", self.export_id,
                        str(error).splitlines()[0])

    @staticmethod
    def stats():
        """The machine's load over the render: the renderer works in child processes, so the
        worker's own figures would say little."""
        return {"cpu": round(psutil.cpu_percent(None), 1), "memory": round(psutil.virtual_memory().percent, 1)}


def _patience(context):
    return float(get_int(context.settings, "openshot_api.db_outage_patience"))


def _claim(context, export_id, attempt):
    """Mark the export in-progress for this attempt and return what the render needs, or None when
    the job is stale (retried, cancelled, deleted, already done)."""
    storage = context.services.storage
    with job_session(context.session_factory) as session:
        export = session.get(Export, export_id, with_for_update=True)
        if export is None or export.attempt != attempt or export.status != "pending":
            return None
        export.status = "in-progress"
        export.progress = 0.0
        export.json = {**(export.json or {}), "hostname": socket.gethostname()}
        project = export.project
        settings = timeline.export_settings(export, project)
        missing = [f.media for f in project.files if f.media and not storage.exists(f.media)]
        if missing:
            return {"error": f"Missing media in storage: {', '.join(missing)}"}
        return {
            "timeline": timeline.build(project, path_for=lambda f: storage.local_path(f.media)),
            "settings": settings,
            "project_id": project.id,
            "upload": {k: v for k, v in (export.json or {}).items()}
            if any(k in (export.json or {}) for k in ("bucket", "container")) else None,
        }


def _finish(context, export_id, attempt, **changes):
    """Write the outcome if this attempt still owns the export, and make its webhook due in the
    same transaction; return True when written. Waits out a database outage: the render is done
    and only this write is missing."""
    def write():
        with job_session(context.session_factory) as session:
            export = session.get(Export, export_id, with_for_update=True)
            if export is None or export.attempt != attempt:
                return False
            values = dict(changes)
            extra = values.pop("json", {})
            data = {**(export.json or {}), **extra}
            if export.status == "cancel":
                values = {"status": "failed"}
                data["error"] = "Export cancelled."
            for key, value in values.items():
                setattr(export, key, value)
            export.json = data
            schedule_webhook(session, export)
            return True
    return retry_unavailable(write, _patience(context), f"export {export_id}")


def next_attempt(session, export, *, fault, error, now=None):
    """Move ``export`` (loaded for update) to a new attempt in the caller's transaction: back to
    pending with its render job in the outbox when it may go on (a hand-back always may, a
    worker fault up to ``export_max_auto_retries`` times), otherwise failed with ``error`` and
    its webhook due. A cancel asked for meanwhile is honoured. Returns the new status."""
    settings = current().settings
    now = now or _utcnow()
    data = dict(export.json or {})
    auto = int(data.get("auto_retries", 0))
    may_go_on = export.status != "cancel" and (not fault or auto < get_int(settings, "openshot_api.export_max_auto_retries"))
    export.attempt = (export.attempt or 0) + 1
    export.date_updated = now
    if may_go_on:
        if fault:
            data.update(auto_retries=auto + 1, retries=int(data.get("retries", 0)) + 1)
        data.pop("error", None)
        export.status, export.progress, export.json = "pending", 0.0, data
        enqueue(session, render_export, export.id, export.attempt)
    else:
        data["error"] = "Export cancelled." if export.status == "cancel" else error
        export.status, export.json = "failed", data
        schedule_webhook(session, export, now)
    return export.status


def _move_on(context, export_id, attempt, *, fault, error):
    """``next_attempt`` for the render that held ``attempt``, if it still owns the export."""
    def write():
        with job_session(context.session_factory) as session:
            export = session.get(Export, export_id, with_for_update=True)
            if export is None or export.attempt != attempt:
                return None
            return next_attempt(session, export, fault=fault, error=error)
    return retry_unavailable(write, _patience(context), f"export {export_id}")


@dramatiq.actor(queue_name="render", max_retries=0, time_limit=24 * 3600 * 1000)
def render_export(export_id, attempt):
    """Render one attempt of an export, store the output, upload it if asked; the webhook is made
    due with the outcome."""
    context = current()
    job = retry_unavailable(lambda: _claim(context, export_id, attempt), _patience(context),
                            f"export {export_id}")
    if job is None:
        return
    if "error" in job:
        _finish(context, export_id, attempt, status="failed", json={"error": job["error"]})
        return
    monitor = RenderMonitor(context, export_id, attempt)
    fd, out_path = tempfile.mkstemp(dir=work_dir(context.settings), prefix=f"export-{export_id}-")
    os.close(fd)
    storage = context.services.storage
    try:
        started = time.monotonic()
        result = context.services.renderer.render(job["timeline"], job["settings"], out_path,
                                                  monitor.progress, monitor.cancelled)
        render_seconds = time.monotonic() - started
        if monitor.stop or monitor.handing_back:
            raise BackendError("cancelled")
        extension = result.get("extension") or job["settings"]["video_format"]
        project_id = job["project_id"]
        key = (f"{output_prefix(project_id)}output-{project_id}-{export_id}-"
               f"{secrets.token_hex(4)}.{extension}")
        with open(out_path, "rb") as src:
            storage.save(key, src, result.get("content_type"))
        extra = {"worker_stats": monitor.stats(), "file_size": os.path.getsize(out_path)}
        if job["upload"]:
            transfer = context.services.cloud_transfer_for(job["upload"])
            if transfer is None:
                raise BackendError("no cloud storage plugin accepts this upload")
            extra["upload"] = transfer.upload(job["upload"], out_path, result.get("content_type"))
        if not _finish(context, export_id, attempt, status="completed", progress=100.0, output=key,
                       json=extra):
            storage.delete(key)  # a newer attempt owns the export now
        else:
            metrics.render_completed(job["settings"], render_seconds)  # never raises
    except WorkerFault as exc:
        # Killed from outside (OOM killer, SIGKILL, a crash): like a killed worker, retried.
        log.warning("export %s attempt %s: %s", export_id, attempt, exc)
        _move_on(context, export_id, attempt, fault=True, error=str(exc))
    except BackendError as exc:
        if monitor.handing_back:
            # This worker is stopping (a deploy): another one takes the export at once.
            log.info("export %s attempt %s handed back: the worker is stopping", export_id, attempt)
            _move_on(context, export_id, attempt, fault=False, error="")
        else:
            message = "Export cancelled." if str(exc) == "cancelled" else str(exc)
            _finish(context, export_id, attempt, status="failed",
                    json={"error": message, "worker_stats": monitor.stats()})
    except Exception as exc:  # a bug or a crash in a backend: fail the export, keep the worker
        log.exception("export %s failed", export_id)
        _finish(context, export_id, attempt, status="failed", json={"error": f"{type(exc).__name__}: {exc}"})
    finally:
        if os.path.exists(out_path):
            os.unlink(out_path)


# --- Webhooks -------------------------------------------------------------------------------

def _webhook_lease(settings):
    """How long one delivery may take before the sweeper may start another."""
    return datetime.timedelta(seconds=get_int(settings, "openshot_api.webhook_timeout") + 60)


def _webhook_backoff(settings, failures):
    return datetime.timedelta(seconds=min(2 ** failures, get_int(settings, "openshot_api.webhook_max_backoff")))


def schedule_webhook(session, export, now=None):
    """Make ``export``'s webhook due (when it has one), its first delivery job in the outbox, in
    the caller's transaction. Called with the export's final state."""
    if not export.webhook:
        export.webhook_state = ""
        return
    now = now or _utcnow()
    export.webhook_state = "due"
    export.webhook_attempts = 0
    export.webhook_next_at = now + _webhook_lease(current().settings)
    enqueue(session, send_webhook, export.id, 0)


def queue_due_webhooks(context):
    """Queue the deliveries whose next try is due (a retry after a failure, or a job lost with a
    worker or the broker). Each is conditional on the attempts seen, so keepers never double up."""
    now = _utcnow()
    lease = _webhook_lease(context.settings)
    with job_session(context.session_factory) as session:
        due = session.execute(select(Export.id, Export.webhook_attempts).where(
            Export.webhook_state == "due", Export.webhook_next_at <= now).limit(100)).all()
    for export_id, attempts in due:
        with job_session(context.session_factory) as session:
            export = session.get(Export, export_id, with_for_update=True)
            if export is None or export.webhook_state != "due" or export.webhook_attempts != attempts:
                continue
            next_at = export.webhook_next_at
            if next_at is not None and _aware(next_at) > now:
                continue
            export.webhook_next_at = now + lease
            enqueue(session, send_webhook, export_id, attempts)


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def _flatten_form(payload):
    return urlencode({k: json.dumps(v) if isinstance(v, (dict, list)) else ("" if v is None else v)
                      for k, v in payload.items()})


def _webhook_request(context, export):
    from .resources.exports import serialize_export
    payload = serialize_export(context.url_builder(export.base_url), export)
    payload["json"] = {**payload["json"], "status": "success" if payload["status"] == "completed" else "failed",
                       "detail": payload["json"].get("error", "")}
    for key in WEBHOOK_STATE_KEYS:
        payload["json"].pop(key, None)
    if payload["json"].get("webhook-form-urlencoded") in (True, "true", 1, "1"):
        body, content_type = _flatten_form(payload).encode(), "application/x-www-form-urlencoded"
    else:
        body, content_type = json.dumps(payload).encode(), "application/json"
    headers = {"Content-Type": content_type, "User-Agent": "openshot-api webhook"}
    secret = context.settings.get("openshot_api.webhook_secret")
    if secret:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-OpenShot-Signature"] = f"sha256={digest}"
    return body, headers


# Delivery details shown in the export's json while a delivery is retried; not sent in payloads.
WEBHOOK_STATE_KEYS = ("webhook_attempts", "webhook_next_try", "webhook_last_answer")
RETRY_STATUSES = {408, 425, 429}


@dramatiq.actor(queue_name="webhooks", max_retries=0)
def send_webhook(export_id, attempt=0):
    """Deliver the finished export to its webhook once (delivery ``attempt``); keep the answer in
    ``json.webhook``, or schedule the next try with backoff (``openshot_api.webhook_retries``)."""
    context = current()
    settings = context.settings
    with job_session(context.session_factory) as session:
        export = session.get(Export, export_id, with_for_update=True)
        if export is None or export.webhook_state != "due" or export.webhook_attempts != attempt:
            return  # delivered, retried or rescheduled meanwhile: this job is stale
        if not export.webhook or export.status not in ("completed", "failed"):
            export.webhook_state = ""
            return
        export.webhook_attempts = attempt + 1
        export.webhook_next_at = _utcnow() + _webhook_lease(settings)
        body, headers = _webhook_request(context, export)
        url = export.webhook
    try:
        response = post_url(url, body, headers, timeout=get_int(settings, "openshot_api.webhook_timeout"),
                            allow_private=get_bool(settings, "openshot_api.allow_private_urls"))
        answer = (f"{response.status_code}: [{response.headers.get('Content-Type', '')}] "
                  f"{response.text[:2000]}")
        failed = response.status_code >= 500 or response.status_code in RETRY_STATUSES
    except BackendError as exc:  # refused address: retrying will not help
        answer, failed = f"refused: {exc}", False
    except requests.RequestException as exc:
        answer, failed = f"error: {type(exc).__name__}: {exc}", True

    def record():
        with job_session(context.session_factory) as session:
            export = session.get(Export, export_id, with_for_update=True)
            if export is None or export.webhook_state != "due" or export.webhook_attempts != attempt + 1:
                return
            data = {k: v for k, v in (export.json or {}).items() if k not in WEBHOOK_STATE_KEYS}
            if failed and attempt < get_int(settings, "openshot_api.webhook_retries"):
                export.webhook_next_at = _utcnow() + _webhook_backoff(settings, attempt + 1)
                data.update(webhook_attempts=attempt + 1, webhook_last_answer=answer,
                            webhook_next_try=export.webhook_next_at.isoformat())
            else:
                export.webhook_state = "failed" if failed else "delivered"
                export.webhook_next_at = None
                data["webhook"] = answer
            export.json = data
    retry_unavailable(record, _patience(context), f"webhook of export {export_id}")


# --- Sweeping -------------------------------------------------------------------------------

def sweep_exports(context, heartbeat_seconds=None):
    """Retry (up to ``export_max_auto_retries``), then fail, exports whose worker died or that
    waited too long in the queue. ``heartbeat_seconds`` overrides the heartbeat timeout."""
    settings = context.settings
    now = _utcnow()
    heartbeat = datetime.timedelta(seconds=heartbeat_seconds or get_int(settings, "openshot_api.export_heartbeat_timeout") or 60)
    stale = datetime.timedelta(minutes=get_int(settings, "openshot_api.export_stale_minutes") or 45)
    with job_session(context.session_factory) as session:
        candidates = session.execute(select(Export.id, Export.attempt, Export.status, Export.date_updated).where(
            Export.status.in_(("pending", "in-progress", "cancel")))).all()
    for export_id, attempt, status, updated in candidates:
        limit = stale if status == "pending" else heartbeat
        if now - _aware(updated) < limit:
            continue
        with job_session(context.session_factory) as session:
            export = session.get(Export, export_id, with_for_update=True)
            # Re-checked under the lock: another keeper or the worker may have moved it on.
            if export is None or export.attempt != attempt or export.status != status or \
                    now - _aware(export.date_updated) < limit:
                continue
            next_attempt(session, export, fault=True, now=now, error=(
                "The export was not finished in time: its worker stopped or none took it."))


def requeue_pending(context):
    """Send a job for every pending export (the embedded broker forgets its queue on restart)."""
    with job_session(context.session_factory) as session:
        pending = [(e.id, e.attempt) for e in session.query(Export).filter(Export.status == "pending")]
    for export_id, attempt in pending:
        render_export.send(export_id, attempt)


@dramatiq.actor(queue_name="transcribe", max_retries=0, time_limit=6 * 3600 * 1000)
def transcribe_file(file_id):
    """Transcribe the file as its ``json.transcribe`` job says; store the WebVTT per language."""
    context = current()
    with job_session(context.session_factory) as session:
        file = session.get(File, file_id)
        if file is None or (file.json or {}).get("transcribe", {}).get("status") != "pending":
            return
        job = dict(file.json["transcribe"], status="in-progress")
        file.json = {**file.json, "transcribe": job}
        key = file.media
    state = {"last": 0.0}

    def progress(value):
        now = time.monotonic()
        if now - state["last"] < 1.0:
            return
        state["last"] = now
        with job_session(context.session_factory) as session:
            current_file = session.get(File, file_id)
            if current_file is not None:
                data = dict(current_file.json or {})
                data["transcribe"] = {**data.get("transcribe", {}), "progress": round(float(value), 1)}
                current_file.json = data
    try:
        path = context.services.storage.local_path(key)
        result = context.services.transcriber.transcribe(path, job["model"], job["language"], job["translate"],
                                                          job["args"], progress)
        outcome = {"status": "completed", "progress": 100.0, "result_language": result["language"]}
    except BackendError as exc:
        result, outcome = None, {"status": "failed", "error": str(exc)}
    except Exception as exc:
        log.exception("transcription of file %s failed", file_id)
        result, outcome = None, {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    with job_session(context.session_factory) as session:
        file = session.get(File, file_id)
        if file is None:
            return
        data = dict(file.json or {})
        data["transcribe"] = {**data.get("transcribe", {}), **outcome}
        if result is not None:
            language = "en" if job["translate"] else (result["language"] or job["language"] or "und")
            transcripts = dict(data.get("transcripts") or {})
            transcripts[language] = {"vtt": result["vtt"], "model": job["model"], "translated": job["translate"]}
            data["transcripts"] = transcripts
        file.json = data



ACTORS = (render_export, send_webhook, transcribe_file)
