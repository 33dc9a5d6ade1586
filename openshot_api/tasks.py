"""Every Dramatiq actor. Actors are verbs, take ids, are idempotent, and do their database work
in transactions of their own (``db.job_session``).

An export is rendered by ``render_export(export_id, attempt)``: the attempt number makes a job
stale as soon as the export is retried or cancelled, so a late or duplicated message does nothing.
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
from dramatiq.middleware import CurrentMessage
from sqlalchemy import update

from . import timeline
from .db import job_session
from .fetch import post_url
from .interfaces import BackendError
from .media import output_prefix, work_dir
from .models import Export, File
from .settings import get_bool, get_int
from .worker import current

log = logging.getLogger(__name__)

# Heartbeats are written at least this often while rendering; the sweeper gives up on an export
# after ``openshot_api.export_heartbeat_timeout`` seconds without one.
HEARTBEAT_SECONDS = 0.5


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class RenderMonitor:
    """Passes progress from the renderer to the database (throttled, doubling as heartbeat) and
    tells the renderer when the export was cancelled, retried or deleted meanwhile."""

    def __init__(self, context, export_id, attempt):
        self.context = context
        self.export_id = export_id
        self.attempt = attempt
        self.latest = 0.0
        self.last_write = 0.0
        self.stop = False
        psutil.cpu_percent(None)  # starts the measurement window

    def progress(self, value):
        self.latest = max(self.latest, min(float(value), 99.9))
        self._poll()

    def cancelled(self):
        self._poll()
        return self.stop

    def _poll(self):
        now = time.monotonic()
        if now - self.last_write < HEARTBEAT_SECONDS:
            return
        self.last_write = now
        with job_session(self.context.session_factory) as session:
            export = session.get(Export, self.export_id)
            if export is None or export.attempt != self.attempt or export.status != "in-progress":
                self.stop = True
                return
            export.progress = round(self.latest, 2)
            export.date_updated = _utcnow()

    @staticmethod
    def stats():
        """The machine's load over the render: the renderer works in child processes, so the
        worker's own figures would say little."""
        return {"cpu": round(psutil.cpu_percent(None), 1), "memory": round(psutil.virtual_memory().percent, 1)}


def _claim(context, export_id, attempt):
    """Mark the export in-progress for this attempt and return what the render needs, or None when
    the job is stale (retried, cancelled, deleted, already done)."""
    storage = context.services.storage
    with job_session(context.session_factory) as session:
        export = session.get(Export, export_id)
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
    """Write the outcome if this attempt still owns the export; return True when written."""
    with job_session(context.session_factory) as session:
        export = session.get(Export, export_id)
        if export is None or export.attempt != attempt:
            return False
        cancelled = export.status == "cancel"
        extra = changes.pop("json", {})
        data = {**(export.json or {}), **extra}
        if cancelled:
            changes = {"status": "failed"}
            data["error"] = "Export cancelled."
        for key, value in changes.items():
            setattr(export, key, value)
        export.json = data
        return True


@dramatiq.actor(queue_name="render", max_retries=0, time_limit=24 * 3600 * 1000)
def render_export(export_id, attempt):
    """Render one attempt of an export, store the output, upload it if asked, send the webhook."""
    context = current()
    job = _claim(context, export_id, attempt)
    if job is None:
        return
    if "error" in job:
        _finish(context, export_id, attempt, status="failed", json={"error": job["error"]})
        send_webhook.send(export_id)
        return
    monitor = RenderMonitor(context, export_id, attempt)
    fd, out_path = tempfile.mkstemp(dir=work_dir(context.settings), prefix=f"export-{export_id}-")
    os.close(fd)
    storage = context.services.storage
    try:
        result = context.services.renderer.render(job["timeline"], job["settings"], out_path,
                                                  monitor.progress, monitor.cancelled)
        if monitor.stop:
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
            return
    except BackendError as exc:
        message = "Export cancelled." if str(exc) == "cancelled" else str(exc)
        if not _finish(context, export_id, attempt, status="failed",
                       json={"error": message, "worker_stats": monitor.stats()}):
            return
    except Exception as exc:  # a bug or a crash in a backend: fail the export, keep the worker
        log.exception("export %s failed", export_id)
        if not _finish(context, export_id, attempt, status="failed",
                       json={"error": f"{type(exc).__name__}: {exc}"}):
            return
    finally:
        if os.path.exists(out_path):
            os.unlink(out_path)
    send_webhook.send(export_id)


