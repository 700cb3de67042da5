using System.Collections;
using System.Reflection;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Ketenhub.HubTests.Integration;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Robustness;

/// <summary>
/// Throws generated requests at every unary RPC of the contract, through the real host: messages filled field by
/// field from a mix of plausible and hostile values (real and unknown names, valid and wrong BSNs, control
/// characters, oversize strings, unknown enum values, impossible and out-of-range dates, repeated request ids), and
/// raw bytes that are not protobuf at all. Every answer must be OK or a coded error from the catalogue, never an
/// unhandled exception (INTERNAL or UNKNOWN), and the hub must keep serving afterwards.
/// </summary>
public sealed class GeneratedRequestTests : IClassFixture<GeneratedRequestTests.SeededHub>
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    private static readonly HashSet<string> Catalogue = typeof(Ketenhub.Hub.Common.ErrorReasons)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);

    private static readonly IReadOnlyList<MethodDescriptor> UnaryMethods = typeof(ClientService).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(ClientService).Namespace && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
        .Select(t => (FileDescriptor)t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!)
        .SelectMany(f => f.Services)
        .SelectMany(s => s.Methods)
        .Where(m => !m.IsClientStreaming && !m.IsServerStreaming)
        .OrderBy(m => m.FullName, StringComparer.Ordinal)
        .ToList();

    private static readonly string[] Callers = ["hans-petrischool", "sdd", "waakvlam-zorg", "begeleiding-plus", "wijkteam-zwijndrecht", "de-sprong"];

    private readonly SeededHub _seeded;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    /// <summary>
    /// How many generated requests the property sends: 10,000 in the test command; <c>scripts/generated-requests.sh
    /// --long</c> sets <c>KETENHUB_GENERATED_REQUESTS=100000</c> for a long run.
    /// </summary>
    private static int GeneratedRequests =>
        int.TryParse(Environment.GetEnvironmentVariable("KETENHUB_GENERATED_REQUESTS"), System.Globalization.CultureInfo.InvariantCulture, out var count) && count > 0 ? count : 10_000;

    public GeneratedRequestTests(SeededHub seeded, Xunit.Abstractions.ITestOutputHelper output)
    {
        _seeded = seeded;
        _output = output;
    }

    [Fact]
    public void EveryUnaryMethodOfTheContractIsCovered()
    {
        // The generator reaches every service of every proto file; a new service is picked up without a change here.
        Assert.True(UnaryMethods.Count >= 30, $"Only {UnaryMethods.Count} unary methods were found.");
        Assert.Contains(UnaryMethods, m => m.FullName == "ketenhub.v1.ReferralService.CreateReferral");
        Assert.Contains(UnaryMethods, m => m.FullName == "ketenhub.v1.AuditService.VerifyAuditTrail");
    }

    [Fact]
    public void GeneratedMessages_GetOkOrACodedError_AndTheHubKeepsServing()
    {
        var gen =
            from method in Gen.Elements(UnaryMethods.ToArray())
            from caller in Gen.Elements(Callers)
            from roles in Gen.Frequency((6, Gen.Constant(Array.Empty<string>())), (1, Gen.Constant(new[] { "admin" })), (1, Gen.Constant(new[] { "privacy-officer" })))
            from seed in Gen.Choose(0, int.MaxValue)
            select new Attempt(method, caller, roles, seed);

        var answers = new Dictionary<string, int>(StringComparer.Ordinal);
        Prop.ForAll(Arb.From(gen), attempt =>
        {
            var body = MessageFiller.Fill(attempt.Method.InputType, new Random(attempt.Seed), _seeded.Pool).ToByteArray();
            var outcome = Call(attempt.Method, attempt.Caller, attempt.Roles, body);
            lock (answers)
            {
                answers[outcome] = answers.GetValueOrDefault(outcome) + 1;
                if (outcome == "OK")
                {
                    var ok = "OK " + attempt.Method.Name;
                    answers[ok] = answers.GetValueOrDefault(ok) + 1;
                }
            }

            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(GeneratedRequests).WithQuietOnSuccess(true));

        _output.WriteLine($"{answers.Where(a => !a.Key.StartsWith("OK ", StringComparison.Ordinal)).Sum(a => a.Value)} generated requests:");
        _output.WriteLine(string.Join(Environment.NewLine, answers.OrderByDescending(a => a.Value).Select(a => $"{a.Value,5} {a.Key}")));
        Assert.Equal(GeneratedRequests, answers.Where(a => !a.Key.StartsWith("OK ", StringComparison.Ordinal)).Sum(a => a.Value));

        // The generated requests reached past validation into the domain at least sometimes, and were refused with
        // many different codes: the generator is not just producing noise that one check throws out.
        Assert.Contains("OK", answers.Keys);
        Assert.True(answers.Count >= 8, "Too few distinct answers: " + string.Join(", ", answers.Select(a => $"{a.Key}={a.Value}")));
        AssertStillServing();
    }

    [Fact]
    public void BytesThatAreNotAMessage_GetACodedError_AndTheHubKeepsServing()
    {
        var gen =
            from method in Gen.Elements(UnaryMethods.ToArray())
            from length in Gen.Choose(1, 64)
            from seed in Gen.Choose(0, int.MaxValue)
            select (method, length, seed);

        Prop.ForAll(Arb.From(gen), t =>
        {
            var random = new Random(t.seed);
            var body = new byte[t.length];
            random.NextBytes(body);
            Call(t.method, "sdd", [], body);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true));

        AssertStillServing();
    }

    // Calls the method with the body and returns "OK" or the error's reason; throws (failing the property) when the
    // answer is an uncoded error or an internal one.
    private string Call(MethodDescriptor descriptor, string caller, string[] roles, byte[] body)
    {
        var method = new Method<byte[], byte[]>(MethodType.Unary, descriptor.Service.FullName, descriptor.Name, Bytes, Bytes);
        var headers = new Metadata { { "authorization", "Bearer " + _seeded.Hub.Token(caller, roles.Length > 0 ? "tester" : null, roles) } };
        try
        {
            Task.Run(() => _seeded.Invoker.AsyncUnaryCall(method, null, new CallOptions(headers, DateTime.UtcNow.AddSeconds(30)), body).ResponseAsync)
                .GetAwaiter().GetResult();
            return "OK";
        }
        catch (RpcException ex)
        {
            var where = $"{descriptor.FullName} as {caller}";
            if (ex.StatusCode is StatusCode.Internal or StatusCode.Unknown)
            {
                throw new Xunit.Sdk.XunitException($"{where}: unhandled error {ex.StatusCode}: {ex.Status.Detail}");
            }

            if (ex.StatusCode == StatusCode.DeadlineExceeded)
            {
                throw new Xunit.Sdk.XunitException($"{where}: the hub did not answer within 30 seconds.");
            }

            var info = ex.GetRpcStatus()?.GetDetail<ErrorInfo>()
                ?? throw new Xunit.Sdk.XunitException($"{where}: {ex.StatusCode} without an ErrorInfo.");
            if (info.Domain != "ketenhub.nl" || !Catalogue.Contains(info.Reason))
            {
                throw new Xunit.Sdk.XunitException($"{where}: reason '{info.Reason}' ({info.Domain}) is not in the catalogue.");
            }

            return info.Reason;
        }
    }

    private void AssertStillServing()
    {
        var sdd = _seeded.Hub.As("sdd");
        var health = new Health.HealthClient(_seeded.Hub.AnonymousChannel());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Check(new HealthCheckRequest()).Status);
        var client = sdd.RegisterAsync(Kit.NewBsn(), Date(2001, 4, 2), "0505").GetAwaiter().GetResult();
        Assert.StartsWith("clients/", client.Name, StringComparison.Ordinal);
    }

    private sealed record Attempt(MethodDescriptor Method, string Caller, string[] Roles, int Seed)
    {
        public override string ToString() => $"{Method.FullName} as {Caller} [{string.Join(",", Roles)}] seed {Seed}";
    }

    /// <summary>One hub for the class, seeded with a client, a coach, a consent and a referral whose names the generator uses.</summary>
    public sealed class SeededHub : IDisposable
    {
        public SeededHub()
        {
            // Thousands of calls from six parties on a clock that does not move: far over the default rate limit,
            // which is not what this test is about (TransportLimitTests is).
            Hub = new HubFactory();
            Hub.With("Hub:Limits:PermitsPerSecond", "1000000")
                .With("Hub:Limits:Burst", "1000000");
            var school = Hub.As("hans-petrischool");
            var provider = Hub.As("waakvlam-zorg");
            var client = school.RegisterAsync(Kit.NewBsn(), Date(2008, 3, 14), "0505", "parties/hans-petrischool").GetAwaiter().GetResult();
            provider.AssignCoachAsync(client.Name, "lisa", "Lisa").GetAwaiter().GetResult();
            var consent = school.GrantAsync(client.Name, GrantorRole.Parent, "waakvlam-zorg", [Purpose.Coaching, Purpose.CareDelivery], [DataCategory.ContactDetails, DataCategory.SupportPlan])
                .GetAwaiter().GetResult();
            var referral = school.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "waakvlam-zorg") })
                .GetAwaiter().GetResult();
            var channel = Grpc.Net.Client.GrpcChannel.ForAddress(Hub.Server.BaseAddress, new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = Hub.Server.CreateHandler() });
            Invoker = channel.CreateCallInvoker();
            Pool = new ValuePool(
                Names: [client.Name, consent.Name, referral.Referral.Name, "parties/sdd", "parties/waakvlam-zorg", "parties/hans-petrischool", "clients/unknown", "referrals/0", "deliveries/x", "consents/", "signals/s1", "transitions/t1"],
                Bsns: [Kit.NewBsn(), Kit.NewBsn()]);
        }

        public HubFactory Hub { get; }

        public CallInvoker Invoker { get; }

        public ValuePool Pool { get; }

        public void Dispose() => Hub.Dispose();
    }
}

