"""Migration 0002 on a SQLite database made at 0001 with rows in it: ``openshot-api initdb``
keeps every row and link, and from then on no id is handed out twice."""
from alembic import command

from openshot_api.cli import alembic_config, initdb
from openshot_api.db import make_engine

STAMP = "'2026-01-01 00:00:00'"
ROWS = {
    "users": "(id, username, password_hash, is_admin, is_active, date_joined) "
             "VALUES ({id}, 'user{id}', 'x', 0, 1, " + STAMP + ")",
    "projects": "(id, user_id, name, width, height, fps_num, fps_den, sample_rate, channels, "
                "channel_layout, json, date_created, date_updated) "
                "VALUES ({id}, 1, 'p', 1920, 1080, 30, 1, 44100, 2, 3, '{{}}', " + STAMP + ", " + STAMP + ")",
    "files": "(id, project_id, media, json, date_created, date_updated) "
             "VALUES ({id}, 1, 'video/files/1/x/a.mp4', '{{}}', " + STAMP + ", " + STAMP + ")",
    "clips": "(id, project_id, file_id, position, start, \"end\", layer, json, date_created, date_updated) "
             "VALUES ({id}, 1, 1, 0, 0, 1, 1, '{{}}', " + STAMP + ", " + STAMP + ")",
    "effects": "(id, project_id, title, type, position, start, \"end\", layer, json, date_created, "
               "date_updated) VALUES ({id}, 1, 't', 'Blur', 0, 0, 1, 1, '{{}}', " + STAMP + ", " + STAMP + ")",
    "exports": "(id, project_id, output, export_type, video_format, video_codec, video_bitrate, "
               "audio_codec, audio_bitrate, start_frame, webhook, json, progress, status, attempt, "
               "base_url, date_created, date_updated) VALUES ({id}, 1, '', 'video', 'mp4', 'libx264', "
               "'8000000', 'aac', '192000', 1, '', '{{}}', 0, 'pending', 0, '', " + STAMP + ", " + STAMP + ")",
}


def head_revision():
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(alembic_config({"sqlalchemy.url": "sqlite://"})).get_current_head()


def insert(conn, table, id):
    conn.exec_driver_sql(f"INSERT INTO {table} " + ROWS[table].format(id=id))


def ids(conn, table):
    return [row[0] for row in conn.exec_driver_sql(f"SELECT id FROM {table} ORDER BY id")]


def test_upgrading_a_sqlite_database_from_0001_keeps_rows_and_stops_reusing_ids(tmp_path):
    settings = {"sqlalchemy.url": f"sqlite:///{tmp_path}/old.sqlite"}
    engine = make_engine(settings)
    cfg = alembic_config(settings)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with engine.begin() as conn:
        for table in ROWS:
            for id in (1, 2, 3):
                insert(conn, table, id)
        conn.exec_driver_sql("INSERT INTO tokens (key, user_id, created) VALUES ('k1', 1, " + STAMP + ")")
    engine.dispose()

    initdb(dict(settings))

    engine = make_engine(settings)
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()
        for table in ROWS:
            assert ids(conn, table) == [1, 2, 3], table
        assert conn.exec_driver_sql("SELECT user_id FROM tokens").scalar() == 1
        assert conn.exec_driver_sql("SELECT file_id FROM clips WHERE id = 2").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    with engine.begin() as conn:
        # The newest row goes; a new one gets the next id, not the freed one.
        for table in reversed(list(ROWS)):
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE id = 3")
        for table in ROWS:
            insert(conn, table, "NULL")  # NULL: SQLite picks the id
            assert ids(conn, table) == [1, 2, 4], table
    with engine.begin() as conn:
        # Cascades still hold after the tables were recreated.
        conn.exec_driver_sql("DELETE FROM projects WHERE id = 1")
        for table in ("files", "clips", "effects", "exports"):
            assert ids(conn, table) == [], table
    engine.dispose()
