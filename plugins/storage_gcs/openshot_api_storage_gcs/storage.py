"""Media and renders kept in one Google Cloud Storage bucket, under an optional prefix."""
import datetime
import io

from openshot_api.fetch import CountingReader, DownloadCache
from openshot_api.interfaces import BackendError, ConfigurationError, Storage

from .client import SETTINGS, chunk_size, gcs_errors, is_emulated, make_client


class GCSStorage(Storage):
    """Objects in ``bucket`` under ``prefix``; ``url()`` gives V4 signed URLs (the plain URL on
    the emulator) and ``local_path()`` a copy in a bounded local cache."""

    name = "gcs"

    def __init__(self, client, bucket, cache, prefix="", chunk=8 * 1024 * 1024, url_expires=3600):
        self.client, self.cache, self.chunk, self.url_expires = client, cache, chunk, url_expires
        self.bucket = client.bucket(bucket)
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_settings(cls, settings, prefix="openshot_api.storage."):
        """Read ``<prefix>gcs.``: ``bucket`` (required), ``project``, ``credentials_file``,
        ``emulator_host``, ``prefix``, ``chunk_mb``, ``url_expires`` (seconds), ``cache_dir``,
        ``cache_mb``."""
        p = prefix + "gcs."
        bucket = SETTINGS.read(settings, "bucket", p)
        if not bucket:
            raise ConfigurationError(f"{p}bucket is required for Google Cloud Storage")
        expires = SETTINGS.read(settings, "url_expires", p)
        return cls(make_client(settings, p), bucket,
                   DownloadCache.from_settings(settings, p, f"openshot-api-gcs-{bucket}"),
                   prefix=SETTINGS.read(settings, "prefix", p), chunk=chunk_size(settings, p), url_expires=expires)

    def _name(self, key):
        return self.prefix + key

    def _what(self, key):
        return f"gs://{self.bucket.name}/{self._name(key)}"

    def _existing(self, key):
        """The blob with its metadata (size, generation). Raises KeyError when absent."""
        with gcs_errors(self._what(key)):
            blob = self.bucket.get_blob(self._name(key))
        if blob is None:
            raise KeyError(key)
        return blob

    def _pinned(self, blob):
        """A handle on this generation of ``blob`` whose download URL the client builds itself
        (not taken from the server's mediaLink, which some emulators leave unescaped)."""
        return self.bucket.blob(blob.name, generation=blob.generation)

    def save(self, key, stream, content_type=None):
        """Upload ``stream`` as a resumable upload, one chunk per request; return the bytes stored."""
        reader = CountingReader(stream)
        blob = self.bucket.blob(self._name(key), chunk_size=self.chunk)
        with gcs_errors(self._what(key)):
            # No size: the client then streams chunk by chunk instead of reading it all at once.
            blob.upload_from_file(reader, content_type=content_type or "application/octet-stream")
        return reader.count

    def open(self, key):
        """Return a reader that fetches the object (this generation) in ranged chunks."""
        blob = self._existing(key)
        if not blob.size:  # nothing to fetch (and ranged reads of nothing confuse some servers)
            return io.BytesIO(b"")
        with gcs_errors(self._what(key)):
            return self._pinned(blob).open("rb", chunk_size=self.chunk)

    def size(self, key):
        """Return the object's size from its metadata."""
        return self._existing(key).size

    def exists(self, key):
        """Return True when the object exists."""
        with gcs_errors(self._what(key)):
            return self.bucket.blob(self._name(key)).exists()

    def delete(self, key):
        """Delete the object; an absent one is fine."""
        try:
            with gcs_errors(self._what(key)):
                self.bucket.delete_blob(self._name(key))
        except KeyError:
            pass

    def copy(self, src, dst):
        """Copy server side with rewrite calls (large objects take several). Raises KeyError
        when ``src`` is absent."""
        source = self._existing(src)
        target = self.bucket.blob(self._name(dst))
        with gcs_errors(self._what(src)):
            token, _done, _total = target.rewrite(source)
            while token is not None:
                token, _done, _total = target.rewrite(source, token=token)

    def list(self, prefix):
        """Yield ``(key, size)`` for the objects whose names start with ``prefix``."""
        with gcs_errors(f"gs://{self.bucket.name}/{self._name(prefix)}*"):
            for blob in self.client.list_blobs(self.bucket, prefix=self._name(prefix)):
                yield blob.name[len(self.prefix):], blob.size

    def url(self, key):
        """Return a V4 signed GET URL valid for ``url_expires`` seconds (on the emulator, which
        cannot check signatures, the plain object URL)."""
        blob = self.bucket.blob(self._name(key))
        if is_emulated(self.client):
            return blob.public_url
        try:
            return blob.generate_signed_url(version="v4", method="GET",
                                            expiration=datetime.timedelta(seconds=self.url_expires))
        except AttributeError as exc:  # credentials without a private key cannot sign
            raise BackendError(f"cannot sign a URL for {self._what(key)}: {exc}") from None

    def local_path(self, key):
        """Return a cached local copy, downloaded again only when the object's generation changed."""
        blob = self._existing(key)

        def fill(out):
            if blob.size:
                with gcs_errors(self._what(key)):
                    self._pinned(blob).download_to_file(out)  # one streamed request

        return self.cache.path(f"{self.bucket.name}/{self._name(key)}", str(blob.generation), fill)

    def heartbeat(self):
        """Return True when the bucket answers."""
        try:
            return self.bucket.exists()
        except Exception:  # any failure means the backend does not answer
            return False
