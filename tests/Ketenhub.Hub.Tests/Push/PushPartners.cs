using System.Net;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ketenhub.HubTests.Push;

internal static partial class PushKit
{
    /// <summary>
    /// Starts a partner's receiving endpoint: a Kestrel server on a free loopback port that sends every POST to
    /// <paramref name="path"/> to <paramref name="handle"/>; over HTTPS with <paramref name="certificate"/> when given,
    /// else plain HTTP. The caller stops and disposes the returned app.
    /// </summary>
    public static async Task<(WebApplication App, Uri Endpoint)> StartPartnerAsync(string path, RequestDelegate handle, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Path.GetTempPath() });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        app.MapPost(path, handle);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)), path));
    }
}

/// <summary>The arrangement the FHIR and iWmo push tests share.</summary>
internal static partial class PushKit
{
    /// <summary>The client's coach's organisation.</summary>
    public const string CoachParty = "waakvlam-zorg";

    /// <summary>
    /// Sets the hub up with <paramref name="pushed"/> (or else <paramref name="recipient"/>) pushed over
    /// <paramref name="channel"/> to <paramref name="endpoint"/>, with a minute per attempt on the hub's clock (the test
    /// moves that clock while the partner answers, so a busy machine gets seconds of real time per answer), and
    /// registers a client of municipality 0505 with a coach at <see cref="CoachParty"/> and, when
    /// <paramref name="recipient"/> is given, the client's consent for it (coaching: support plan and contact details).
    /// </summary>
    public static async Task<(PartyClient Sdd, Client Client, string Bsn)> ArrangePushAsync(
        this HubFactory hub, string channel, Uri endpoint, string? recipient, Google.Type.Date? birthDate, string[] pushed)
    {
        hub.WithPushSettings(PartiesFile((pushed.Length == 0 ? [recipient!] : pushed).Select(p => (p, channel, endpoint)).ToArray()))
            .With("Hub:Push:AttemptTimeout", "00:01:00")
            .With("Hub:Push:TotalTimeout", "00:03:00")
            .With("Hub:Push:BreakerSamplingDuration", "00:10:00")
            .With("Hub:Push:BreakerMinimumThroughput", "1000");
        var coach = hub.As(CoachParty);
        var bsn = Kit.NewBsn();
        var client = await coach.RegisterAsync(bsn, birthDate ?? PartyClient.Date(1994, 11, 2), "0505");
        await coach.AssignCoachAsync(client.Name, "lisa", "Lisa");
        if (recipient is not null)
        {
            await coach.GrantAsync(client.Name, GrantorRole.Client, recipient, [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        }

        return (hub.As("sdd"), client, bsn);
    }

    /// <summary><paramref name="sdd"/> refers the client to <paramref name="performer"/>, which gets the content.</summary>
    public static async Task<(string Referral, string Delivery)> ReferAsync(PartyClient sdd, string client, string performer)
    {
        var response = await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = PartyClient.NewRequestId(), Referral = Kit.CareReferral(client, performer) });
        var decision = Assert.Single(response.Decisions, d => d.Recipient == "parties/" + performer);
        Assert.Equal(RecipientOutcome.Content, decision.Outcome);
        return (response.Referral.Name, decision.Delivery);
    }

    /// <summary>Moves the hub's clock until every one of <paramref name="deliveries"/> to <paramref name="recipient"/> is acknowledged.</summary>
    public static Task UntilAcknowledgedAsync(HubFactory hub, string recipient, string[] deliveries, Func<string>? failure = null) =>
        UntilAsync(
            hub,
            async () => (await ListAsync(hub, recipient, DeliveryStatus.Acknowledged)).Count(d => deliveries.Contains(d.Name)) == deliveries.Length,
            failure: failure);
}
