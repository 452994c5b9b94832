"""Fixtures for the API tests: a real waitress server, raw WSGI calls."""

import threading
from io import BytesIO

import pytest
from django.core import signals
from django.db import close_old_connections, connections


@pytest.fixture
def waitress_url(transactional_db):
    """The app served by waitress (as `stockledger serve` does) on a free local port."""
    from waitress.server import create_server

    from stockledger.wsgi import application

    def app(environ, start_response):
        # Server threads must not keep connections open past the test's database.
        try:
            return list(application(environ, start_response))
        finally:
            connections.close_all()

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"

    def stop():
        # In the server's own thread (a trigger thunk): nothing is closed under its select, and
        # with every socket closed its loop ends.
        for channel in list(server.active_channels.values()):
            channel.close()
        server.close()

    server.trigger.pull_trigger(stop)
    thread.join(timeout=5)
    assert not thread.is_alive(), "the waitress loop did not stop"
    server.task_dispatcher.shutdown()


@pytest.fixture
def wsgi_call(db):
    """Call the WSGI app with a hand-made environ (e.g. a body without Content-Length)."""
    from stockledger.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)

    def call(method, path, body=b"", headers=None):
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(body),
            "wsgi.input_terminated": True,
            "wsgi.errors": BytesIO(),
            "CONTENT_TYPE": "application/json",
            **(headers or {}),
        }
        status = {}

        def start_response(line, response_headers, exc_info=None):
            status["code"] = int(line.split()[0])
            status["headers"] = dict(response_headers)

        content = b"".join(application(environ, start_response))
        return status["code"], status["headers"], content

    yield call
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
