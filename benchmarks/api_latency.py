"""Request latency of GET /projects/{id}/ on a real server (development.ini: waitress, SQLite),
with Basic and with Token authentication, beside the latency of a static answer of the same
server (GET /openapi.json would be bigger; the unauthenticated root is the baseline).

    python benchmarks/api_latency.py [--requests 300]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upload_memory import free_port, start_server, stop_server  # noqa: E402


def measure(session, url, count, **kw):
    session.get(url, **kw).raise_for_status()  # warm up (password hash check, connections)
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        session.get(url, **kw).raise_for_status()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        server, username, password, _log = start_server(folder, port)
        base = f"http://127.0.0.1:{port}"
        try:
            session = requests.Session()
            project = session.post(f"{base}/projects/", auth=(username, password), json={"name": "latency"}).json()
            token = session.post(f"{base}/tokens/", data={"username": username, "password": password}).json()["token"]
            rows = [
                ("GET / (no auth, baseline)", measure(session, f"{base}/", args.requests)),
                ("GET /projects/{id}/ Basic", measure(session, project["url"], args.requests, auth=(username, password))),
                ("GET /projects/{id}/ Token", measure(session, project["url"], args.requests,
                                                      headers={"Authorization": f"Token {token}"})),
            ]
        finally:
            stop_server(server)
    for name, (median, p95) in rows:
        print(f"{name:32s} median {median:6.2f} ms   p95 {p95:6.2f} ms")


if __name__ == "__main__":
    main()
