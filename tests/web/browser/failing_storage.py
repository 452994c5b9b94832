"""Export storage whose disk is full: publishing a finished file fails the way a real full
disk does. A browser test's worker uses it (STOCKLEDGER_EXPORT_STORAGE) to fail an export."""

import errno
import os

from stockledger.exports.storage import LocalExportStorage


class FullDiskStorage(LocalExportStorage):
    def publish(self, name: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
