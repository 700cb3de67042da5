using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ketenhub.Hub.Common;
using Microsoft.Data.Sqlite;

namespace Ketenhub.Hub.Storage.Sqlite;

/// <summary>
/// The <c>party_messages</c> index (schema version 4): one row per party and referral, transition or signal that
/// concerns it (see <see cref="PartyMessageQuery"/>). The session adds rows as it stores messages and deliveries (a
/// delivery's row takes the message's create time, which the session knows when it stored the message in the same write
/// and otherwise reads from the message); <see cref="Fill"/> builds them for what a database held before the index existed.
/// </summary>
internal static class PartyMessages
{
    /// <summary>Adds a row; a row that is there already stays as it is.</summary>
    internal const string Insert =
        "INSERT OR IGNORE INTO party_messages (party_id, type, create_time, message_id, client_id) VALUES ($party, $type, $time, $id, $client);";

    /// <summary>Builds the index from the stored messages and deliveries, opening sealed documents with <paramref name="protector"/>.</summary>
    internal static void Fill(SqliteConnection connection, IDocumentProtector? protector)
    {
        var messages = new Dictionary<(string Id, MessageType Type), (DateTimeOffset Time, string ClientId)>();
        foreach (var (id, referral) in Documents(connection, protector, "referrals", StoreJson.Default.ReferralRecord))
        {
            messages[(id, MessageType.Referral)] = (referral.CreateTime, referral.ClientId);
            foreach (var party in PartyMessageIndex.PartiesOf(referral))
            {
                Add(connection, party, MessageType.Referral, referral.CreateTime, id, referral.ClientId);
            }
        }

        foreach (var (id, transition) in Documents(connection, protector, "transitions", StoreJson.Default.TransitionRecord))
        {
            messages[(id, MessageType.Transition)] = (transition.CreateTime, transition.ClientId);
            Add(connection, transition.Sender, MessageType.Transition, transition.CreateTime, id, transition.ClientId);
        }

        foreach (var (id, signal) in Documents(connection, protector, "signals", StoreJson.Default.SignalRecord))
        {
            messages[(id, MessageType.Signal)] = (signal.CreateTime, signal.ClientId);
            Add(connection, signal.Sender, MessageType.Signal, signal.CreateTime, id, signal.ClientId);
        }

        // Delivery bodies are plain JSON with the payload kind by name.
        var recipients = new List<(string Recipient, string MessageId, string Kind)>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT recipient, message_id, json_extract(json, '$.payloadKind') FROM deliveries WHERE message_id IS NOT NULL;";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                recipients.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? string.Empty : reader.GetString(2)));
            }
        }

        foreach (var (recipient, messageId, kind) in recipients)
        {
            if (Enum.TryParse<PayloadKind>(kind, out var payload) && PartyMessageIndex.TypeOf(payload) is { } type
                && messages.TryGetValue((messageId, type), out var message))
            {
                Add(connection, recipient, type, message.Time, messageId, message.ClientId);
            }
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
