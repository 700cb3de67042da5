using Npgsql;

namespace Ketenhub.Hub.Storage.Postgres;

/// <summary>
/// The versioned schema, as the SQLite store's: migrations are applied in order at start, each in its own transaction
/// together with its row in <c>schema_migrations</c>; a migration that is recorded there is never run again. Never
/// edit a released migration: add the next one.
/// </summary>
/// <remarks>
/// Several hub instances may start at once on one database: <see cref="Migrate"/> holds a session advisory lock
/// (<see cref="MigrationLock"/>) while it looks and migrates, so one instance migrates and the others wait, then find
/// the versions recorded. Columns mirror the SQLite store's: entity bodies are JSON text (sealed documents are the
/// protector's text), instants in query columns are <see cref="DateTimeOffset.UtcTicks"/>, calendar dates are
/// <c>yyyy-MM-dd</c> text, enumerations are their numbers. Key and lookup text is <c>COLLATE "C"</c>, so ids sort and
/// compare by their bytes, whatever the database's locale. <c>position</c> keeps insertion order (SQLite's rowid).
/// </remarks>
internal static class Schema
{
    /// <summary>The session advisory lock held while migrating.</summary>
    internal const long MigrationLock = 0x4B48_5542_0001;

    /// <summary>The transaction advisory lock every write transaction takes first (see <see cref="PostgresHubStore"/>).</summary>
    internal const long WriteLock = 0x4B48_5542_0002;

    /// <summary>A schema step: its SQL, and work that fills what the SQL created from stored documents (in the same transaction).</summary>
    internal sealed record Migration(int Version, string Sql, Action<NpgsqlConnection, NpgsqlTransaction, IDocumentProtector?>? Fill = null);

