"""The BlobServiceClient built from settings, SAS URLs, and the translation of SDK errors."""
import contextlib
import datetime
import io

from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from azure.storage.blob import BlobSasPermissions, BlobServiceClient, generate_blob_sas

from openshot_api.interfaces import BackendError, ConfigurationError
from openshot_api.settings import Setting, SettingGroup, storage_settings

MiB = 1024 * 1024
PREFIX = "openshot_api.storage.azure."

# Read by the storage (openshot_api.storage = azure) and by the transfer of client-container
# imports; the account settings are shared.
SETTINGS = SettingGroup(
    PREFIX,
    Setting(PREFIX + "container", "str", None, "Container of media and renders (required with "
            "openshot_api.storage = azure)."),
    Setting(PREFIX + "connection_string", "str", None, "Connection string of the storage account "
            "(or account_name + account_key).", secret=True),
    Setting(PREFIX + "account_name", "str", None, "Storage account name, without a "
            "connection_string."),
    Setting(PREFIX + "account_key", "str", None, "Key of account_name.", secret=True),
    Setting(PREFIX + "blob_endpoint", "str", None, "Blob endpoint of account_name (empty: "
            "https://<account_name>.blob.core.windows.net)."),
    # Blocks of 1 to 4000 MiB.
    *storage_settings(PREFIX, "Azure container", chunk_minimum=1, chunk_maximum=4000),
)


def chunk_size(settings, p):
    """``<p>chunk_mb`` (default 8) in bytes: the block size of uploads and the size of each
    ranged download (between 1 and 4000)."""
    return int(SETTINGS.read(settings, "chunk_mb", p) * MiB)


def make_service(settings, p):
    """Return a BlobServiceClient from ``<p>connection_string``, or from ``<p>account_name`` and
    ``<p>account_key`` with ``<p>blob_endpoint`` (default: the account's public endpoint).
    Transfers move ``<p>chunk_mb`` at a time, so memory stays bounded."""
    chunk = chunk_size(settings, p)
    sizes = {"max_block_size": chunk, "max_single_put_size": chunk, "max_single_get_size": chunk,
             "max_chunk_get_size": chunk, "connection_timeout": 20, "read_timeout": 120}
    def value(name):
        return SETTINGS.read(settings, name, p)

    connection_string = value("connection_string")
    if connection_string:
        try:
            return BlobServiceClient.from_connection_string(connection_string, **sizes)
        except ValueError as exc:
            raise ConfigurationError(f"{p}connection_string is not valid: {exc}") from None
    account, key = value("account_name"), value("account_key")
    if not account:
        raise ConfigurationError(f"{p}connection_string or {p}account_name is required for Azure")
    if not key:
        raise ConfigurationError(f"{p}account_key is required with {p}account_name")
    endpoint = value("blob_endpoint") or f"https://{account}.blob.core.windows.net"
    return BlobServiceClient(endpoint, credential={"account_name": account, "account_key": key}, **sizes)


def read_url(service, blob_client, expires):
    """Return a URL that reads ``blob_client`` for ``expires`` seconds: a SAS signed with the
    account key, or the client's own URL when it was built from a SAS already."""
    key = getattr(service.credential, "account_key", None)
    if not key:
        return blob_client.url
    now = datetime.datetime.now(datetime.timezone.utc)
    sas = generate_blob_sas(service.account_name, blob_client.container_name, blob_client.blob_name,
                            account_key=key, permission=BlobSasPermissions(read=True),
                            start=now - datetime.timedelta(minutes=5),  # tolerate clock skew
                            expiry=now + datetime.timedelta(seconds=expires))
    return f"{blob_client.url}?{sas}"


@contextlib.contextmanager
def azure_errors(what, missing=KeyError):
    """Turn SDK errors about ``what`` into BackendError; a missing blob raises ``missing``
    (KeyError for storage, BackendError for client transfers)."""
    try:
        yield
    except ResourceNotFoundError as exc:
        if exc.error_code == "ContainerNotFound":
            raise BackendError(f"the container of {what} does not exist") from None
        raise missing(what if missing is KeyError else f"{what} was not found") from None
    except HttpResponseError as exc:
        if exc.status_code == 403:
            raise BackendError(f"access to {what} was denied") from None
        raise BackendError(f"Azure refused {what}: {_first_line(exc)}") from None
    except AzureError as exc:
        raise BackendError(f"Azure failed for {what}: {_first_line(exc)}") from None


def _first_line(exc):
    return (getattr(exc, "message", None) or str(exc)).split("\n")[0][:300]


class DownloadReader(io.RawIOBase):
    """A file object over a blob download, fetching one ranged chunk at a time."""

    def __init__(self, downloader):
        self.downloader = downloader

    def readable(self):
        """Always True."""
        return True

    def readinto(self, buffer):
        """Fill ``buffer`` from the download; return the number of bytes, 0 at the end."""
        with azure_errors(self.downloader.name):
            data = self.downloader.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)