def _flatten_form(payload):
    return urlencode({k: json.dumps(v) if isinstance(v, (dict, list)) else ("" if v is None else v)
                      for k, v in payload.items()})


@dramatiq.actor(queue_name="webhooks", max_retries=3, min_backoff=1000, max_backoff=30000)
def send_webhook(export_id):
    """POST the finished export to its webhook and keep the answer in ``json.webhook``.
    Raising makes Dramatiq retry with backoff; the last failure is recorded instead."""
    from .resources.exports import serialize_export
    context = current()
    with job_session(context.session_factory) as session:
        export = session.get(Export, export_id)
        if export is None or not export.webhook or export.status not in ("completed", "failed"):
            return
        payload = serialize_export(context.url_builder(export.base_url), export)
        url = export.webhook
    payload["json"] = {**payload["json"], "status": "success" if payload["status"] == "completed" else "failed",
                       "detail": payload["json"].get("error", "")}
    if payload["json"].get("webhook-form-urlencoded") in (True, "true", 1, "1"):
        body, content_type = _flatten_form(payload).encode(), "application/x-www-form-urlencoded"
    else:
        body, content_type = json.dumps(payload).encode(), "application/json"
    headers = {"Content-Type": content_type, "User-Agent": "openshot-api webhook"}
    secret = context.settings.get("openshot_api.webhook_secret")
    if secret:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-OpenShot-Signature"] = f"sha256={digest}"
    timeout = get_int(context.settings, "openshot_api.webhook_timeout")
    retries_left = _retries_left()
    try:
        response = post_url(url, body, headers, timeout=timeout,
                            allow_private=get_bool(context.settings, "openshot_api.allow_private_urls"))
        answer = (f"{response.status_code}: [{response.headers.get('Content-Type', '')}] "
                  f"{response.text[:2000]}")
        failed = response.status_code >= 500
    except BackendError as exc:  # refused address: retrying will not help
        answer, failed = f"refused: {exc}", False
    except requests.RequestException as exc:
        answer, failed = f"error: {type(exc).__name__}: {exc}", True
    if failed and retries_left:
        raise RuntimeError(f"webhook to {url} failed ({answer}); retrying")
    with job_session(context.session_factory) as session:
        export = session.get(Export, export_id)
        if export is not None:
            export.json = {**(export.json or {}), "webhook": answer}


def _retries_left():
    message = CurrentMessage.get_current_message()
    if message is None:
        return False
    return message.options.get("retries", 0) < send_webhook.options.get("max_retries", 3)


def sweep_exports(context):
    """Retry once, then fail, exports whose worker died or that waited too long in the queue."""
    settings = context.settings
    now = _utcnow()
    heartbeat = datetime.timedelta(seconds=get_int(settings, "openshot_api.export_heartbeat_timeout") or 60)
    stale = datetime.timedelta(minutes=get_int(settings, "openshot_api.export_stale_minutes") or 45)
    max_auto = get_int(settings, "openshot_api.export_max_auto_retries")
    to_queue, to_notify = [], []
    with job_session(context.session_factory) as session:
        candidates = session.query(Export).filter(Export.status.in_(("pending", "in-progress", "cancel"))).all()
        for export in candidates:
            updated = export.date_updated
            if updated.tzinfo is None:
                updated = updated.replace(tzinfo=datetime.timezone.utc)
            limit = stale if export.status == "pending" else heartbeat
            if now - updated < limit:
                continue
            data = dict(export.json or {})
            auto = int(data.get("auto_retries", 0))
            if export.status != "cancel" and auto < max_auto:
                data.update(auto_retries=auto + 1, retries=int(data.get("retries", 0)) + 1)
                data.pop("error", None)
                values = {"status": "pending", "progress": 0.0, "attempt": export.attempt + 1, "json": data,
                          "date_updated": now}
                queue = True
            else:
                data["error"] = ("Export cancelled." if export.status == "cancel" else
                                 "The export was not finished in time: its worker stopped or none took it.")
                values = {"status": "failed", "attempt": export.attempt + 1, "json": data, "date_updated": now}
                queue = False
            # Conditional on the attempt, so two sweepers never both act on one export.
            result = session.execute(update(Export).where(Export.id == export.id,
                                                          Export.attempt == export.attempt).values(**values))
            if result.rowcount == 1:
                (to_queue if queue else to_notify).append((export.id, values["attempt"]))
    for export_id, attempt in to_queue:
        render_export.send(export_id, attempt)
    for export_id, _attempt in to_notify:
        send_webhook.send(export_id)


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