/// <summary>Values the generator mixes into string fields: real resource names of the seeded hub and valid BSNs.</summary>
public sealed record ValuePool(IReadOnlyList<string> Names, IReadOnlyList<string> Bsns);

/// <summary>Fills any contract message field by field from a seeded random source, recursively.</summary>
internal static class MessageFiller
{
    private static readonly string[] Hostile =
    [
        string.Empty, " ", "x", "0505", "18XP", "98000001", "123456789", "111222333", "000000000", "12345678X",
        "\u0001\u0002", "line\nbreak", "tab\there", "\u202Eright-to-left", "' OR 1=1 --", "../../etc/passwd", "%00",
        "\uD83D\uDE00 emoji", "ö", "parties/", "clients/../x", "req-fixed-1", "req-fixed-2",
    ];

    private static readonly string[] Reused = ["req-reused-a", "req-reused-b"];

    public static IMessage Fill(MessageDescriptor descriptor, Random random, ValuePool pool, int depth = 0)
    {
        var message = (IMessage)Activator.CreateInstance(descriptor.ClrType)!;
        foreach (var field in descriptor.Fields.InDeclarationOrder())
        {
            // Mostly set, sometimes left empty, so both required-field checks and deeper rules are reached.
            if (random.Next(field.Name == "request_id" ? 12 : 5) == 0 || depth > 4)
            {
                continue;
            }

            if (field.IsMap)
            {
                continue;
            }

            if (field.IsRepeated)
            {
                var list = (IList)field.Accessor.GetValue(message);
                var count = random.Next(4) == 0 ? random.Next(5, 40) : random.Next(0, 3);
                for (var i = 0; i < count; i++)
                {
                    list.Add(Value(field, random, pool, depth));
                }

                continue;
            }

            field.Accessor.SetValue(message, Value(field, random, pool, depth));
        }

        return message;
    }

