import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stockledger.core.errors import DomainError
from stockledger.core.services import company_create


class Command(BaseCommand):
    help = "Create a company and its first user; print {company_id, user, token} as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--user", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args: Any, name: str, user: str, password: str, **options: Any) -> None:
        try:
            company, created_user, token = company_create(
                name=name, username=user, password=password
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            json.dumps({"company_id": company.id, "user": created_user.username, "token": token})
        )
