using System.Text.RegularExpressions;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;

namespace Ketenhub.HubTests.Push;

/// <summary>Helpers for the push tests: a parties file with pushed parties, and a clock pump.</summary>
internal static partial class PushKit
{
    /// <summary>A webhook secret of the right length, for tests only.</summary>
    public const string Secret = "test-webhook-secret-0123456789abcdef";

    /// <summary>
    /// The demo parties with the given parties' delivery channel changed to a push channel with an endpoint, written to a
    /// temporary file; returns its path.
    /// </summary>
    public static string PartiesFile(params (string PartyId, string Channel, Uri Endpoint)[] pushed)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", "parties.json"));
        foreach (var (partyId, channel, endpoint) in pushed)
        {
            var pattern = new Regex("(\"id\": \"" + Regex.Escape(partyId) + "\"[^\\n]*?)\"deliveryChannel\": \"STREAM\"");
            Assert.Matches(pattern, text);
            text = pattern.Replace(text, "$1\"deliveryChannel\": \"" + channel + "\", \"endpoint\": \"" + endpoint + "\"", 1);
        }

        var path = Path.Combine(Path.GetTempPath(), "ketenhub-tests", Guid.NewGuid().ToString("N") + "-parties.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The push settings the tests use: short timeouts and backoff on the fake clock.</summary>
    public static HubFactory WithPushSettings(this HubFactory hub, string partiesFile) => hub
        .With("Hub:PartiesFile", partiesFile)
        .With("Hub:Push:PublicBaseUrl", "https://ketenhub.test/")
        .With("Hub:Push:AttemptTimeout", "00:00:05")
        .With("Hub:Push:TotalTimeout", "00:00:20")
        .With("Hub:Push:HttpRetries", "1")
        .With("Hub:Push:HttpRetryDelay", "00:00:00.200")
        .With("Hub:Push:MaxInlineRetryAfter", "00:00:01")
        .With("Hub:Push:BackoffBase", "00:00:05")
        .With("Hub:Push:BackoffMax", "00:02:00")
        .With("Hub:Push:BreakDuration", "00:00:05")
        .With("Hub:Push:PollInterval", "00:00:10");

    /// <summary>
    /// Moves the hub's fake clock forward in small steps, giving the hub real time to act after each, until
    /// <paramref name="done"/> holds. Fails after a bounded number of rounds rather than hanging.
    /// </summary>
    public static async Task UntilAsync(HubFactory hub, Func<Task<bool>> done, TimeSpan? step = null, int rounds = 3000, Func<string>? failure = null)
    {
        for (var i = 0; i < rounds; i++)
        {
            if (await done())
            {
                return;
            }

            hub.Clock.Advance(step ?? TimeSpan.FromMilliseconds(200));
            await Task.Delay(15);
        }

        Assert.Fail("The condition did not come true. " + failure?.Invoke());
    }

    /// <summary>The recipient's deliveries with the given status, listed by an administrator.</summary>
    public static async Task<IReadOnlyList<Delivery>> ListAsync(HubFactory hub, string recipient, DeliveryStatus status)
    {
        var admin = hub.As("sdd", "beheer", ["admin"]);
        var response = await admin.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Recipient = "parties/" + recipient, Status = status, PageSize = 1000 });
        return response.Deliveries;
    }
}
