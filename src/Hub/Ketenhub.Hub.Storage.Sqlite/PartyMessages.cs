using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ketenhub.Hub.Common;
using Microsoft.Data.Sqlite;

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>
/// The <c>party_messages</c> index (schema version 4): one row per party and referral, transition or signal that
/// concerns it (see <see cref="PartyMessageQuery"/>). The session adds rows as it stores messages and deliveries;
/// <see cref="Fill"/> builds them for what a database held before the index existed.
/// </summary>
internal static class PartyMessages
{
    /// <summary>Adds a row; a row that is there already stays as it is.</summary>
    internal const string Insert =
        "INSERT OR IGNORE INTO party_messages (party_id, type, create_time, message_id, client_id) VALUES ($party, $type, $time, $id, $client);";

    /// <summary>
    /// Adds a delivery's recipient to the message it carries, at the message's create time (taken from the message's
    /// own rows, which are stored before any delivery of it).
    /// </summary>
    internal const string InsertRecipient =
        """
        INSERT OR IGNORE INTO party_messages (party_id, type, create_time, message_id, client_id)
        SELECT $party, type, create_time, message_id, client_id FROM party_messages WHERE message_id = $id AND type = $type LIMIT 1;
        """;

    /// <summary>Builds the index from the stored messages and deliveries, opening sealed documents with <paramref name="protector"/>.</summary>
    internal static void Fill(SqliteConnection connection, IDocumentProtector? protector)
    {
        foreach (var (id, referral) in Documents(connection, protector, "referrals", StoreJson.Default.ReferralRecord))
        {
            foreach (var party in PartyMessageIndex.PartiesOf(referral))
            {
                Add(connection, party, MessageType.Referral, referral.CreateTime, id, referral.ClientId);
            }
        }

        foreach (var (id, transition) in Documents(connection, protector, "transitions", StoreJson.Default.TransitionRecord))
        {
            Add(connection, transition.Sender, MessageType.Transition, transition.CreateTime, id, transition.ClientId);
        }

        foreach (var (id, signal) in Documents(connection, protector, "signals", StoreJson.Default.SignalRecord))
        {
            Add(connection, signal.Sender, MessageType.Signal, signal.CreateTime, id, signal.ClientId);
        }

        // Delivery bodies are plain JSON with the payload kind by name.
        foreach (var (kind, type) in new[] { ("Referral", MessageType.Referral), ("Transition", MessageType.Transition), ("Signal", MessageType.Signal) })
        {
            using var command = connection.CreateCommand();
            command.CommandText =
                """
                INSERT OR IGNORE INTO party_messages (party_id, type, create_time, message_id, client_id)
                SELECT d.recipient, m.type, m.create_time, m.message_id, m.client_id
                FROM deliveries d
                JOIN party_messages m ON m.message_id = d.message_id AND m.type = $type
                WHERE d.message_id IS NOT NULL AND json_extract(d.json, '$.payloadKind') = $kind
                GROUP BY d.recipient, m.message_id;
                """;
            command.Parameters.AddWithValue("$type", (long)type);
            command.Parameters.AddWithValue("$kind", kind);
            command.ExecuteNonQuery();
        }
    }

    private static void Add(SqliteConnection connection, string party, MessageType type, DateTimeOffset createTime, string id, string clientId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Insert;
        command.Parameters.AddWithValue("$party", party);
        command.Parameters.AddWithValue("$type", (long)type);
        command.Parameters.AddWithValue("$time", createTime.UtcTicks);
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$client", clientId);
        command.ExecuteNonQuery();
    }

    private static List<(string Id, T Value)> Documents<T>(SqliteConnection connection, IDocumentProtector? protector, string table, JsonTypeInfo<T> type)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, json FROM {table} ORDER BY rowid;";
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
