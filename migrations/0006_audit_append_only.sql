-- The audit ledger is append-only: the database itself refuses to change or remove a row, so
-- no route, helper or agent can, whatever the code above it does. (Someone with the database
-- file can drop these triggers; the hash chain and the signed checkpoints catch what they then do:
-- `seed audit verify`.)
CREATE TRIGGER `audit_log_no_update` BEFORE UPDATE ON `audit_log`
BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_log_no_delete` BEFORE DELETE ON `audit_log`
BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_checkpoints_no_update` BEFORE UPDATE ON `audit_checkpoints`
BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_checkpoints_no_delete` BEFORE DELETE ON `audit_checkpoints`
BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END;
