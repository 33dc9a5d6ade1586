"""The google-cloud-storage client built from settings, and the translation of its errors."""
import contextlib

import google.auth.exceptions
from google.api_core import exceptions as api_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from openshot_api.interfaces import BackendError, ConfigurationError
from openshot_api.settings import Setting, SettingGroup, storage_settings

MiB = 1024 * 1024
CHUNK_UNIT = 256 * 1024  # resumable upload chunks are multiples of 256 KiB
PREFIX = "openshot_api.storage.gcs."

# Read by the storage (openshot_api.storage = gcs) and by the transfer of client-bucket imports;
# the connection settings are shared.
SETTINGS = SettingGroup(
    PREFIX,
    Setting(PREFIX + "bucket", "str", None, "Bucket of media and renders (required with "
            "openshot_api.storage = gcs)."),
    Setting(PREFIX + "project", "str", None, "Google Cloud project (optional for reads and "
            "writes)."),
    Setting(PREFIX + "credentials_file", "path", None, "Service account JSON key file (empty: the "
            "machine's default Google credentials)."),
    Setting(PREFIX + "emulator_host", "str", None, "host:port of a GCS emulator, used "
            "anonymously instead of Google (tests, development)."),
    # At least one 256 KiB unit of a resumable upload.
    *storage_settings(PREFIX, "GCS bucket", chunk_minimum=CHUNK_UNIT / MiB),
)


def chunk_size(settings, p):
    """``<p>chunk_mb`` (default 8) in bytes, rounded to 256 KiB: the size of each resumable
    upload request and each ranged read (at least 0.25)."""
    return int(SETTINGS.read(settings, "chunk_mb", p) * MiB) // CHUNK_UNIT * CHUNK_UNIT


def make_client(settings, p):
    """Return a storage Client: for the emulator at ``<p>emulator_host`` (anonymous), else with
    the service account in ``<p>credentials_file``, else with the default Google credentials
    of the machine. ``<p>project`` names the project (optional for reads and writes)."""
    def value(name):
        return SETTINGS.read(settings, name, p)

    project = value("project")
    emulator = value("emulator_host")
    if emulator:
        endpoint = emulator if "://" in emulator else "http://" + emulator
        return storage.Client(project=project or "emulator", credentials=AnonymousCredentials(),
                              client_options={"api_endpoint": endpoint.rstrip("/")})
    credentials_file = value("credentials_file")
    try:
        if credentials_file:
            return storage.Client.from_service_account_json(credentials_file, project=project)
        return storage.Client(project=project)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"{p}credentials_file cannot be used: {exc}") from None
    except google.auth.exceptions.DefaultCredentialsError:
        raise ConfigurationError(
            f"{p}credentials_file is required: no default Google credentials on this machine") from None


@contextlib.contextmanager
def gcs_errors(what, missing=KeyError):
    """Turn client errors about ``what`` into BackendError; a missing object raises ``missing``
    (KeyError for storage, BackendError for client transfers)."""
    try:
        yield
    except api_exceptions.NotFound:
        raise missing(what if missing is KeyError else f"{what} was not found") from None
    except api_exceptions.Forbidden:
        raise BackendError(f"access to {what} was denied") from None
    except api_exceptions.GoogleAPICallError as exc:
        raise BackendError(f"Google Cloud Storage refused {what}: {exc.message}") from None
    except (google.auth.exceptions.GoogleAuthError, api_exceptions.GoogleAPIError, OSError) as exc:
        raise BackendError(f"Google Cloud Storage failed for {what}: {exc}") from None


def is_emulated(client):
    """True when ``client`` talks to an emulator (anonymous, so URLs cannot be signed)."""
    return isinstance(client._credentials, AnonymousCredentials)