    private static object Value(FieldDescriptor field, Random random, ValuePool pool, int depth) => field.FieldType switch
    {
        FieldType.String => Text(field, random, pool),
        FieldType.Bool => random.Next(2) == 0,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => Pick(random, 0, 1, -1, 7, 100, 1000, 1001, int.MaxValue, int.MinValue, random.Next()),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => (long)Pick(random, 0, 1, -1, 42, 100_000, int.MaxValue, random.Next()) * (random.Next(8) == 0 ? long.MaxValue / int.MaxValue : 1),
        FieldType.UInt32 or FieldType.Fixed32 => (uint)random.Next(),
        FieldType.UInt64 or FieldType.Fixed64 => (ulong)random.Next(),
        FieldType.Double => Pick(random, 0d, -1d, 1.5d, double.NaN, double.PositiveInfinity, double.MaxValue),
        FieldType.Float => Pick(random, 0f, -1f, 1.5f, float.NaN),
        FieldType.Bytes => ByteString.CopyFrom(Enumerable.Range(0, random.Next(0, 40)).Select(_ => (byte)random.Next(256)).ToArray()),
        FieldType.Enum => EnumValue(field.EnumType, random),
        FieldType.Message => MessageValue(field.MessageType, random, pool, depth),
        _ => throw new NotSupportedException(field.FieldType.ToString()),
    };

