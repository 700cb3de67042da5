using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>
/// The versioned schema. Migrations are applied in order at start, each in its own transaction together
/// with its row in <c>schema_migrations</c>; a migration that is recorded there is never run again.
/// Never edit a released migration: add the next one.
/// </summary>
/// <remarks>
/// Entity bodies are JSON (<see cref="StoreJson"/>); the other columns exist only for lookups and indexes.
/// Instants in query columns are <see cref="DateTimeOffset.UtcTicks"/> (exact, so comparisons at a given
/// instant are exact); calendar dates are <c>yyyy-MM-dd</c> text, which sorts as dates do.
/// Enumerations in query columns are their numbers (equal to the contract's).
/// </remarks>
internal static class Schema
{
    /// <summary>A schema step: its SQL, and work that fills what the SQL created from stored documents (in the same transaction).</summary>
    internal sealed record Migration(int Version, string Sql, Action<SqliteConnection, IDocumentProtector?>? Fill = null);

    internal static readonly IReadOnlyList<Migration> Migrations =
    [
        // requests is a rowid table: its rows (~1 KB with the stored answer) are too large for a WITHOUT ROWID
        // b-tree cell, where each one spilled to a 4 KB overflow page of its own (docs/performance-history.md, first round).
        new(1, """
            CREATE TABLE requests (
                caller      TEXT NOT NULL,
                operation   TEXT NOT NULL,
                request_id  TEXT NOT NULL,
                body_hash   TEXT NOT NULL,
                result_json TEXT NOT NULL,
                create_time INTEGER NOT NULL,
                PRIMARY KEY (caller, operation, request_id)
            );

            CREATE TABLE clients (
                id                    TEXT PRIMARY KEY NOT NULL,
                bsn_hash              TEXT NOT NULL UNIQUE,
                birth_date            TEXT NOT NULL,
                eighteenth_birthday   TEXT NOT NULL,
                coming_of_age_handled INTEGER NOT NULL,
                json                  TEXT NOT NULL
            );
            CREATE INDEX ix_clients_coming_of_age ON clients (coming_of_age_handled, eighteenth_birthday, id);

            CREATE TABLE roles (
                id        TEXT PRIMARY KEY NOT NULL,
                client_id TEXT NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_roles_client ON roles (client_id);

            CREATE TABLE coach_assignments (
                id        TEXT PRIMARY KEY NOT NULL,
                client_id TEXT NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_coach_assignments_client ON coach_assignments (client_id);

            CREATE TABLE consents (
                id        TEXT PRIMARY KEY NOT NULL,
                client_id TEXT NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_consents_client ON consents (client_id);

            CREATE TABLE referrals (
                id        TEXT PRIMARY KEY NOT NULL,
                client_id TEXT NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_referrals_client ON referrals (client_id);

            CREATE TABLE transitions (
                id        TEXT PRIMARY KEY NOT NULL,
                client_id TEXT NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_transitions_client ON transitions (client_id);

            CREATE TABLE signals (
                id        TEXT PRIMARY KEY NOT NULL,
                client_id TEXT NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_signals_client ON signals (client_id);

            CREATE TABLE deliveries (
                sequence        INTEGER PRIMARY KEY AUTOINCREMENT,
                id              TEXT NOT NULL UNIQUE,
                recipient       TEXT NOT NULL,
                client_id       TEXT NOT NULL,
                message_id      TEXT,
                status          INTEGER NOT NULL,
                ack_deadline    INTEGER,
                signal_ack_time INTEGER,
                escalated       INTEGER NOT NULL,
                await_until     INTEGER,
                json            TEXT NOT NULL
            );
            CREATE INDEX ix_deliveries_recipient ON deliveries (recipient, status, sequence);
            CREATE INDEX ix_deliveries_client ON deliveries (client_id, status);
            CREATE INDEX ix_deliveries_message ON deliveries (message_id) WHERE message_id IS NOT NULL;
            CREATE INDEX ix_deliveries_due_escalation ON deliveries (ack_deadline)
                WHERE ack_deadline IS NOT NULL AND signal_ack_time IS NULL AND escalated = 0;
            CREATE INDEX ix_deliveries_awaiting ON deliveries (status, await_until) WHERE status = 3; -- 3: AWAITING_CONSENT

            CREATE TABLE journey (
                sequence  INTEGER PRIMARY KEY AUTOINCREMENT,
                client_id TEXT NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_journey_client ON journey (client_id, sequence);
            """),

        // The audit trail (NEN 7513): append-only (the triggers refuse any change or removal) and hash-chained.
        // sequence is the chain position the hub assigns; body is the canonical event the hash covers; the other
        // columns only find events by period and by client pseudonym, and verification checks them against body.
        new(2, """
            CREATE TABLE audit_events (
                sequence         INTEGER PRIMARY KEY,
                event_time       INTEGER NOT NULL,
                client_pseudonym TEXT,
                previous_hash    TEXT NOT NULL,
                hash             TEXT NOT NULL,
                body             TEXT NOT NULL
            );
            CREATE INDEX ix_audit_events_time ON audit_events (event_time, sequence);
            CREATE INDEX ix_audit_events_client ON audit_events (client_pseudonym, sequence) WHERE client_pseudonym IS NOT NULL;
            CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
            BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
            CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
            BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
            """),

        // A coach's caseload: the current assignments of a party's coaches, by client.
        new(3, """
            CREATE INDEX ix_coach_assignments_current ON coach_assignments (json_extract(json, '$.coach.partyId'), client_id)
                WHERE json_extract(json, '$.until') IS NULL;
            """),

        // Which referrals, transitions and signals concern a party (ListReferrals, ListTransitions, ListSignals): their
        // requester or sender, their performers, and the recipients of deliveries that carry them. The documents are
        // sealed, so the index is kept beside them; type is the MessageType number, create_time the message's.
        new(4, """
            CREATE TABLE party_messages (
                party_id    TEXT NOT NULL,
                type        INTEGER NOT NULL,
                create_time INTEGER NOT NULL,
                message_id  TEXT NOT NULL,
                client_id   TEXT NOT NULL,
                PRIMARY KEY (party_id, type, create_time, message_id)
            ) WITHOUT ROWID;
            CREATE INDEX ix_party_messages_client ON party_messages (party_id, type, client_id, create_time, message_id);
            """,
            PartyMessages.Fill),

        // Retention and erasure (docs/privacy.md). requests: the client an answer concerned (null when none or unknown) and
        // their age. Messages: create time and whether their content was erased (the content sits in the sealed document);
        // existing ones take the create time from the party index. Deliveries: when they ended (null while on their way,
        // see MessageContent.EndOf) and whether they hold an inline payload; existing ones from their documents (instants
        // as UTC ticks from julianday: days since 0001-01-01 times 864e9). Journey: the event's time.
        new(5, """
            ALTER TABLE requests ADD COLUMN client_id TEXT;
            CREATE INDEX ix_requests_time ON requests (create_time);
            CREATE INDEX ix_requests_client ON requests (client_id) WHERE client_id IS NOT NULL;

            ALTER TABLE referrals ADD COLUMN create_time INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE referrals ADD COLUMN content_erased INTEGER NOT NULL DEFAULT 0;
            UPDATE referrals SET create_time = COALESCE((SELECT MIN(p.create_time) FROM party_messages p WHERE p.message_id = referrals.id), 0);
            CREATE INDEX ix_referrals_content ON referrals (create_time) WHERE content_erased = 0;

            ALTER TABLE transitions ADD COLUMN create_time INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE transitions ADD COLUMN content_erased INTEGER NOT NULL DEFAULT 0;
            UPDATE transitions SET create_time = COALESCE((SELECT MIN(p.create_time) FROM party_messages p WHERE p.message_id = transitions.id), 0);
            CREATE INDEX ix_transitions_content ON transitions (create_time) WHERE content_erased = 0;

            ALTER TABLE signals ADD COLUMN create_time INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE signals ADD COLUMN content_erased INTEGER NOT NULL DEFAULT 0;
            UPDATE signals SET create_time = COALESCE((SELECT MIN(p.create_time) FROM party_messages p WHERE p.message_id = signals.id), 0);
            CREATE INDEX ix_signals_content ON signals (create_time) WHERE content_erased = 0;

            ALTER TABLE deliveries ADD COLUMN end_time INTEGER;
            ALTER TABLE deliveries ADD COLUMN payload_held INTEGER NOT NULL DEFAULT 0;
            UPDATE deliveries SET
                payload_held = (json_extract(json, '$.payloadJson') IS NOT NULL),
                end_time = CASE WHEN status IN (0, 1, 3, 7) THEN NULL -- 1 PENDING, 3 AWAITING_CONSENT, 7 AWAITING_RETOUR
                    ELSE CAST((julianday(json_extract(json, '$.updateTime')) - 1721425.5) * 864000000000 AS INTEGER) END;
            CREATE INDEX ix_deliveries_payload_ended ON deliveries (end_time) WHERE payload_held = 1 AND end_time IS NOT NULL;

            ALTER TABLE journey ADD COLUMN event_time INTEGER NOT NULL DEFAULT 0;
            UPDATE journey SET event_time = CAST((julianday(json_extract(json, '$.time')) - 1721425.5) * 864000000000 AS INTEGER);
            CREATE INDEX ix_journey_time ON journey (event_time);
            """),

        // Terms of the records (docs/privacy.md). Message records whose content is gone, by create time, for the term
        // of the records; deliveries that carry no message, by end time. The audit trail's start after retention removed
        // its oldest events (one row: the last removed event's sequence and hash). The trigger that refused every removal
        // of an audit event now refuses all but those up to the recorded start, and the start only moves forward, to an
        // event stored with that hash, and is never removed.
        new(6, """
            CREATE INDEX ix_referrals_records ON referrals (create_time, id) WHERE content_erased = 1;
            CREATE INDEX ix_transitions_records ON transitions (create_time, id) WHERE content_erased = 1;
            CREATE INDEX ix_signals_records ON signals (create_time, id) WHERE content_erased = 1;
            CREATE INDEX ix_deliveries_unmessaged_ended ON deliveries (end_time) WHERE message_id IS NULL AND end_time IS NOT NULL;

            CREATE TABLE audit_start (
                id       INTEGER PRIMARY KEY CHECK (id = 1),
                sequence INTEGER NOT NULL,
                hash     TEXT NOT NULL
            );
            CREATE TRIGGER audit_start_insert BEFORE INSERT ON audit_start
            WHEN NEW.sequence <= COALESCE((SELECT sequence FROM audit_start), 0)
              OR NOT EXISTS (SELECT 1 FROM audit_events WHERE sequence = NEW.sequence AND hash = NEW.hash)
            BEGIN SELECT RAISE(ABORT, 'audit_start only moves forward, to a stored audit event with its hash'); END;
            CREATE TRIGGER audit_start_update BEFORE UPDATE ON audit_start
            WHEN NEW.id <> OLD.id OR NEW.sequence <= OLD.sequence
              OR NOT EXISTS (SELECT 1 FROM audit_events WHERE sequence = NEW.sequence AND hash = NEW.hash)
            BEGIN SELECT RAISE(ABORT, 'audit_start only moves forward, to a stored audit event with its hash'); END;
            CREATE TRIGGER audit_start_delete BEFORE DELETE ON audit_start
            BEGIN SELECT RAISE(ABORT, 'audit_start is never removed'); END;

            DROP TRIGGER audit_events_append_only_delete;
            CREATE TRIGGER audit_events_prune_to_start BEFORE DELETE ON audit_events
            WHEN OLD.sequence > COALESCE((SELECT sequence FROM audit_start), 0)
            BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: only events up to the recorded start may be removed'); END;
            """),
    ];

