"""Bringing remote bytes onto this machine safely and in bounded memory.

- ``download_url`` streams an http(s) URL given by an API client into a file object, refusing
  addresses on this machine's own networks (server-side request forgery), redirects there, and
  anything too big or too slow.
- ``LimitedWriter`` and ``CountingReader`` wrap file objects so cloud libraries that read or
  write by themselves still stream with a byte limit or a byte count.
- ``DownloadCache`` is the bounded folder where cloud storage backends keep local copies for
  the renderer (``Storage.local_path``).
"""
from __future__ import annotations

import hashlib
import io
import ipaddress
import os
import re
import socket
import tempfile
import time
from email.message import Message
from typing import BinaryIO, Callable, Optional
from urllib.parse import unquote, urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from .interfaces import BackendError, ConfigurationError
from .media import safe_filename

MAX_REDIRECTS = 5
CHUNK = 1024 * 1024
REDIRECT_STATUSES = {301, 302, 303, 307, 308}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_address(address: Address) -> bool:
    """Return True when ``address`` is a globally routable unicast address.

    Loopback, private, shared (CGNAT), link-local, multicast, reserved, unspecified and
    documentation ranges are not public. IPv6 forms that carry an IPv4 address (IPv4-mapped,
    6to4) are judged by the IPv4 address inside them.
    """
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is not None:
            return is_public_address(inner)
        if address.is_site_local:
            return False
    return not (address.is_loopback or address.is_private or address.is_link_local
                or address.is_multicast or address.is_reserved or address.is_unspecified
                or not address.is_global)


def download_url(url: str, dst_fileobj: BinaryIO, *, max_bytes: int, timeout: float,
                 allow_private: bool = False) -> str:
    """Stream the http(s) ``url`` into ``dst_fileobj`` and return a file name for it.

    The name comes from the final response's Content-Disposition, else from the last segment
    of the final URL's path, else ``"download"``; it is a bare, safe base name.

    Every host (the first and each redirect, at most 5) is resolved and refused when any of its
    addresses is not public, unless ``allow_private``; the connection then goes to the checked
    address, so a second DNS answer cannot point it elsewhere. Environment proxies are not used.
    ``timeout`` (seconds) bounds the whole download, ``max_bytes`` its size.

    Raises BackendError with a message for the API client on every refusal or failure.
    """
    allowed = (lambda address: True) if allow_private else is_public_address
    return _download(url, dst_fileobj, max_bytes=max_bytes, timeout=timeout,
                     address_allowed=allowed)


def _download(url, dst, *, max_bytes, timeout, address_allowed: Callable[[Address], bool],
              verify=True):
    """``download_url`` with the address policy as a function (tests widen it for their server)."""
    deadline = time.monotonic() + timeout
    with requests.Session() as session:
        session.trust_env = False  # a proxy would resolve the host itself, undoing the checks
        for _hop in range(MAX_REDIRECTS + 1):
            response = _request(session, url, deadline, address_allowed, verify)
            with response:
                if response.status_code in REDIRECT_STATUSES and response.headers.get("Location"):
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status_code != 200:
                    raise BackendError(f"downloading {_shown(url)} failed: HTTP {response.status_code}")
                _stream_body(response, dst, max_bytes, deadline, url)
                return _file_name(response, url)
    raise BackendError(f"downloading {_shown(url)} failed: more than {MAX_REDIRECTS} redirects")


def _request(session, url, deadline, address_allowed, verify):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BackendError(f"only http and https URLs can be downloaded, not {parts.scheme or 'this'}: {_shown(url)}")
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BackendError(f"the URL {_shown(url)} has a bad port") from None
    if not host:
        raise BackendError(f"the URL {_shown(url)} has no host")
    address = _checked_address(host, port, address_allowed)
    previous = session.adapters.get(f"{parts.scheme}://")
    session.mount(f"{parts.scheme}://", _PinnedAdapter(address, host))
    previous.close()  # the last hop's connection pool, pinned to the last hop's address
    # The Host header keeps the name (and port) the URL gave, while the socket goes to ``address``.
    netloc_host = parts.netloc.rpartition("@")[2]
    headers = {"Host": netloc_host, "Accept-Encoding": "identity"}
    try:
        return session.get(url, headers=headers, stream=True, allow_redirects=False,
                           timeout=_remaining(deadline, url), verify=verify)
    except requests.exceptions.RequestException as exc:
        raise _failure(exc, url) from None


