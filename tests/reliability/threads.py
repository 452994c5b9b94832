"""Real threads with their own database connections, started together."""

import threading

from django.db import close_old_connections, connection


def run_threads(count: int, work) -> list[BaseException]:
    """Run work(i) for i in range(count) on threads started together; return what they
    raised. Each thread closes its own database connection."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def target(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # noqa: BLE001 - returned to the test, which asserts
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=target, args=(i,), name=f"worker-{i}") for i in range(count)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    close_old_connections()
    return errors
