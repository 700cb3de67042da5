using Ketenhub.Contracts.V1;

namespace Ketenhub.Simulation.Tests;

/// <summary>The simulated hub's clock: moving it fires the hub's own timer for scheduled work, with no run of it by hand.</summary>
public sealed class SimulatedHubTests
{
    [Fact]
    public async Task MovingTheClock_FiresTheHubsScheduledWork()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var folder = Path.Combine(Path.GetTempPath(), "ketenhub-tests", "simulated-hub-" + Guid.NewGuid().ToString("N"));
        await using var hub = await SimulatedHub.StartAsync(folder, new DateTimeOffset(2025, 3, 13, 9, 0, 0, TimeSpan.Zero), 0, timeout.Token);
        var school = hub.As("hans-petrischool");
        var atSchool = (await school.Clients.RegisterAsync("111222333", new DateOnly(2007, 3, 14), "0642", "parties/hans-petrischool", cancellationToken: timeout.Token)).Client.Name;
        await school.Clients.RecordRepresentativeAsync(new Representative { Client = atSchool, Kind = RepresentationKind.ParentalAuthority, DisplayName = "Ouder", StartDate = new Google.Type.Date { Year = 2007, Month = 3, Day = 14 } }, cancellationToken: timeout.Token);
        var consent = new Consent { Client = atSchool, GrantorRole = GrantorRole.Parent, RecipientParty = "parties/waakvlam-zorg", Purposes = { Purpose.Coaching }, DataCategories = { DataCategory.ContactDetails } };
        await school.Consents.GrantAsync(consent, cancellationToken: timeout.Token);

        // Her own consent too: at 18 the parent's stops counting until she confirms it.
        await school.Consents.GrantAsync(new Consent { Client = atSchool, GrantorRole = GrantorRole.Client, RecipientParty = "parties/waakvlam-zorg", Purposes = { Purpose.Coaching }, DataCategories = { DataCategory.ContactDetails } }, cancellationToken: timeout.Token);
        await school.Clients.AssignCoachAsync(atSchool, new Coach { Party = "parties/waakvlam-zorg", CoachId = "ahmed", DisplayName = "Ahmed", Phone = "078-0000000", Email = "ahmed@example.org" }, cancellationToken: timeout.Token);

        // The coach's organisation reads the journey, under its own name for the client.
        var waakvlam = hub.As("waakvlam-zorg", "ahmed");
        var client = (await waakvlam.Clients.RegisterAsync("111222333", new DateOnly(2007, 3, 14), "0642", cancellationToken: timeout.Token)).Client.Name;
        Assert.False(await CameOfAgeAsync());

        // Two days on, the client is 18. Only the clock moves; the hub's timer (hourly on that clock) does the rest.
        hub.Clock.Advance(TimeSpan.FromDays(2));
        var seen = false;
        for (var attempt = 0; attempt < 100 && !seen; attempt++)
        {
            seen = await CameOfAgeAsync();
            if (!seen)
            {
                await Task.Delay(100, timeout.Token);
            }
        }

        Assert.True(seen, "Moving the clock did not fire the scheduled work: no 'came of age' in the journey.");

        async Task<bool> CameOfAgeAsync()
        {
            await foreach (var e in waakvlam.Clients.GetJourneyAsync(client, cancellationToken: timeout.Token))
            {
                if (e.Type == JourneyEventType.CameOfAge)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
