"""Server threads keep their database connection between requests (issue 15)."""

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection


@pytest.mark.django_db(transaction=True)
def test_a_request_leaves_its_database_connection_open_for_the_next():
    """Opening a SQLite connection (connect, PRAGMAs, SQL functions) was a tenth of an API
    request in `stockledger serve`; both engines keep it (CONN_MAX_AGE), as a WSGI server's
    request signals would otherwise close it after every request."""
    assert connection.settings_dict["CONN_MAX_AGE"] > 0
    connection.close()  # a fresh connection: one opened over a minute ago is due to close
    connection.ensure_connection()
    opened = connection.connection
    request_started.send(sender=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    request_finished.send(sender=None)
    assert connection.connection is opened
