"""SQL of the auth stamp's triggers (used by migration core 0006 and after every migrate).

Token authentication (core/auth.py) keeps what a token resolved to while the stamp's version
is unchanged, so these triggers are what make a revocation take effect on the next request in
every process. They fire, in the changing transaction, on:

- a token's insertion and deletion, and an UPDATE that sets its `token_hash`, `user_id` or
  `revoked_at` (not `last_used_at`, which authentication itself touches once a minute). The
  insertion matters to a transaction that creates a token, uses it and then rolls back: what
  it resolved carries a version that the rollback takes away, and that no later bump repeats;
- any UPDATE or DELETE of a user or a company.

A transaction that changes one of these holds the stamp row until it commits (on PostgreSQL
readers never wait for it). Only short administrative transactions change them: tokens,
people, company settings, sign-ins.

SQLite drops a table's triggers when a migration rebuilds the table, so `CoreConfig` creates
any that are missing after every migrate (as the ledger does for its append-only triggers).
"""

WATCHED: list[tuple[str, list[str] | None, bool]] = [
    # (table, the UPDATE columns that matter (None: any), insertions too)
    ("core_apitoken", ["token_hash", "user_id", "revoked_at"], True),
    ("core_user", None, False),
    ("core_company", None, False),
]
# The new version is one no history of the row has held, even a rolled-back one: a
# transaction that bumps the stamp and rolls back must not leave a later bump to repeat a
# value a process remembered inside it. PostgreSQL takes a sequence's next value (never
# handed out twice); SQLite, which has no sequences, a random 64-bit number.
BUMP = {
    "sqlite": "UPDATE core_authstamp SET version = random() WHERE id = 1",
    "postgresql": "UPDATE core_authstamp SET version = nextval('core_authstamp_version') "
    "WHERE id = 1",
}


def _events(columns: list[str] | None, inserts: bool) -> list[tuple[str, str]]:
    events = [("UPDATE" if columns is None else f"UPDATE OF {', '.join(columns)}", "update")]
    events.append(("DELETE", "delete"))
    if inserts:
        events.append(("INSERT", "insert"))
    return events


def sqlite_sql() -> tuple[list[str], list[str]]:
    create: list[str] = []
    drop: list[str] = []
    for table, columns, inserts in WATCHED:
        for event, suffix in _events(columns, inserts):
            name = f"{table}_auth_stamp_{suffix}"
            create.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP['sqlite']}; END"
            )
            drop.append(f"DROP TRIGGER IF EXISTS {name}")
    return create, drop


def postgresql_sql() -> tuple[list[str], list[str]]:
    create = [
        "CREATE SEQUENCE core_authstamp_version",
        "CREATE FUNCTION core_auth_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {BUMP['postgresql']}; RETURN NULL; END $$",
    ]
    drop = []
    for table, columns, inserts in WATCHED:
        name = f"{table}_auth_stamp"
        events = " OR ".join(event for event, _ in _events(columns, inserts))
        # Once per statement: a bulk update bumps the stamp once.
        create.append(
            f"CREATE TRIGGER {name} AFTER {events} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION core_auth_stamp_bump()"
        )
        drop.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    drop.append("DROP FUNCTION IF EXISTS core_auth_stamp_bump()")
    drop.append("DROP SEQUENCE IF EXISTS core_authstamp_version")
    return create, drop


SQLITE_FORWARD, SQLITE_BACKWARD = sqlite_sql()
PG_FORWARD, PG_BACKWARD = postgresql_sql()
