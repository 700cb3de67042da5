using Ketenhub.Contracts.V1;
using Ketenhub.Testing;
using static Ketenhub.Testing.HubProcessClient;

namespace Ketenhub.ProcessTests;

/// <summary>
/// What the tests of two hub instances on one database arrange alike: a client of the social service whose coach works
/// at <see cref="Coach"/> with the client's consent to follow up signals, and signals submitted through both instances.
/// </summary>
internal static class TwoInstances
{
    public const string Coach = "waakvlam-zorg";

    /// <summary>Registers the client at the coach's organisation and the social service (through <paramref name="hub"/>); returns the social service's name for the client.</summary>
    public static async Task<string> CoachedClientAsync(HubProcess hub, CancellationToken ct)
    {
        var coach = hub.As(Coach);
        var sdd = hub.As("sdd");
        var client = await coach.RegisterAsync("123456782", Date(1994, 11, 2), "0505", ct);
        var atSdd = await sdd.RegisterAsync("123456782", Date(1994, 11, 2), "0505", ct);
        await sdd.AssignCoachAsync(atSdd.Name, "lisa", "Lisa", ct, coachParty: Coach);
        await coach.GrantAsync(client.Name, GrantorRole.Client, Coach, Purpose.SignalFollowUp, DataCategory.Finances, ct);
        return atSdd.Name;
    }

    /// <summary>Submits <paramref name="count"/> signals about the client, through <paramref name="a"/> and <paramref name="b"/> in turn; returns the coach's deliveries.</summary>
    public static async Task<HashSet<string>> SubmitSignalsAsync(HubProcess a, HubProcess b, string client, int count, CancellationToken ct)
    {
        var deliveries = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var submitted = await (i % 2 == 0 ? a : b).As("sdd").Signals.CreateSignalAsync(
                new CreateSignalRequest
                {
                    RequestId = NewRequestId(),
                    Signal = new Signal { Client = client, Kind = SignalKind.PaymentArrears, LifeDomain = LifeDomain.Finances, Severity = SignalSeverity.Concern, Description = $"Arrears {i}." },
                },
                deadline: Deadline(),
                cancellationToken: ct);
            deliveries.Add(Assert.Single(submitted.Decisions, d => d.Recipient == "parties/" + Coach).Delivery);
        }

        return deliveries;
    }
}
