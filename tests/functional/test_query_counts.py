"""How many SQL queries the hot reads cost, counted with an SQLAlchemy event listener so that a
lazy load creeping back in fails here rather than in a benchmark."""
import contextlib
import threading

from sqlalchemy import event

from tests.factories import create_clip, create_project, upload_file


@contextlib.contextmanager
def counted(registry):
    engine = registry["db_engine"]
    statements = []
    # Only this thread's: the shared app's job keeper queries the same engine from its own thread.
    request_thread = threading.get_ident()

    def count(conn, cursor, statement, *args):
        if threading.get_ident() == request_thread:
            statements.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_project_detail_get_takes_at_most_three_queries(api, registry, media, wsgi_app):
    import webtest
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    create_clip(api, project, file, end=1.0)
    api.post_json(f"{project['url']}effects/", {"type": "Blur"}, status=201)
    token = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver",
                                                     "HTTP_AUTHORIZATION": f"Token {api.token}"})
    expected = api.get(project["url"]).json
    with counted(registry) as statements:
        answer = token.get(project["url"]).json
    # The token's user (joined), the project, the ids of its files, clips, effects and exports.
    assert len(statements) <= 3, statements
    assert answer == expected and len(answer["files"]) == len(answer["clips"]) == len(answer["effects"]) == 1
    with counted(registry) as statements:
        api.get(project["url"])
    # Basic adds the lookup of the username's and address's failed-login counts.
    assert len(statements) <= 4, statements


def test_a_page_of_projects_costs_a_query_per_project_at_most(api, registry):
    for index in range(5):
        create_project(api, name=f"p{index}")
    with counted(registry) as statements:
        page = api.get("/projects/").json
    assert len(page["results"]) == 5
    # user + throttle, count, page, then one query of child ids per project.
    assert len(statements) <= 4 + 5, statements
