using System.Security.Cryptography;
using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Microsoft.Extensions.Logging;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// Expected refusals (an unknown caller, a bad token, a bad request, a call over the rate) are logged once per cause
/// and interval, with a count of those left out and without a stack trace, so garbage sent at the hub cannot flood
/// its log. Captured at the levels the hub's own configuration enables.
/// </summary>
public sealed class RefusalLogTests
{
    private const int Rounds = 30;

    [Fact]
    public async Task RefusalsAreLoggedOncePerCauseAndInterval_WithTheNumberLeftOut_AndWithoutStackTraces()
    {
        using var logs = new LogCapture();
        using var hub = new HubFactory();
        logs.Into(hub
            .With("Hub:Limits:Parties:sdd:PermitsPerSecond", "0.01")
            .With("Hub:Limits:Parties:sdd:Burst", "1")
            .With("Hub:Limits:UnknownCallers:Burst", "1000000"));
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var anonymous = hub.WithMetadata("sdd", []);
        var forged = hub.WithMetadata("sdd", new Metadata { { "authorization", "Bearer " + hub.Token("sdd", key: otherKey) } });
        var stranger = hub.As("no-such-party");
        var school = hub.As("hans-petrischool");
        var sdd = hub.As("sdd");
        await sdd.Parties.ListPartiesAsync(new ListPartiesRequest());
        var before = logs.Lines.Count;

        for (var i = 0; i < Rounds; i++)
        {
            await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => List(anonymous));
            await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => List(stranger));
            await Errors.Expect(StatusCode.Unauthenticated, "TOKEN_INVALID", () => List(forged));
            await Errors.Expect(StatusCode.ResourceExhausted, "RATE_LIMITED", () => List(sdd));
            await Errors.Expect(StatusCode.InvalidArgument, "INVALID_BSN", () => school.Clients.RegisterClientAsync(new RegisterClientRequest
            {
                RequestId = NewRequestId(),
                Bsn = "123456780",
                BirthDate = Date(2008, 3, 14),
                MunicipalityCode = "0505",
            }).ResponseAsync);
        }

        // 150 refusals, one line for each cause: nothing else was logged for them, and no stack trace.
        var written = logs.Lines.Skip(before).ToList();
        var refusals = written.Where(l => l.Text.Contains(" refused: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["CALLER_UNKNOWN", "INVALID_BSN", "RATE_LIMITED", "TOKEN_INVALID"], refusals.Select(Reason).Order(StringComparer.Ordinal));
        Assert.True(written.Count == refusals.Count, "Logged besides the refusals:\n" + string.Join("\n", written.Except(refusals)));
        Assert.All(logs.Lines, l => Assert.False(l.WithException, l.ToString()));
        Assert.DoesNotContain(logs.Lines, l => l.Text.Contains("123456780", StringComparison.Ordinal));

        // Within the interval a cause stays quiet; after it, its next refusal is logged with the number left out.
        hub.Clock.Advance(TimeSpan.FromSeconds(59));
        await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => List(anonymous));
        Assert.Single(logs.Lines.Skip(before), l => Reason(l) == "CALLER_UNKNOWN");
        hub.Clock.Advance(TimeSpan.FromSeconds(2));
        await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => List(anonymous));
        var again = logs.Lines.Skip(before).Where(l => Reason(l) == "CALLER_UNKNOWN").ToList();
        Assert.Equal(2, again.Count);
        // Left out: the anonymous and the stranger's calls of every round but the first logged one, and the call at 59 s.
        Assert.Contains($"({2 * Rounds} more refused for this reason", again[1].Text, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Information, again[1].Level);
    }

    private static Task List(PartyClient caller) => caller.Parties.ListPartiesAsync(new ListPartiesRequest()).ResponseAsync;

    // The reason of a refusal line ("… refused: REASON (…"), or empty.
    private static string Reason(LogCapture.Line line)
    {
        var at = line.Text.IndexOf(" refused: ", StringComparison.Ordinal);
        return at < 0 ? string.Empty : line.Text[(at + 10)..].Split(' ')[0];
    }
}