def _checked_address(host, port, address_allowed) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise BackendError(f"the host {host} could not be resolved") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    # One bad answer refuses the host: a name that resolves to both kinds is not trustworthy.
    for address in addresses:
        if not address_allowed(address):
            raise BackendError(f"downloads from {host} are refused: {address} is not a public address")
    if not addresses:
        raise BackendError(f"the host {host} could not be resolved")
    return str(addresses[0])


class _PinnedAdapter(HTTPAdapter):
    """Connects to one checked IP address while TLS still checks the certificate of ``hostname``."""

    def __init__(self, address: str, hostname: str):
        self.address, self.hostname = address, hostname
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        """Point the urllib3 pool at the checked address (requests >= 2.32 calls this)."""
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host_params["host"] = self.address
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.hostname
            pool_kwargs["assert_hostname"] = self.hostname
        return host_params, pool_kwargs


def _stream_body(response, dst, max_bytes, deadline, url):
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BackendError(f"{_shown(url)} is larger than the limit of {max_bytes} bytes")
    writer = LimitedWriter(dst, max_bytes, what=_shown(url))
    try:
        while True:
            # read1 returns what has arrived, so a server dribbling bytes meets the deadline too.
            chunk = response.raw.read1(CHUNK)
            if not chunk:
                return
            writer.write(chunk)
            if time.monotonic() > deadline:
                raise BackendError(f"downloading {_shown(url)} timed out")
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise _failure(exc, url) from None


def _remaining(deadline, url):
    left = deadline - time.monotonic()
    if left <= 0:
        raise BackendError(f"downloading {_shown(url)} timed out")
    return left


def _file_name(response, url):
    name = ""
    disposition = response.headers.get("Content-Disposition")
    if disposition:
        message = Message()
        message["Content-Disposition"] = disposition
        name = message.get_filename() or ""
    if not name:
        name = unquote(urlsplit(response.url or url).path.rsplit("/", 1)[-1])
    return safe_filename(name, default="download")