    private static string Text(FieldDescriptor field, Random random, ValuePool pool)
    {
        if (field.Name == "request_id")
        {
            return random.Next(5) == 0 ? Reused[random.Next(Reused.Length)] : NewRequestId();
        }

        // Mostly a value that fits the field (so calls get past validation into the rules), otherwise anything.
        if (random.Next(10) < 6 && Plausible(field, random, pool) is { } plausible)
        {
            return plausible;
        }

        return random.Next(10) switch
        {
            < 3 => pool.Names[random.Next(pool.Names.Count)],
            3 => pool.Bsns[random.Next(pool.Bsns.Count)],
            4 => new string('a', Pick(random, 201, 1001, 5000, 70_000)),
            5 => new string(Enumerable.Range(0, random.Next(1, 30)).Select(_ => (char)random.Next(0, 0xD800)).ToArray()),
            _ => Hostile[random.Next(Hostile.Length)],
        };
    }

    private static string? Plausible(FieldDescriptor field, Random random, ValuePool pool)
    {
        string Named(string collection)
        {
            var names = pool.Names.Where(n => n.StartsWith(collection + "/", StringComparison.Ordinal)).ToList();
            return names.Count == 0 ? collection + "/none" : names[random.Next(names.Count)];
        }

        var owner = field.ContainingType.Name;
        return field.Name switch
        {
            "bsn" => pool.Bsns[random.Next(pool.Bsns.Count)],
            "municipality_code" or "municipality_codes" => Pick(random, "0505", "0642", "0482", "9999"),
            "client" => Named("clients"),
            "party" or "recipient" or "performer" or "recipient_party" or "from_party" or "to_party" or "school" or "sender"
                or "contact_party" or "escalation_target" or "requester" => Named("parties"),
            "consent" => Named("consents"),
            "referral" => Named("referrals"),
            "name" when owner.Contains("Referral", StringComparison.Ordinal) => Named("referrals"),
            "name" when owner.Contains("Consent", StringComparison.Ordinal) => Named("consents"),
            "name" when owner.Contains("Client", StringComparison.Ordinal) || owner.Contains("Coach", StringComparison.Ordinal) || owner.Contains("Journey", StringComparison.Ordinal) => Named("clients"),
            "name" when owner.Contains("Part", StringComparison.Ordinal) => Named("parties"),
            "name" => pool.Names[random.Next(pool.Names.Count)],
            "coach_id" => Pick(random, "lisa", "jeroen"),
            "display_name" => Pick(random, "Lisa", "Jeroen de Vries"),
            "phone" => "078-0000000",
            "email" => "coach@example.org",
            "reason_code" => Pick(random, "NO_CAPACITY", "OTHER", "WRONG_CLIENT"),
            "description" or "reason" or "strengths" or "text" or "handover_summary" or "detail" => "Needs support with the household administration.",
            _ => null,
        };
    }

    private static object EnumValue(EnumDescriptor type, Random random)
    {
        // Defined values mostly; sometimes a number the contract does not define.
        var number = random.Next(6) == 0 ? Pick(random, -1, 99, 12345) : type.Values[random.Next(type.Values.Count)].Number;
        return Enum.ToObject(type.ClrType, number);
    }

    private static IMessage MessageValue(MessageDescriptor type, Random random, ValuePool pool, int depth)
    {
        switch (type.FullName)
        {
            case "google.type.Date":
                return new Google.Type.Date { Year = Pick(random, 0, 1850, 1899, 1900, 1975, 2001, 2008, 2025, 2026, 2027, 2100, 10000), Month = random.Next(0, 14), Day = random.Next(0, 33) };
            case "google.protobuf.Timestamp":
                return new Google.Protobuf.WellKnownTypes.Timestamp { Seconds = Pick(random, 0L, -62135596800L, 1_700_000_000L, 1_795_000_000L, 4_000_000_000L, 253402300799L), Nanos = Pick(random, 0, 999_999_999) };
            case "google.protobuf.Duration":
                return new Google.Protobuf.WellKnownTypes.Duration { Seconds = Pick(random, 0L, -5L, 60L, 86_400L, 315_576_000_000L) };
            case "google.protobuf.FieldMask":
                var mask = new Google.Protobuf.WellKnownTypes.FieldMask();
                mask.Paths.Add(Pick(random, "display_name", "*", "bsn", "nonsense", string.Empty));
                return mask;
            default:
                return Fill(type, random, pool, depth + 1);
        }
    }

    private static T Pick<T>(Random random, params T[] values) => values[random.Next(values.Length)];
}
