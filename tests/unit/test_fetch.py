"""download_url against a real local HTTP(S) server, and the stream helpers and download cache."""
import datetime
import http.server
import io
import ipaddress
import os
import socket
import ssl
import threading
import time

import pytest

from openshot_api.fetch import (
    CountingReader, DownloadCache, LimitedWriter, _download, download_url, is_public_address,
)
from openshot_api.interfaces import BackendError

BODY = bytes(range(256)) * 400  # 100 KiB


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes by path: each test asks for the behaviour it needs."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.seen.append(self.path)
        path, _, query = self.path.partition("?")
        if path == "/media/clip.mp4":
            self._send(200, BODY)
        elif path == "/named":
            self._send(200, b"abc", {"Content-Disposition": 'attachment; filename="../../etc/My Clip.mov"'})
        elif path == "/named-utf8":
            self._send(200, b"abc", {"Content-Disposition": "attachment; filename*=UTF-8''caf%C3%A9.mp3"})
        elif path == "/host":
            self._send(200, self.headers["Host"].encode())
        elif path == "/redirect":
            self._send(302, b"", {"Location": query})
        elif path.startswith("/loop/"):
            n = int(path.rsplit("/", 1)[1])
            if n < 50:
                self._send(301, b"", {"Location": f"/loop/{n + 1}"})
            else:
                self._send(200, b"")
        elif path == "/missing":
            self._send(404, b"no")
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"%x\r\n%s\r\n" % (1000, b"x" * 1000))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/silent":
            time.sleep(3)
            self._send(200, b"late")
        elif path == "/dribble":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
        else:
            self._send(404, b"")

    def _send(self, status, body, headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start_server(tls_context=None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # refused TLS handshakes are expected
    server.seen = []
    if tls_context:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def server():
    server = start_server()
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def loopback_allowed(address):
    """The default policy widened just enough to reach the test server on 127.0.0.1."""
    return address == ipaddress.ip_address("127.0.0.1") or is_public_address(address)


def fetch(url, *, max_bytes=10 ** 6, timeout=5, allow_private=True):
    out = io.BytesIO()
    name = download_url(url, out, max_bytes=max_bytes, timeout=timeout, allow_private=allow_private)
    return name, out.getvalue()


def test_a_local_file_is_downloaded_when_private_addresses_are_allowed(server):
    name, data = fetch(server.base + "/media/clip.mp4")
    assert (name, data) == ("clip.mp4", BODY)


def test_the_file_name_comes_from_content_disposition_without_its_folders(server):
    assert fetch(server.base + "/named")[0] == "My_Clip.mov"
    assert fetch(server.base + "/named-utf8")[0] == "cafe.mp3"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "2130706433"])
def test_loopback_hosts_are_refused_by_default(server, host):
    port = server.server_address[1]
    before = len(server.seen)
    with pytest.raises(BackendError, match="refused"):
        fetch(f"http://{host}:{port}/media/clip.mp4", allow_private=False)
    assert len(server.seen) == before, "the server must not have been contacted"


@pytest.mark.parametrize("url", [
    "http://10.1.2.3/a.mp4", "http://192.168.0.10/", "http://172.16.5.4/", "http://169.254.169.254/latest/",
    "http://100.64.0.1/", "http://0.0.0.0/", "http://224.0.0.1/", "http://[fe80::1]/", "http://[fc00::1]/",
    "http://[::]/", "http://[ff02::1]/", "https://[::ffff:10.0.0.1]/", "http://[2002:7f00:1::]/",
])
def test_private_and_special_addresses_are_refused(url):
    with pytest.raises(BackendError, match="not a public address"):
        fetch(url, allow_private=False)


