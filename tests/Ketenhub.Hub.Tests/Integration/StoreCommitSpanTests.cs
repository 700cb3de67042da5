using System.Collections.Concurrent;
using System.Diagnostics;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing.InProcess;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// The store's commit is a span of its own (<c>store commit</c>, docs/operations.md "Traces"), linked to the trace of the
/// call whose write it made durable, with the store and the number of writes as its only tags.
/// </summary>
public sealed class StoreCommitSpanTests
{
    [Fact]
    public async Task ACallsWrite_IsCommittedUnderAStoreCommitSpan_LinkedToTheCallsTrace()
    {
        var commits = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Ketenhub.Hub" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == "store commit")
                {
                    commits.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        using var hub = new HubFactory();
        var traceId = ActivityTraceId.CreateRandom();
        var client = await hub.As("waakvlam-zorg").Clients.RegisterClientAsync(
            new RegisterClientRequest { RequestId = Guid.NewGuid().ToString(), Bsn = Kit.NewBsn(), BirthDate = new Google.Type.Date { Year = 1994, Month = 11, Day = 2 }, MunicipalityCode = "0505" },
            new Grpc.Core.Metadata { { "traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01" } });
        Assert.StartsWith("clients/", client.Client.Name, StringComparison.Ordinal);

        var commit = Assert.Single(commits, c => c.Links.Any(link => link.Context.TraceId == traceId));
        Assert.NotEqual(traceId, commit.TraceId); // a root of its own: one commit serves many calls
        Assert.Equal(ActivityKind.Internal, commit.Kind);
        var tags = commit.TagObjects.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal(["ketenhub.store", "ketenhub.writes"], tags.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("sqlite", tags["ketenhub.store"]);
        Assert.True((int)tags["ketenhub.writes"]! >= 1);
    }
}
