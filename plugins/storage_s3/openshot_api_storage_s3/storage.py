"""Media and renders kept in one S3 bucket, under an optional key prefix."""
import posixpath

from openshot_api.fetch import CHUNK, CountingReader, DownloadCache
from openshot_api.interfaces import ConfigurationError, Storage

from .client import SETTINGS, chunk_size, make_client, s3_errors, transfer_config


class S3Storage(Storage):
    """Objects in ``bucket`` under ``prefix``; ``url()`` gives presigned GET URLs and
    ``local_path()`` a copy in a bounded local cache."""

    name = "s3"

    def __init__(self, client, bucket, cache, prefix="", chunk=8 * 1024 * 1024, url_expires=3600):
        self.client, self.bucket, self.cache = client, bucket, cache
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.transfer_config = transfer_config(chunk)
        self.url_expires = url_expires

    @classmethod
    def from_settings(cls, settings, prefix="openshot_api.storage."):
        """Read ``<prefix>s3.``: ``bucket`` (required), ``prefix``, ``region``, ``endpoint_url``,
        ``access_key_id``, ``secret_access_key``, ``session_token``, ``addressing_style``,
        ``chunk_mb``, ``url_expires`` (seconds), ``cache_dir``, ``cache_mb``."""
        p = prefix + "s3."
        bucket = SETTINGS.read(settings, "bucket", p)
        if not bucket:
            raise ConfigurationError(f"{p}bucket is required for S3 storage")
        expires = SETTINGS.read(settings, "url_expires", p)
        return cls(make_client(settings, p), bucket,
                   DownloadCache.from_settings(settings, p, f"openshot-api-s3-{bucket}"),
                   prefix=SETTINGS.read(settings, "prefix", p), chunk=chunk_size(settings, p),
                   url_expires=expires)

    def _key(self, key):
        return self.prefix + key

    def _what(self, key):
        return f"s3://{self.bucket}/{self._key(key)}"

    def save(self, key, stream, content_type=None):
        """Upload ``stream`` in parts (multipart above one chunk); return the bytes stored."""
        reader = CountingReader(stream)
        extra = {"ContentType": content_type} if content_type else {}
        with s3_errors(self._what(key)):
            self.client.upload_fileobj(reader, self.bucket, self._key(key), ExtraArgs=extra,
                                       Config=self.transfer_config)
        return reader.count

    def open(self, key):
        """Return the streaming body of ``key`` (read it in chunks; close it when done)."""
        with s3_errors(self._what(key)):
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]

    def _head(self, key):
        with s3_errors(self._what(key)):
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))

    def size(self, key):
        """Return the object's size from its metadata."""
        return self._head(key)["ContentLength"]

    def exists(self, key):
        """Return True when ``key`` is in the bucket."""
        try:
            self._head(key)
            return True
        except KeyError:
            return False

    def delete(self, key):
        """Delete ``key`` (S3 answers the same whether it existed or not)."""
        with s3_errors(self._what(key)):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def copy(self, src, dst):
        """Copy server side (in parts for large objects). Raises KeyError when ``src`` is absent."""
        with s3_errors(self._what(src)):
            self.client.copy({"Bucket": self.bucket, "Key": self._key(src)}, self.bucket,
                             self._key(dst), Config=self.transfer_config)

    def list(self, prefix):
        """Yield ``(key, size)`` under ``prefix``, a page of 1000 at a time."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(prefix))
        with s3_errors(f"s3://{self.bucket}/{self._key(prefix)}*"):
            for page in pages:
                for item in page.get("Contents", ()):
                    yield item["Key"][len(self.prefix):], item["Size"]

    def url(self, key):
        """Return a presigned GET URL valid for ``url_expires`` seconds."""
        with s3_errors(self._what(key)):
            return self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)},
                ExpiresIn=self.url_expires)

    def local_path(self, key):
        """Return a cached local copy, downloaded again only when the object's ETag changed."""
        etag = self._head(key)["ETag"]

        def fill(out):
            # IfMatch: a copy written while the object is being replaced would be mislabelled.
            with s3_errors(self._what(key)):
                body = self.client.get_object(Bucket=self.bucket, Key=self._key(key), IfMatch=etag)["Body"]
                for chunk in body.iter_chunks(CHUNK):
                    out.write(chunk)

        return self.cache.path(posixpath.join(self.bucket, self._key(key)), etag, fill)

    def heartbeat(self):
        """Return True when the bucket answers a HEAD request."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return True
        except Exception:
            return False
