"""The boto3 client built from settings, and the translation of its errors."""
import contextlib

import boto3
from boto3.s3.transfer import TransferConfig
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from openshot_api.interfaces import BackendError, ConfigurationError

MiB = 1024 * 1024
NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


def make_client(settings, p, unsigned=False):
    """Return an S3 client from the settings ``<p>endpoint_url``, ``<p>region``,
    ``<p>access_key_id``, ``<p>secret_access_key``, ``<p>session_token`` and
    ``<p>addressing_style``. Without keys, boto3 finds credentials as usual (environment,
    shared files, instance role). ``unsigned`` makes a client whose URLs carry no signature."""
    key_id, secret = settings.get(p + "access_key_id") or None, settings.get(p + "secret_access_key") or None
    if bool(key_id) != bool(secret):
        missing = "secret_access_key" if key_id else "access_key_id"
        raise ConfigurationError(f"{p}{missing} is required with {p}{'access_key_id' if key_id else 'secret_access_key'}")
    endpoint = settings.get(p + "endpoint_url") or None
    # Path-style addressing works with any endpoint (emulators, MinIO); AWS prefers virtual hosts.
    style = settings.get(p + "addressing_style") or ("path" if endpoint else "auto")
    if style not in ("auto", "path", "virtual"):
        raise ConfigurationError(f"{p}addressing_style must be auto, path or virtual")
    session = boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                                    aws_session_token=settings.get(p + "session_token") or None,
                                    region_name=settings.get(p + "region") or None)
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
    """``<p>chunk_mb`` (default 8) in bytes; S3 parts cannot be smaller than 5 MiB."""
    try:
        size = int(float(settings.get(p + "chunk_mb") or 8) * MiB)
    except ValueError:
        raise ConfigurationError(f"{p}chunk_mb must be a number of megabytes") from None
    if size < 5 * MiB:
        raise ConfigurationError(f"{p}chunk_mb must be at least 5 (the smallest S3 part)")
    return size


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
