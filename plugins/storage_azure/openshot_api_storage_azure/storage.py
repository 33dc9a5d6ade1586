"""Media and renders kept in one Azure Blob Storage container, under an optional prefix."""
import io
import itertools
import time

from azure.core import MatchConditions
from azure.storage.blob import ContentSettings

from openshot_api.fetch import CHUNK, CountingReader, DownloadCache
from openshot_api.interfaces import BackendError, ConfigurationError, Storage

from .client import SETTINGS, DownloadReader, azure_errors, chunk_size, make_service, read_url

COPY_TIMEOUT = 600


class AzureStorage(Storage):
    """Blobs in ``container`` under ``prefix``; ``url()`` gives read-only SAS URLs and
    ``local_path()`` a copy in a bounded local cache."""

    name = "azure"

    def __init__(self, service, container, cache, prefix="", url_expires=3600, chunk=8 * 1024 * 1024):
        self.service, self.cache, self.url_expires, self.chunk = service, cache, url_expires, chunk
        self.container = service.get_container_client(container)
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_settings(cls, settings, prefix="openshot_api.storage."):
        """Read ``<prefix>azure.``: ``container`` (required), ``connection_string`` or
        ``account_name`` + ``account_key`` (+ ``blob_endpoint``), ``prefix``, ``chunk_mb``,
        ``url_expires`` (seconds), ``cache_dir``, ``cache_mb``."""
        p = prefix + "azure."
        container = SETTINGS.read(settings, "container", p)
        if not container:
            raise ConfigurationError(f"{p}container is required for Azure storage")
        expires = SETTINGS.read(settings, "url_expires", p)
        service = make_service(settings, p)
        cache = DownloadCache.from_settings(settings, p, f"openshot-api-azure-{service.account_name}-{container}")
        return cls(service, container, cache, prefix=SETTINGS.read(settings, "prefix", p), url_expires=expires,
                   chunk=chunk_size(settings, p))

    def _blob(self, key):
        return self.container.get_blob_client(self.prefix + key)

    def _what(self, key):
        return f"azure://{self.container.container_name}/{self.prefix}{key}"

    def save(self, key, stream, content_type=None):
        """Upload ``stream`` as staged blocks of one chunk each; return the bytes stored."""
        reader = CountingReader(stream)
        first = reader.read(self.chunk)
        settings = ContentSettings(content_type=content_type)
        with azure_errors(self._what(key)):
            if len(first) < self.chunk:  # the whole object: one request
                self._blob(key).upload_blob(first, overwrite=True, content_settings=settings)
            else:
                # The SDK's parallel block upload never returns on an empty stream, so it only
                # gets one that has a first chunk.
                chunks = itertools.chain([first], iter(lambda: reader.read(self.chunk), b""))
                self._blob(key).upload_blob(chunks, overwrite=True, max_concurrency=2, content_settings=settings)
        return reader.count

    def open(self, key):
        """Return a buffered reader that downloads ``key`` one ranged chunk at a time."""
        with azure_errors(self._what(key)):
            downloader = self._blob(key).download_blob()
        return io.BufferedReader(DownloadReader(downloader), CHUNK)

    def _properties(self, key):
        with azure_errors(self._what(key)):
            return self._blob(key).get_blob_properties()

    def size(self, key):
        """Return the blob's size from its properties."""
        return self._properties(key).size

    def exists(self, key):
        """Return True when the blob exists."""
        with azure_errors(self._what(key)):
            return self._blob(key).exists()

    def delete(self, key):
        """Delete the blob and its snapshots; an absent blob is fine."""
        try:
            with azure_errors(self._what(key)):
                self._blob(key).delete_blob(delete_snapshots="include")
        except KeyError:
            pass

    def copy(self, src, dst):
        """Copy server side and wait for the copy to finish. Raises KeyError when ``src`` is absent."""
        self._properties(src)
        source = read_url(self.service, self._blob(src), 3600)
        target = self._blob(dst)
        with azure_errors(self._what(dst)):
            target.start_copy_from_url(source)
            deadline = time.monotonic() + COPY_TIMEOUT
            # Copies within an account usually finish at once; large ones report "pending".
            while (copy := target.get_blob_properties().copy).status == "pending":
                if time.monotonic() > deadline:
                    target.abort_copy(copy.id)
                    raise BackendError(f"copying {self._what(src)} took longer than {COPY_TIMEOUT} s")
                time.sleep(0.5)
        if copy.status not in (None, "success"):
            raise BackendError(f"copying {self._what(src)} ended as {copy.status}: {copy.status_description}")

    def list(self, prefix):
        """Yield ``(key, size)`` for the blobs whose names start with ``prefix``."""
        with azure_errors(f"azure://{self.container.container_name}/{self.prefix}{prefix}*"):
            for blob in self.container.list_blobs(name_starts_with=self.prefix + prefix):
                yield blob.name[len(self.prefix):], blob.size

    def url(self, key):
        """Return the blob's URL with a read-only SAS valid for ``url_expires`` seconds."""
        return read_url(self.service, self._blob(key), self.url_expires)

    def local_path(self, key):
        """Return a cached local copy, downloaded again only when the blob's ETag changed."""
        etag = self._properties(key).etag

        def fill(out):
            with azure_errors(self._what(key)):
                self._blob(key).download_blob(etag=etag, match_condition=MatchConditions.IfNotModified).readinto(out)

        return self.cache.path(f"{self.container.container_name}/{self.prefix}{key}", etag, fill)

    def heartbeat(self):
        """Return True when the container answers."""
        try:
            self.container.get_container_properties()
            return True
        except Exception:  # any failure means the backend does not answer
            return False