    internal static readonly IReadOnlyList<Migration> Migrations =
    [
        new(1, """
            CREATE TABLE requests (
                position    BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                caller      TEXT COLLATE "C" NOT NULL,
                operation   TEXT COLLATE "C" NOT NULL,
                request_id  TEXT COLLATE "C" NOT NULL,
                body_hash   TEXT NOT NULL,
                result_json TEXT NOT NULL,
                create_time BIGINT NOT NULL,
                PRIMARY KEY (caller, operation, request_id)
            );

            CREATE TABLE clients (
                id                    TEXT COLLATE "C" PRIMARY KEY,
                bsn_hash              TEXT COLLATE "C" NOT NULL UNIQUE,
                birth_date            TEXT COLLATE "C" NOT NULL,
                eighteenth_birthday   TEXT COLLATE "C" NOT NULL,
                coming_of_age_handled BOOLEAN NOT NULL,
                json                  TEXT NOT NULL
            );
            CREATE INDEX ix_clients_coming_of_age ON clients (coming_of_age_handled, eighteenth_birthday, id);

            CREATE TABLE roles (
                position  BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                id        TEXT COLLATE "C" PRIMARY KEY,
                client_id TEXT COLLATE "C" NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_roles_client ON roles (client_id, position);

            CREATE TABLE coach_assignments (
                position  BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                id        TEXT COLLATE "C" PRIMARY KEY,
                client_id TEXT COLLATE "C" NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_coach_assignments_client ON coach_assignments (client_id, position);

            CREATE TABLE consents (
                position  BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                id        TEXT COLLATE "C" PRIMARY KEY,
                client_id TEXT COLLATE "C" NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_consents_client ON consents (client_id, position);

            CREATE TABLE referrals (
                position  BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                id        TEXT COLLATE "C" PRIMARY KEY,
                client_id TEXT COLLATE "C" NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_referrals_client ON referrals (client_id, position);

            CREATE TABLE transitions (
                position  BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                id        TEXT COLLATE "C" PRIMARY KEY,
                client_id TEXT COLLATE "C" NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_transitions_client ON transitions (client_id, position);

            CREATE TABLE signals (
                position  BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                id        TEXT COLLATE "C" PRIMARY KEY,
                client_id TEXT COLLATE "C" NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_signals_client ON signals (client_id, position);

            -- A delivery's sequence comes from delivery_sequence, at insert and again when it is requeued, so it is
            -- above every sequence given before.
            CREATE SEQUENCE delivery_sequence;
            CREATE TABLE deliveries (
                sequence        BIGINT PRIMARY KEY DEFAULT nextval('delivery_sequence'),
                id              TEXT COLLATE "C" NOT NULL UNIQUE,
                recipient       TEXT COLLATE "C" NOT NULL,
                client_id       TEXT COLLATE "C" NOT NULL,
                message_id      TEXT COLLATE "C",
                status          INTEGER NOT NULL,
                ack_deadline    BIGINT,
                signal_ack_time BIGINT,
                escalated       BOOLEAN NOT NULL,
                await_until     BIGINT,
                json            TEXT NOT NULL
            );
            ALTER SEQUENCE delivery_sequence OWNED BY deliveries.sequence;
            CREATE INDEX ix_deliveries_recipient ON deliveries (recipient, status, sequence);
            CREATE INDEX ix_deliveries_client ON deliveries (client_id, status);
            CREATE INDEX ix_deliveries_message ON deliveries (message_id) WHERE message_id IS NOT NULL;
            CREATE INDEX ix_deliveries_due_escalation ON deliveries (ack_deadline)
                WHERE ack_deadline IS NOT NULL AND signal_ack_time IS NULL AND NOT escalated;
            CREATE INDEX ix_deliveries_awaiting ON deliveries (await_until) WHERE status = 3; -- 3: AWAITING_CONSENT

            CREATE TABLE journey (
                sequence  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                client_id TEXT COLLATE "C" NOT NULL,
                json      TEXT NOT NULL
            );
            CREATE INDEX ix_journey_client ON journey (client_id, sequence);
            """),

        // The audit trail (NEN 7513): append-only (the triggers refuse any change, removal or truncation) and
        // hash-chained, as in the SQLite store.
        new(2, """
            CREATE TABLE audit_events (
                sequence         BIGINT PRIMARY KEY,
                event_time       BIGINT NOT NULL,
                client_pseudonym TEXT COLLATE "C",
                previous_hash    TEXT NOT NULL,
                hash             TEXT NOT NULL,
                body             TEXT NOT NULL
            );
            CREATE INDEX ix_audit_events_time ON audit_events (event_time, sequence);
            CREATE INDEX ix_audit_events_client ON audit_events (client_pseudonym, sequence) WHERE client_pseudonym IS NOT NULL;
            CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only';
            END;
            $$;
            CREATE TRIGGER audit_events_append_only_change BEFORE UPDATE OR DELETE ON audit_events
                FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
            CREATE TRIGGER audit_events_append_only_truncate BEFORE TRUNCATE ON audit_events
                FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
            """),

        // A coach's caseload: the current assignments of a party's coaches, by client.
        new(3, """
            CREATE INDEX ix_coach_assignments_current ON coach_assignments (((json::jsonb -> 'coach' ->> 'partyId')), client_id)
                WHERE (json::jsonb ->> 'until') IS NULL;
            """),

        // Which referrals, transitions and signals concern a party (as the SQLite store's version 4).
        new(4, """
            CREATE TABLE party_messages (
                party_id    TEXT COLLATE "C" NOT NULL,
                type        INTEGER NOT NULL,
                create_time BIGINT NOT NULL,
                message_id  TEXT COLLATE "C" NOT NULL,
                client_id   TEXT COLLATE "C" NOT NULL,
                PRIMARY KEY (party_id, type, create_time, message_id)
            );
            CREATE INDEX ix_party_messages_client ON party_messages (party_id, type, client_id, create_time, message_id);
            """,
            PartyMessages.Fill),

        // Retention and erasure (as the SQLite store's version 5; docs/privacy.md). Existing deliveries and journey
        // events take their times from their documents (UTC ticks: seconds since 1970 times 10^7 plus the ticks of 1970).
        new(5, """
            ALTER TABLE requests ADD COLUMN client_id TEXT COLLATE "C";
            CREATE INDEX ix_requests_time ON requests (create_time);
            CREATE INDEX ix_requests_client ON requests (client_id) WHERE client_id IS NOT NULL;

            ALTER TABLE referrals ADD COLUMN create_time BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE referrals ADD COLUMN content_erased BOOLEAN NOT NULL DEFAULT FALSE;
            UPDATE referrals SET create_time = COALESCE((SELECT MIN(p.create_time) FROM party_messages p WHERE p.message_id = referrals.id), 0);
            CREATE INDEX ix_referrals_content ON referrals (create_time) WHERE NOT content_erased;

            ALTER TABLE transitions ADD COLUMN create_time BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE transitions ADD COLUMN content_erased BOOLEAN NOT NULL DEFAULT FALSE;
            UPDATE transitions SET create_time = COALESCE((SELECT MIN(p.create_time) FROM party_messages p WHERE p.message_id = transitions.id), 0);
            CREATE INDEX ix_transitions_content ON transitions (create_time) WHERE NOT content_erased;

            ALTER TABLE signals ADD COLUMN create_time BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE signals ADD COLUMN content_erased BOOLEAN NOT NULL DEFAULT FALSE;
            UPDATE signals SET create_time = COALESCE((SELECT MIN(p.create_time) FROM party_messages p WHERE p.message_id = signals.id), 0);
            CREATE INDEX ix_signals_content ON signals (create_time) WHERE NOT content_erased;

            ALTER TABLE deliveries ADD COLUMN end_time BIGINT;
            ALTER TABLE deliveries ADD COLUMN payload_held BOOLEAN NOT NULL DEFAULT FALSE;
            UPDATE deliveries SET
                payload_held = (json::jsonb ->> 'payloadJson') IS NOT NULL,
                end_time = CASE WHEN status IN (0, 1, 3, 7) THEN NULL -- 1 PENDING, 3 AWAITING_CONSENT, 7 AWAITING_RETOUR
                    ELSE (EXTRACT(EPOCH FROM (json::jsonb ->> 'updateTime')::timestamptz) * 10000000)::BIGINT + 621355968000000000 END;
            CREATE INDEX ix_deliveries_payload_ended ON deliveries (end_time) WHERE payload_held AND end_time IS NOT NULL;

            ALTER TABLE journey ADD COLUMN event_time BIGINT NOT NULL DEFAULT 0;
            UPDATE journey SET event_time = (EXTRACT(EPOCH FROM (json::jsonb ->> 'time')::timestamptz) * 10000000)::BIGINT + 621355968000000000;
            CREATE INDEX ix_journey_time ON journey (event_time);
            """),

        // Terms of the records (as the SQLite store's version 6; docs/privacy.md). The trigger function that refused every
        // change of an audit event now lets a removal through only up to the recorded start; the start only moves forward,
        // to an event stored with that hash, and is never removed. TRUNCATE stays refused.
        new(6, """
            CREATE INDEX ix_referrals_records ON referrals (create_time, id) WHERE content_erased;
            CREATE INDEX ix_transitions_records ON transitions (create_time, id) WHERE content_erased;
            CREATE INDEX ix_signals_records ON signals (create_time, id) WHERE content_erased;
            CREATE INDEX ix_deliveries_unmessaged_ended ON deliveries (end_time) WHERE message_id IS NULL AND end_time IS NOT NULL;

            CREATE TABLE audit_start (
                id       INTEGER PRIMARY KEY CHECK (id = 1),
                sequence BIGINT NOT NULL,
                hash     TEXT NOT NULL
            );
            CREATE FUNCTION audit_start_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'audit_start is never removed';
                END IF;
                IF NEW.id <> 1
                   OR NEW.sequence <= COALESCE((SELECT sequence FROM audit_start), 0)
                   OR NOT EXISTS (SELECT 1 FROM audit_events WHERE sequence = NEW.sequence AND hash = NEW.hash) THEN
                    RAISE EXCEPTION 'audit_start only moves forward, to a stored audit event with its hash';
                END IF;
                RETURN NEW;
            END;
            $$;
            CREATE TRIGGER audit_start_forward_only BEFORE INSERT OR UPDATE OR DELETE ON audit_start
                FOR EACH ROW EXECUTE FUNCTION audit_start_forward_only();
            CREATE TRIGGER audit_start_truncate BEFORE TRUNCATE ON audit_start
                FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

            CREATE FUNCTION audit_events_prune_to_start() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' AND OLD.sequence <= COALESCE((SELECT sequence FROM audit_start), 0) THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION 'audit_events is append-only: only events up to the recorded start may be removed';
            END;
            $$;
            DROP TRIGGER audit_events_append_only_change ON audit_events;
            CREATE TRIGGER audit_events_prune_to_start BEFORE UPDATE OR DELETE ON audit_events
                FOR EACH ROW EXECUTE FUNCTION audit_events_prune_to_start();
            """),
    ];

    /// <summary>The newest schema version this build knows.</summary>
    internal static int LatestVersion => Migrations[^1].Version;

    /// <summary>Brings the database up to <see cref="LatestVersion"/>. Safe to run on every start and from several instances at once.</summary>
    internal static void Migrate(NpgsqlConnection connection, TimeProvider time, IDocumentProtector? protector = null)
    {
        Execute(connection, null, "SELECT pg_advisory_lock($1);", MigrationLock);
        try
        {
            Execute(connection, null, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_time TIMESTAMPTZ NOT NULL);");
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

                using var transaction = connection.BeginTransaction();
                Execute(connection, transaction, migration.Sql);
                migration.Fill?.Invoke(connection, transaction, protector);
                Execute(connection, transaction, "INSERT INTO schema_migrations (version, applied_time) VALUES ($1, $2);", migration.Version, time.GetUtcNow());
                transaction.Commit();
            }
        }
        finally
        {
            Execute(connection, null, "SELECT pg_advisory_unlock($1);", MigrationLock);
        }
    }

    internal static int CurrentVersion(NpgsqlConnection connection)
    {
        using var command = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", connection);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object[] args)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = arg });
        }

        command.ExecuteNonQuery();
    }
}
