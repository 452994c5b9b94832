"""Static files through WhiteNoise: hashed names are cached for a year as `immutable`.

`collectstatic` (run by `stockledger serve` at start) writes each file under a name with its
content hash, plus .gz and .br copies; WhiteNoise picks the copy the browser accepts. A
changed file gets a new name, so browsers never need to ask again for an old one.
"""

import os
from pathlib import Path

from django.core.management import call_command
from whitenoise.middleware import WhiteNoiseMiddleware

ONE_YEAR = 365 * 24 * 60 * 60


class StaticFilesMiddleware(WhiteNoiseMiddleware):  # type: ignore[misc]  # WhiteNoise is untyped
    FOREVER = ONE_YEAR  # WhiteNoise's max-age for hashed (immutable) files; its default is 10 years


def _sources_fingerprint() -> str:
    """The name, size and mtime of every static source file the finders see."""
    import hashlib

    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    seen = set()
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            if path in seen:
                continue
            seen.add(path)
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static_if_changed() -> bool:
    """Run `collectstatic` unless the static root already holds these very files.

    WhiteNoise compresses every file again on each run (about a minute on a small machine),
    so `stockledger serve` only pays that when a file changed or on the first start.
    """
    from django.conf import settings

    root = Path(settings.STATIC_ROOT)
    stamp = root / ".sources"
    fingerprint = _sources_fingerprint()
    if (root / "staticfiles.json").exists() and stamp.exists():
        if stamp.read_text().strip() == fingerprint:
            return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint + "\n")
    return True
