using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Microsoft.Data.Sqlite;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// A submit that creates a delivery for a party with exactly one delivery stream open claims it for that stream in
/// its own write: the first attempt and the recipient's <c>DeliverContent</c> audit event are committed with the
/// message, and the stream sends the delivery without a write of its own. Any other stream (a reconnect, a second
/// one) claims as before: another attempt, another audit event.
/// </summary>
public sealed class StreamClaimTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    private string DatabasePath => Path.Combine(_hub.DataDirectory, "ketenhub.db");

    [Fact]
    public async Task ASubmit_ForAPartyWithOneStreamOpen_ClaimsTheDeliveryInItsOwnWrite_AndTheStreamSendsIt()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        using var stream = coach.Tail();

        // The first delivery shows the stream is open (and registered) before the one this test looks at.
        await Kit.RaiseForCoachAsync(sdd, client.Name, "Warm-up.");
        await stream.NextAsync();

        var name = await Kit.RaiseForCoachAsync(sdd, client.Name, "Claimed in the submit.");
        var delivery = await stream.NextAsync();

        Assert.Equal(name, delivery.Name);
        Assert.Equal(1, delivery.AttemptCount);
        Assert.NotNull(Stored(name).ClaimedFor);
        Assert.Equal(1, Stored(name).AttemptCount);

        // One DeliverContent event for the delivery, by the recipient, right after the submit's own event (the same
        // transaction), without the submitter's request id.
        var events = AuditEvents();
        var deliver = Assert.Single(events, e => e.Type == "DeliverContent" && e.Resources.Contains(name));
        Assert.Equal("waakvlam-zorg", deliver.Party);
        Assert.Null(deliver.RequestId);
        var before = events.Single(e => e.Sequence == deliver.Sequence - 1);
        Assert.Equal("CreateSignal", before.Type);
        Assert.Equal("sdd", before.Party);
    }

    [Fact]
    public async Task AReconnectBeforeTheAcknowledgement_CountsAnotherAttempt_AndAuditsTheSendingAgain()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        string name;
        using (var stream = coach.Tail())
        {
            await Kit.RaiseForCoachAsync(sdd, client.Name, "Warm-up.");
            var warmUp = await stream.NextAsync();
            await coach.AcknowledgeAsync(warmUp);
            name = await Kit.RaiseForCoachAsync(sdd, client.Name, "Claimed, sent, not acknowledged.");
            Assert.Equal(name, (await stream.NextAsync()).Name);
        }

        using var again = coach.Tail();
        var redelivered = await again.NextAsync();

        Assert.Equal(name, redelivered.Name);
        Assert.Equal(2, redelivered.AttemptCount);
        Assert.Equal(2, AuditEvents().Count(e => e.Type == "DeliverContent" && e.Resources.Contains(name)));
    }

    [Fact]
    public async Task WithTwoStreamsOpen_OrNone_TheSubmitClaimsNothing()
    {
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);

        var unwatched = await Kit.RaiseForCoachAsync(sdd, client.Name, "Nobody streams.");
        Assert.Null(Stored(unwatched).ClaimedFor);
        Assert.Equal(0, Stored(unwatched).AttemptCount);
        Assert.DoesNotContain(AuditEvents(), e => e.Type == "DeliverContent" && e.Resources.Contains(unwatched));

        // Fan-out streams, so both send the same delivery (shared streams would split them).
        using var first = coach.Tail(new StreamDeliveriesRequest { DeliveryMode = DeliveryMode.FanOut });
        using var second = coach.Tail(new StreamDeliveriesRequest { DeliveryMode = DeliveryMode.FanOut });
        Assert.Equal(unwatched, (await first.NextAsync()).Name);
        Assert.Equal(unwatched, (await second.NextAsync()).Name);

        var shared = await Kit.RaiseForCoachAsync(sdd, client.Name, "Two streams.");
        Assert.Equal(shared, (await first.NextAsync()).Name);
        Assert.Equal(shared, (await second.NextAsync()).Name);
        Assert.Null(Stored(shared).ClaimedFor);
        Assert.Equal(2, AuditEvents().Count(e => e.Type == "DeliverContent" && e.Resources.Contains(shared)));
    }

    [Fact]
    public async Task WithOneAttemptAllowed_TheSubmitClaimsNothing_AndTheStreamStillGetsTheDelivery()
    {
        _hub.With("Hub:MaxDeliveryAttempts", "1");
        var (sdd, coach, client) = await Kit.CoachedForSignalsAsync(_hub);
        using var stream = coach.Tail();
        await Kit.RaiseForCoachAsync(sdd, client.Name, "Warm-up.");
        await stream.NextAsync();

        var name = await Kit.RaiseForCoachAsync(sdd, client.Name, "One attempt only.");
        var delivery = await stream.NextAsync();

        Assert.Equal((name, 1), (delivery.Name, delivery.AttemptCount));
        Assert.Null(Stored(name).ClaimedFor);
    }

    private (string? ClaimedFor, long AttemptCount) Stored(string deliveryName)
    {
        var row = Sql("SELECT json_extract(json, '$.claimedFor'), coalesce(json_extract(json, '$.attemptCount'), 0) FROM deliveries WHERE id = $id;", deliveryName["deliveries/".Length..]).Single();
        return (row[0] as string, (long)row[1]!);
    }

    private List<(long Sequence, string Type, string Party, string? RequestId, List<string> Resources)> AuditEvents() =>
        Sql("SELECT sequence, json_extract(body, '$.type'), json_extract(body, '$.party'), json_extract(body, '$.request'), coalesce(json_extract(body, '$.resources'), '[]') FROM audit_events ORDER BY sequence;")
            .Select(r => ((long)r[0]!, (string)r[1]!, (string)r[2]!, r[3] as string, System.Text.Json.JsonSerializer.Deserialize<List<string>>((string)r[4]!)!))
            .ToList();

    private List<object?[]> Sql(string sql, string? id = null)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (id is not null)
        {
            command.Parameters.AddWithValue("$id", id);
        }

        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            reader.GetValues(row!);
            rows.Add(row.Select(v => v is DBNull ? null : v).ToArray());
        }

        return rows;
    }
}