    /// <summary>The newest schema version this build knows.</summary>
    internal static int LatestVersion => Migrations[^1].Version;

    /// <summary>Brings the database up to <see cref="LatestVersion"/>. Safe to run on every start and from several processes.</summary>
    internal static void Migrate(SqliteConnection connection, TimeProvider time, IDocumentProtector? protector = null)
    {
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_time TEXT NOT NULL);");

        var current = CurrentVersion(connection);
        if (current > LatestVersion)
        {
            throw new InvalidOperationException(
                $"The database has schema version {current}; this build knows versions up to {LatestVersion}.");
        }

        foreach (var migration in Migrations)
        {
            if (migration.Version <= current)
            {
                continue;
            }

            // IMMEDIATE takes the write lock first, so a second process starting at the same time waits and
            // then sees the migration as applied.
            Execute(connection, "BEGIN IMMEDIATE;");
            try
            {
                if (CurrentVersion(connection) < migration.Version)
                {
                    Execute(connection, migration.Sql);
                    migration.Fill?.Invoke(connection, protector);
                    using var record = connection.CreateCommand();
                    record.CommandText = "INSERT INTO schema_migrations (version, applied_time) VALUES ($version, $time);";
                    record.Parameters.AddWithValue("$version", migration.Version);
                    record.Parameters.AddWithValue("$time", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
                    record.ExecuteNonQuery();
                }

                Execute(connection, "COMMIT;");
            }
            catch
            {
                Execute(connection, "ROLLBACK;");
                throw;
            }
        }
    }

    internal static int CurrentVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
