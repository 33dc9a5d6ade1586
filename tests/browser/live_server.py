"""Serve the app for the browser tests: a real waitress server on 127.0.0.1 (a free port), a
fresh SQLite database made by the migrations, one user, the embedded render worker.

Usage: python live_server.py SETTINGS_JSON USERNAME PASSWORD
Prints ``READY <port>`` once it listens, then serves until it is terminated.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def create_user(app, username, password):
    import transaction
    from openshot_api.auth import create_user as make
    from openshot_api.db import get_tm_session
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        make(get_tm_session(app.app.registry["dbsession_factory"], tm), username, password)


def main():
    settings, username, password = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
    import waitress
    from openshot_api.app import make_app
    from openshot_api.cli import initdb
    initdb(dict(settings))
    app = make_app({}, dict(settings))
    create_user(app, username, password)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=6)
    print("READY", server.effective_port, flush=True)
    server.run()


if __name__ == "__main__":
    main()
