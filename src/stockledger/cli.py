"""The `stockledger` console script: every Django management command, plus ours.

Our commands use the hyphenated names of the public surface (`create-company`,
`export-log`); they map onto management commands with underscores.
"""

import os
import sys

ALIASES = {
    "create-company": "create_company",
    "export-log": "export_log",
    "cleanup-exports": "cleanup_exports",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockledger.settings")
    if len(argv) > 1 and argv[1] in ALIASES:
        argv[1] = ALIASES[argv[1]]
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