@pytest.mark.parametrize("address, public", [
    ("8.8.8.8", True), ("2606:4700:4700::1111", True), ("::ffff:8.8.8.8", True),
    ("127.0.0.2", False), ("10.0.0.1", False), ("::1", False), ("::ffff:192.168.1.1", False),
    ("fec0::1", False), ("198.51.100.7", False), ("240.0.0.1", False), ("255.255.255.255", False),
])
def test_only_globally_routable_unicast_addresses_are_public(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/a.mp4", "gopher://x/", "/relative/path"])
def test_schemes_other_than_http_and_https_are_refused(url):
    with pytest.raises(BackendError, match="only http and https"):
        fetch(url)


def test_a_redirect_to_a_private_address_is_refused(server):
    out = io.BytesIO()
    with pytest.raises(BackendError, match="10.0.0.7 is not a public address"):
        _download(server.base + "/redirect?http://10.0.0.7/secret", out, max_bytes=1000, timeout=5,
                  address_allowed=loopback_allowed)
    # The first hop itself passes the widened policy.
    name = _download(server.base + "/media/clip.mp4", out, max_bytes=10 ** 6, timeout=5,
                     address_allowed=loopback_allowed)
    assert name == "clip.mp4"


def test_redirects_are_followed_and_name_the_final_file(server):
    assert fetch(server.base + "/redirect?/media/clip.mp4") == ("clip.mp4", BODY)


def test_more_than_five_redirects_are_refused(server):
    assert fetch(server.base + "/loop/45")[1] == b""  # five hops (45 -> 50) still arrive
    with pytest.raises(BackendError, match="more than 5 redirects"):
        fetch(server.base + "/loop/1")


def test_the_connection_goes_to_the_checked_address_and_keeps_the_url_host(server):
    port = server.server_address[1]
    out = io.BytesIO()
    _download(f"http://localhost:{port}/host", out, max_bytes=100, timeout=5,
              address_allowed=lambda a: a.is_loopback and a.version == 4 or is_public_address(a))
    assert out.getvalue() == f"localhost:{port}".encode()


def test_a_declared_length_over_max_bytes_is_refused_before_reading(server):
    with pytest.raises(BackendError, match="larger than the limit of 1000 bytes"):
        fetch(server.base + "/media/clip.mp4", max_bytes=1000)


def test_a_chunked_body_over_max_bytes_is_cut_off_while_streaming(server):
    out = io.BytesIO()
    with pytest.raises(BackendError, match="larger than the limit of 25000 bytes"):
        download_url(server.base + "/chunked", out, max_bytes=25000, timeout=5, allow_private=True)
    assert len(out.getvalue()) <= 25000
    assert fetch(server.base + "/chunked", max_bytes=40000)[1] == b"x" * 40000


def test_a_server_that_does_not_answer_in_time_times_out(server):
    started = time.monotonic()
    with pytest.raises(BackendError, match="timed out"):
        fetch(server.base + "/silent", timeout=0.5)
    assert time.monotonic() - started < 2


def test_a_server_dribbling_bytes_past_the_timeout_is_cut_off(server):
    started = time.monotonic()
    with pytest.raises(BackendError, match="timed out"):
        fetch(server.base + "/dribble", timeout=1)
    assert time.monotonic() - started < 2.5


def test_http_errors_and_refused_connections_are_reported(server):
    with pytest.raises(BackendError, match="HTTP 404"):
        fetch(server.base + "/missing")
    with pytest.raises(BackendError, match="failed: .*refused"):
        fetch("http://127.0.0.1:1/x")
    with pytest.raises(BackendError, match="could not be resolved"):
        fetch("http://no-such-host.invalid/x")


def test_user_info_in_a_url_is_not_shown_in_errors(server):
    with pytest.raises(BackendError) as raised:
        fetch(server.base.replace("://", "://user:secret@") + "/missing")
    assert "secret" not in str(raised.value)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """An HTTPS server on 127.0.0.1 whose certificate (from a test CA) names only localhost."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.timezone.utc)

    def certificate(subject, issuer, key, signing_key, ca):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(hours=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    name = lambda cn: x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, cn)])
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = certificate(name("test CA"), name("test CA"), ca_key, ca_key, True)
    leaf_cert = certificate(name("localhost"), name("test CA"), leaf_key, ca_key, False)
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (folder / "leaf.pem").write_bytes(leaf_cert.public_bytes(pem) + leaf_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "leaf.pem")
    server = start_server(context)
    server.ca = str(folder / "ca.pem")
    yield server
    server.shutdown()
    server.server_close()


def test_https_is_pinned_to_the_address_and_checks_the_url_host_certificate(tls_server):
    port = tls_server.server_address[1]
    out = io.BytesIO()
    name = _download(f"https://localhost:{port}/media/clip.mp4", out, max_bytes=10 ** 6, timeout=5,
                     address_allowed=lambda a: True, verify=tls_server.ca)
    assert (name, out.getvalue()) == ("clip.mp4", BODY)
    # The same server by address: its certificate does not name 127.0.0.1.
    with pytest.raises(BackendError, match="TLS error"):
        _download(f"https://127.0.0.1:{port}/media/clip.mp4", io.BytesIO(), max_bytes=10 ** 6,
                  timeout=5, address_allowed=lambda a: True, verify=tls_server.ca)
    # And an unknown CA is refused with the default trust store.
    with pytest.raises(BackendError, match="TLS error"):
        fetch(f"https://localhost:{port}/media/clip.mp4")


def test_limited_writer_refuses_bytes_past_the_limit():
    out = io.BytesIO()
    writer = LimitedWriter(out, 10, what="the object")
    writer.write(b"12345")
    writer.write(b"67890")
    with pytest.raises(BackendError, match="the object is larger than the limit of 10 bytes"):
        writer.write(b"x")
    assert out.getvalue() == b"1234567890"


def test_counting_reader_counts_what_was_read_and_cannot_seek():
    reader = CountingReader(io.BytesIO(b"abcdefgh"))
    assert reader.read(3) == b"abc"
    buffer = bytearray(4)
    assert reader.readinto(buffer) == 4 and bytes(buffer) == b"defg"
    assert (reader.read(), reader.tell(), reader.count, reader.seekable()) == (b"h", 8, 8, False)


class Dribbling:
    """A socket-like stream: at most 3 bytes per read, and read() without a size is an error."""

    def __init__(self, data):
        self.body = io.BytesIO(data)

    def read(self, size):
        return self.body.read(min(size, 3))


def test_counting_reader_fills_short_reads_and_never_rereads_after_the_end():
    reader = CountingReader(Dribbling(b"0123456789"))
    assert reader.read(8) == b"01234567"
    assert reader.read(8) == b"89"
    assert reader.read() == b"" and reader.read(5) == b"" and reader.count == 10


def fill_with(data, calls):
    def fill(out):
        calls.append(data)
        out.write(data)
    return fill


def test_the_cache_returns_the_same_copy_without_fetching_again(tmp_path):
    cache, calls = DownloadCache(str(tmp_path), 10 ** 6), []
    first = cache.path("video/files/1/clip.MP4", "etag1", fill_with(b"one", calls))
    second = cache.path("video/files/1/clip.MP4", "etag1", fill_with(b"other", calls))
    assert first == second and first.endswith(".MP4")
    assert open(first, "rb").read() == b"one" and calls == [b"one"]


def test_a_new_version_of_an_object_is_fetched_again(tmp_path):
    cache, calls = DownloadCache(str(tmp_path), 10 ** 6), []
    old = cache.path("a.png", "1", fill_with(b"old", calls))
    new = cache.path("a.png", "2", fill_with(b"new", calls))
    assert old != new and open(new, "rb").read() == b"new"


def test_the_least_recently_used_copies_are_evicted_past_the_bound(tmp_path):
    cache, calls = DownloadCache(str(tmp_path), 250, keep_seconds=0), []
    a = cache.path("a", "1", fill_with(b"a" * 100, calls))
    b = cache.path("b", "1", fill_with(b"b" * 100, calls))
    os.utime(a, (time.time() - 100, time.time() - 100))
    os.utime(b, (time.time() - 50, time.time() - 50))
    cache.path("a", "1", fill_with(b"?", calls))  # a hit makes a the most recently used
    c = cache.path("c", "1", fill_with(b"c" * 100, calls))
    assert os.path.exists(a) and os.path.exists(c) and not os.path.exists(b)
    big = cache.path("big", "1", fill_with(b"d" * 1000, calls))  # larger than the whole cache
    assert os.path.exists(big) and not os.path.exists(a) and not os.path.exists(c)


def test_copies_handed_out_recently_are_not_evicted(tmp_path):
    cache, calls = DownloadCache(str(tmp_path), 150, keep_seconds=60), []
    a = cache.path("a", "1", fill_with(b"a" * 100, calls))
    b = cache.path("b", "1", fill_with(b"b" * 100, calls))
    assert os.path.exists(a) and os.path.exists(b)


def test_a_failed_download_leaves_nothing_in_the_cache(tmp_path):
    cache = DownloadCache(str(tmp_path), 10 ** 6)

    def broken(out):
        out.write(b"half")
        raise BackendError("connection lost")

    with pytest.raises(BackendError):
        cache.path("a.mp4", "1", broken)
    assert os.listdir(tmp_path) == []


def test_the_cache_is_configured_from_settings(tmp_path):
    cache = DownloadCache.from_settings({"x.cache_dir": str(tmp_path / "c"), "x.cache_mb": "1.5"}, "x.", "unused")
    assert (cache.root, cache.max_bytes) == (str(tmp_path / "c"), 1572864)


def test_a_second_dns_answer_cannot_move_the_connection(server, monkeypatch):
    """DNS rebinding: the name first resolves to the allowed test server, then elsewhere."""
    real_getaddrinfo = socket.getaddrinfo
    answers = []

    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        answers.append(host)
        address = "127.0.0.1" if len(answers) == 1 else "192.0.2.1"  # then an unreachable address
        return real_getaddrinfo(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)
    out = io.BytesIO()
    _download(f"http://rebind.test:{server.server_address[1]}/host", out, max_bytes=100, timeout=3,
              address_allowed=loopback_allowed)
    assert out.getvalue() == f"rebind.test:{server.server_address[1]}".encode()
    assert answers == ["rebind.test"], "the name must be resolved once, by the check"
