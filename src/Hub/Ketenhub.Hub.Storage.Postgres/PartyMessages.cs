using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ketenhub.Hub.Common;
using Npgsql;

namespace Ketenhub.Hub.Storage.Postgres;

/// <summary>
/// The <c>party_messages</c> index (schema version 4), as the SQLite store keeps it: one row per party and referral,
/// transition or signal that concerns it (see <see cref="PartyMessageQuery"/>). The session adds rows as it stores
/// messages and deliveries; <see cref="Fill"/> builds them for what a database held before the index existed.
/// </summary>
internal static class PartyMessages
{
    /// <summary>Adds a row; a row that is there already stays as it is.</summary>
    internal const string Insert =
        "INSERT INTO party_messages (party_id, type, create_time, message_id, client_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING;";

    /// <summary>
    /// Adds a delivery's recipient to the message it carries, at the message's create time (taken from the message's
    /// own rows, which are stored before any delivery of it).
    /// </summary>
    internal const string InsertRecipient =
        """
        INSERT INTO party_messages (party_id, type, create_time, message_id, client_id)
        SELECT $1, type, create_time, message_id, client_id FROM party_messages WHERE message_id = $2 AND type = $3 LIMIT 1
        ON CONFLICT DO NOTHING;
        """;

    /// <summary>Builds the index from the stored messages and deliveries, opening sealed documents with <paramref name="protector"/>.</summary>
    internal static void Fill(NpgsqlConnection connection, NpgsqlTransaction transaction, IDocumentProtector? protector)
    {
        foreach (var (id, referral) in Documents(connection, transaction, protector, "referrals", StoreJson.Default.ReferralRecord))
        {
            foreach (var party in PartyMessageIndex.PartiesOf(referral))
            {
                Add(connection, transaction, party, MessageType.Referral, referral.CreateTime, id, referral.ClientId);
            }
        }

        foreach (var (id, transition) in Documents(connection, transaction, protector, "transitions", StoreJson.Default.TransitionRecord))
        {
            Add(connection, transaction, transition.Sender, MessageType.Transition, transition.CreateTime, id, transition.ClientId);
        }

        foreach (var (id, signal) in Documents(connection, transaction, protector, "signals", StoreJson.Default.SignalRecord))
        {
            Add(connection, transaction, signal.Sender, MessageType.Signal, signal.CreateTime, id, signal.ClientId);
        }

        // Delivery bodies are plain JSON with the payload kind by name.
        foreach (var (kind, type) in new[] { ("Referral", MessageType.Referral), ("Transition", MessageType.Transition), ("Signal", MessageType.Signal) })
        {
            using var command = new NpgsqlCommand(
                """
                INSERT INTO party_messages (party_id, type, create_time, message_id, client_id)
                SELECT DISTINCT d.recipient, m.type, m.create_time, m.message_id, m.client_id
                FROM deliveries d
                JOIN party_messages m ON m.message_id = d.message_id AND m.type = $1
                WHERE d.message_id IS NOT NULL AND (d.json::jsonb ->> 'payloadKind') = $2
                ON CONFLICT DO NOTHING;
                """,
                connection,
                transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = (int)type });
            command.Parameters.Add(new NpgsqlParameter { Value = kind });
            command.ExecuteNonQuery();
        }
    }

    private static void Add(NpgsqlConnection connection, NpgsqlTransaction transaction, string party, MessageType type, DateTimeOffset createTime, string id, string clientId)
    {
        using var command = new NpgsqlCommand(Insert, connection, transaction);
        foreach (var value in new object[] { party, (int)type, createTime.UtcTicks, id, clientId })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        command.ExecuteNonQuery();
    }

    private static List<(string Id, T Value)> Documents<T>(NpgsqlConnection connection, NpgsqlTransaction transaction, IDocumentProtector? protector, string table, JsonTypeInfo<T> type)
    {
        using var command = new NpgsqlCommand($"SELECT id, json FROM {table} ORDER BY position;", connection, transaction);
        using var reader = command.ExecuteReader();
        var documents = new List<(string, T)>();
        while (reader.Read())
        {
            var id = reader.GetString(0);
            var stored = Encoding.UTF8.GetBytes(reader.GetString(1));
            var json = protector is null ? stored : protector.Unprotect(table + "/" + id, stored);
            documents.Add((id, JsonSerializer.Deserialize(json.Span, type) ?? throw new InvalidOperationException("A stored entity body is empty.")));
        }

        return documents;
    }
}
