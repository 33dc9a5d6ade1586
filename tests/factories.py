"""Helpers that create objects through the API, as a client would."""
import os


def create_project(api, **fields):
    body = {"name": "Test project", "width": 320, "height": 240, "fps_num": 30, "fps_den": 1,
            "sample_rate": 44100, "channels": 2, "channel_layout": 3, "json": "{}"}
    body.update(fields)
    return api.post_json("/projects/", body, status=201).json


def upload_file(api, project, path, name=None):
    with open(path, "rb") as src:
        data = src.read()
    return api.post("/files/", {"project": project["url"], "json": "{}"},
                    upload_files=[("media", name or os.path.basename(path), data)], status=201).json


def create_clip(api, project, file, **fields):
    body = {"file": file["url"], "project": project["url"], "position": 0.0, "start": 0.0, "end": 3.0,
            "layer": 1, "json": "{}"}
    body.update(fields)
    return api.post_json("/clips/", body, status=201).json


def user_id(registry, username):
    """The id of the user called ``username`` in the app of ``registry``."""
    from sqlalchemy import select

    from openshot_api.models import User
    session = registry["dbsession_factory"]()
    try:
        return session.scalar(select(User.id).where(User.username == username))
    finally:
        session.close()
