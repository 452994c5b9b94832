"""Settings of a `stockledger worker` started by a browser test: the project's settings on the
test database the live server uses (named by the test process)."""

import os

from stockledger.settings import *  # noqa: F403
from stockledger.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["STOCKLEDGER_TEST_DB_NAME"]
