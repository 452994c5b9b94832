"""SQL of the append-only triggers (used by 0002 and by the post-migrate check)."""

PG_FORWARD = """
CREATE OR REPLACE FUNCTION ledger_logentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the Inventory Log is append-only: % of log rows is refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_logentry_no_update BEFORE UPDATE ON ledger_logentry
    FOR EACH ROW EXECUTE FUNCTION ledger_logentry_append_only();
CREATE TRIGGER ledger_logentry_no_delete BEFORE DELETE ON ledger_logentry
    FOR EACH ROW EXECUTE FUNCTION ledger_logentry_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS ledger_logentry_no_update ON ledger_logentry;
DROP TRIGGER IF EXISTS ledger_logentry_no_delete ON ledger_logentry;
DROP FUNCTION IF EXISTS ledger_logentry_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER ledger_logentry_no_update BEFORE UPDATE ON ledger_logentry
       WHEN stockledger_log_purge_allowed() = 0
       BEGIN SELECT RAISE(ABORT, 'the Inventory Log is append-only: UPDATE of log rows is refused'); END""",
    """CREATE TRIGGER ledger_logentry_no_delete BEFORE DELETE ON ledger_logentry
       WHEN stockledger_log_purge_allowed() = 0
       BEGIN SELECT RAISE(ABORT, 'the Inventory Log is append-only: DELETE of log rows is refused'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_logentry_no_update",
    "DROP TRIGGER IF EXISTS ledger_logentry_no_delete",
]
