using Google.Protobuf;
using Ketenhub.Cli.Tests.Infrastructure;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Tests;

/// <summary><c>deliveries tail</c>: printing, acknowledging, and when it stops.</summary>
public sealed class DeliveriesTailTests
{
    private readonly FakeHub _hub = new();

    public DeliveriesTailTests()
    {
        _hub.OnStream<StreamDeliveriesRequest, StreamDeliveriesResponse>(r => new[] { TransitionDelivery(), ReferralDelivery() }.Where(d => d.Delivery.Sequence > r.AfterSequence));
        _hub.On<AcknowledgeDeliveryRequest, AcknowledgeDeliveryResponse>(_ => new() { Status = DeliveryStatus.Acknowledged });
    }

    [Fact]
    public async Task Tail_PrintsEachDelivery_AndStopsAfterCount()
    {
        var result = await Run("deliveries", "tail", "--as", "sdd", "--count", "1");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        result.LineWith("deliveries/dlv_4", "4", "TRANSITION", "clients/cli_1", "CONTENT", "transitions/trn_1 SCHOOL_LEAVER_18 effective 2026-07-01, coach Ahmed (waakvlam-zorg)");
        Assert.DoesNotContain("dlv_5", result.Output);
        Assert.Contains("1 deliveries received (count reached).", result.Error);
        Assert.Empty(_hub.Requests<AcknowledgeDeliveryRequest>());
    }

    [Fact]
    public async Task Ack_AcknowledgesEveryDelivery_WithItsOwnRequestId()
    {
        var result = await Run("deliveries", "tail", "--as", "sdd", "--ack", "--count", "2", "--request-id", "tail-1");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        result.LineWith("dlv_4", "[ACKNOWLEDGED]");
        result.LineWith("dlv_5", "REFERRAL", "PARTICIPATION_WORK", "[ACKNOWLEDGED]");
        var acks = _hub.Requests<AcknowledgeDeliveryRequest>();
        Assert.Equal(["deliveries/dlv_4", "deliveries/dlv_5"], acks.Select(a => a.Name));
        Assert.Equal(["tail-1", "tail-1-2"], acks.Select(a => a.RequestId));
        Assert.All(_hub.Calls, c => Assert.Equal("sdd", c.Headers.GetValue(DevelopmentHeaders.Party)));
    }

    [Fact]
    public async Task Timeout_StopsWhenNothingArrives()
    {
        var result = await Run("deliveries", "tail", "--as", "sdd", "--timeout", "1");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        result.LineWith("dlv_4");
        result.LineWith("dlv_5");
        Assert.Contains("2 deliveries received (idle for 1 s).", result.Error);
    }

    [Fact]
    public async Task After_IsSentAsTheCursor()
    {
        var result = await Run("deliveries", "tail", "--as", "sdd", "--after", "4", "--timeout", "1");

        Assert.Equal(4, Assert.Single(_hub.Requests<StreamDeliveriesRequest>()).AfterSequence);
        Assert.DoesNotContain("dlv_4", result.Output);
        result.LineWith("dlv_5");
    }

    [Fact]
    public async Task StreamThatEnds_StopsTheTail()
    {
        _hub.StreamsStayOpen = false;

        var result = await Run("deliveries", "tail", "--as", "sdd");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("2 deliveries received (stream ended).", result.Error);
    }

    [Fact]
    public async Task Json_PrintsOneResponsePerLine()
    {
        var result = await Run("deliveries", "tail", "--as", "sdd", "--json", "--count", "2");

        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(TransitionDelivery(), JsonParser.Default.Parse<StreamDeliveriesResponse>(lines[0]));
        Assert.Equal(ReferralDelivery(), JsonParser.Default.Parse<StreamDeliveriesResponse>(lines[1]));
    }

    private static StreamDeliveriesResponse TransitionDelivery() => new()
    {
        Delivery = new Delivery
        {
            Name = "deliveries/dlv_4",
            Sequence = 4,
            Recipient = "parties/sdd",
            Client = "clients/cli_1",
            Status = DeliveryStatus.Pending,
            Decision = new RecipientDecision { Recipient = "parties/sdd", Outcome = RecipientOutcome.Content, Reason = "CONSENT_ACTIVE" },
            Coach = new Coach { DisplayName = "Ahmed", Party = "parties/waakvlam-zorg" },
            Transition = new Transition { Name = "transitions/trn_1", Kind = TransitionKind.SchoolLeaver18, EffectiveDate = new Google.Type.Date { Year = 2026, Month = 7, Day = 1 } },
        },
    };

    private static StreamDeliveriesResponse ReferralDelivery() => new()
    {
        Delivery = new Delivery
        {
            Name = "deliveries/dlv_5",
            Sequence = 5,
            Recipient = "parties/sdd",
            Client = "clients/cli_1",
            Decision = new RecipientDecision { Recipient = "parties/sdd", Outcome = RecipientOutcome.Content },
            Referral = new Referral { Name = "referrals/ref_1", Service = ServiceKind.ParticipationWork },
        },
    };

    private Task<CliResult> Run(params string[] args) => Tool.RunAsync(new Dictionary<string, string>(), _hub.Connect, args);
}
