"""The boto3 client built from settings, and the translation of its errors."""
import contextlib

import boto3
from boto3.s3.transfer import TransferConfig
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from openshot_api.interfaces import BackendError, ConfigurationError
from openshot_api.settings import Setting, SettingGroup, storage_settings

MiB = 1024 * 1024
NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
PREFIX = "openshot_api.storage.s3."

# Read by the storage (openshot_api.storage = s3) and by the transfer of client-bucket imports.
SETTINGS = SettingGroup(
    PREFIX,
    Setting(PREFIX + "bucket", "str", None, "Bucket of media and renders (required with "
            "openshot_api.storage = s3)."),
    Setting(PREFIX + "region", "str", None, "AWS region (empty: boto3's usual lookup)."),
    Setting(PREFIX + "endpoint_url", "str", None, "Endpoint of an S3-compatible service (MinIO, "
            "an emulator); empty: AWS."),
    Setting(PREFIX + "access_key_id", "str", None, "Access key id (empty: credentials from the "
            "environment, shared files or the instance role)."),
    Setting(PREFIX + "secret_access_key", "str", None, "Secret of access_key_id.", secret=True),
    Setting(PREFIX + "session_token", "str", None, "Session token of temporary credentials.",
            secret=True),
    Setting(PREFIX + "addressing_style", "str", None, "auto, path or virtual (empty: path with "
            "endpoint_url, else auto).", choices=("auto", "path", "virtual")),
    # S3 parts cannot be smaller than 5 MiB.
    *storage_settings(PREFIX, "S3 bucket", chunk_minimum=5),
)


def make_client(settings, p, unsigned=False):
    """Return an S3 client from the settings ``<p>endpoint_url``, ``<p>region``,
    ``<p>access_key_id``, ``<p>secret_access_key``, ``<p>session_token`` and
    ``<p>addressing_style``. Without keys, boto3 finds credentials as usual (environment,
    shared files, instance role). ``unsigned`` makes a client whose URLs carry no signature."""
    def value(name):
        return SETTINGS.read(settings, name, p)

    key_id, secret = value("access_key_id"), value("secret_access_key")
    if bool(key_id) != bool(secret):
        missing = "secret_access_key" if key_id else "access_key_id"
        raise ConfigurationError(f"{p}{missing} is required with {p}{'access_key_id' if key_id else 'secret_access_key'}")
    endpoint = value("endpoint_url")
    # Path-style addressing works with any endpoint (emulators, MinIO); AWS prefers virtual hosts.
    style = value("addressing_style") or ("path" if endpoint else "auto")
    session = boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                                    aws_session_token=value("session_token"),
                                    region_name=value("region"))
    config = Config(signature_version=UNSIGNED if unsigned else "s3v4", s3={"addressing_style": style},
                    retries={"mode": "standard", "max_attempts": 4}, connect_timeout=10, read_timeout=60)
    return session.client("s3", endpoint_url=endpoint, config=config)


def transfer_config(chunk_size):
    """Managed transfers in parts of ``chunk_size`` with at most four parts in memory."""
    config = TransferConfig(multipart_threshold=chunk_size, multipart_chunksize=chunk_size,
                            max_concurrency=4)
    # An unseekable upload stream is buffered part by part; this bounds how many parts.
    config.max_in_memory_upload_chunks = 4
    return config


def chunk_size(settings, p):
    """``<p>chunk_mb`` (default 8, at least 5: the smallest S3 part) in bytes."""
    return int(SETTINGS.read(settings, "chunk_mb", p) * MiB)


@contextlib.contextmanager
def s3_errors(what, missing=KeyError):
    """Turn boto errors about ``what`` into BackendError; a missing object raises ``missing``
    (KeyError for storage, BackendError for client transfers)."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in NOT_FOUND:
            raise missing(what if missing is KeyError else f"{what} was not found") from None
        if code in ("403", "AccessDenied"):
            raise BackendError(f"access to {what} was denied") from None
        raise BackendError(f"S3 refused {what}: {code} {error.get('Message', '')}".strip()) from None
    except BotoCoreError as exc:
        raise BackendError(f"S3 failed for {what}: {exc}") from None