def _shown(url):
    """The URL without user info, for messages."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=netloc).geturl()


def _failure(exc, url):
    """A BackendError telling what went wrong, from a requests, urllib3 or socket error."""
    reason = exc
    # requests wraps urllib3's errors, which wrap the socket's: the innermost says most.
    while True:
        inner = getattr(reason, "reason", None) or (reason.args[0] if reason.args else None)
        if not isinstance(inner, BaseException) or inner is reason:
            break
        reason = inner
    timeouts = (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, socket.timeout)
    # urllib3's NewConnectionError (a refused connection) subclasses its ConnectTimeoutError.
    refused = isinstance(reason, urllib3.exceptions.NewConnectionError)
    if not refused and (isinstance(exc, timeouts) or isinstance(reason, timeouts)):
        return BackendError(f"downloading {_shown(url)} timed out")
    text = re.sub(r"^<[^>]*>:\s*", "", str(reason)).split("\n")[0][:200] or type(reason).__name__
    if isinstance(exc, requests.exceptions.SSLError):
        text = f"TLS error ({text})"
    return BackendError(f"downloading {_shown(url)} failed: {text}")


class LimitedWriter(io.RawIOBase):
    """A write-only file object passing bytes to ``dst`` until ``max_bytes`` is passed, then
    raising BackendError ("``what`` is larger than the limit ...")."""

    def __init__(self, dst: BinaryIO, max_bytes: int, what: str):
        self.dst, self.max_bytes, self.what = dst, max_bytes, what
        self.written = 0

    def writable(self):
        """Always True."""
        return True

    def write(self, data):
        """Pass ``data`` on; raise BackendError when the total goes over the limit."""
        self.written += len(data)
        if self.written > self.max_bytes:
            raise BackendError(f"{self.what} is larger than the limit of {self.max_bytes} bytes")
        self.dst.write(data)
        return len(data)


class CountingReader(io.RawIOBase):
    """A read-only, forward-only view of ``stream`` that counts the bytes read.

    Cloud libraries given it stream in chunks (they cannot seek back to re-read or measure it),
    and ``count`` is the number of bytes they took. ``read(n)`` returns ``n`` bytes unless the
    stream ended, even when the stream itself returns less (as sockets do): libraries take a
    short read for the end. After the end, ``read()`` returns ``b""`` without asking the stream
    again, so a library that reads "the rest" then does not pull a whole body into memory.
    ``tell()`` is the count, for libraries that record where an upload starts.
    """

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.count = 0
        self.ended = False

    def readable(self):
        """Always True."""
        return True

    def read(self, size=-1):
        """Read ``size`` bytes (fewer only at the end); everything left when ``size`` is -1."""
        if self.ended:
            return b""
        if size is None or size < 0:
            data = self.stream.read()
            self.ended = True
        else:
            parts, wanted = [], size
            while wanted > 0:
                part = self.stream.read(wanted)
                if not part:
                    self.ended = True
                    break
                parts.append(part)
                wanted -= len(part)
            data = b"".join(parts)
        self.count += len(data)
        return data

    def readinto(self, buffer):
        """Read into ``buffer``; return the number of bytes read."""
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def tell(self):
        """Return the number of bytes read so far."""
        return self.count


class DownloadCache:
    """A folder of local copies of remote objects, kept under ``max_bytes`` in total by
    evicting the least recently used copy.

    A copy is named after the object's key and version (an ETag or generation), so a replaced
    object is fetched again. Copies handed out in the last ``keep_seconds`` are not evicted,
    because the renderer opens them after asking; the folder can briefly exceed its bound
    while that many bytes are in use.
    """

    def __init__(self, root: str, max_bytes: int, keep_seconds: float = 60.0):
        self.root = root
        self.max_bytes = max_bytes
        self.keep_seconds = keep_seconds
        os.makedirs(root, exist_ok=True)

    @classmethod
    def from_settings(cls, settings: dict, prefix: str, default_folder: str) -> "DownloadCache":
        """Build the cache from ``<prefix>cache_dir`` (default: ``default_folder`` in the
        system temporary folder) and ``<prefix>cache_mb`` (default 2048)."""
        root = settings.get(prefix + "cache_dir") or os.path.join(tempfile.gettempdir(), default_folder)
        try:
            size_mb = float(settings.get(prefix + "cache_mb") or 2048)
        except ValueError:
            raise ConfigurationError(f"{prefix}cache_mb must be a number of megabytes") from None
        return cls(root, int(size_mb * 1024 * 1024))

    def path(self, key: str, version: str, fill: Callable[[BinaryIO], None]) -> str:
        """Return the path of the local copy of ``key`` at ``version``, calling ``fill(file)``
        to write the bytes when there is none. An exception from ``fill`` leaves no copy."""
        digest = hashlib.sha256(f"{key}\0{version}".encode()).hexdigest()[:40]
        ext = os.path.splitext(key)[1]
        # Keep the extension: media readers pick a decoder from it.
        path = os.path.join(self.root, digest + (ext if re.fullmatch(r"\.[\w-]{1,15}", ext) else ""))
        try:
            os.utime(path)  # the modification time records the last use
            return path
        except FileNotFoundError:
            pass
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                fill(out)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self.evict(keep=path)
        return path

    def evict(self, keep: Optional[str] = None) -> None:
        """Delete least recently used copies until the folder fits ``max_bytes``; never
        ``keep`` nor a copy used in the last ``keep_seconds``. Leftover partial downloads
        older than a day go too."""
        now = time.time()
        entries = []
        with os.scandir(self.root) as scan:
            for entry in scan:
                try:
                    stat = entry.stat()
                except FileNotFoundError:
                    continue
                if entry.name.startswith(".part-"):
                    if now - stat.st_mtime > 86400:
                        _unlink(entry.path)
                    continue
                entries.append((stat.st_mtime, stat.st_size, entry.path))
        total = sum(size for _, size, _ in entries)
        for mtime, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            if path == keep or now - mtime < self.keep_seconds:
                continue
            _unlink(path)
            total -= size


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def check_url_host(url: str, allow_private: bool = False) -> str:
    """Resolve the host of an http(s) ``url`` and return the address to connect to; raise
    BackendError when the scheme is wrong or (unless ``allow_private``) the host is not public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendError(f"{_shown(url)} is not an http(s) URL")
    allowed = (lambda address: True) if allow_private else is_public_address
    return _checked_address(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), allowed)


def post_url(url: str, body: bytes, headers: dict, *, timeout: float, allow_private: bool = False):
    """POST ``body`` to ``url`` (webhooks) with the same address checks and pinning as downloads;
    redirects are not followed. Returns the requests Response (its body read, at most 64 KiB)."""
    address = check_url_host(url, allow_private)
    parts = urlsplit(url)
    with requests.Session() as session:
        session.trust_env = False
        session.mount(f"{parts.scheme}://", _PinnedAdapter(address, parts.hostname))
        response = session.post(url, data=body, headers={**headers, "Host": parts.netloc.rpartition("@")[2]},
                                timeout=timeout, allow_redirects=False, stream=True)
        with response:
            response._content = response.raw.read(64 * 1024, decode_content=True) or b""
        return response
