using System.Text;
using Google.Protobuf;
using Hl7.Fhir.Model;
using Ketenhub.Contracts.V1;
using FhirTask = Hl7.Fhir.Model.Task;

namespace Ketenhub.Adapters.Fhir.Tests;

public sealed class InboundTests
{
    private const string Referrals = "https://ketenhub.example.nl/id/referrals";
    private readonly FhirAdapter adapter = new(new HttpClient(), TimeProvider.System);

    /// <summary>The partner (a provider on FHIR) is the caller; the hub is the recipient.</summary>
    private static AdapterContext FromWaakvlam() => Samples.Context(Samples.Sdd, Samples.Waakvlam);

    private static InboundMessage Message(Resource resource, string method = "POST", string path = "") =>
        new(method, path, "application/fhir+json", FhirFormat.Serialize(resource));

    private static Bundle ReferralBundle(Action<ServiceRequest>? change = null)
    {
        var patient = new Patient { Identifier = [new Identifier("https://ketenhub.example.nl/id/clients", "k-42")] };
        var performer = new Organization { Identifier = [new Identifier(FhirVocabulary.Agb, "73730002")] };
        var sr = new ServiceRequest
        {
            Identifier = [new Identifier("https://waakvlam.example.nl/verwijzingen", "V-2026-118")],
            Status = RequestStatus.Active,
            Intent = RequestIntent.Order,
            Code = new CodeableConcept(FhirVocabulary.CodeSystemBase + "service-kind", "day-activities"),
            Category = [new CodeableConcept(FhirVocabulary.CodeSystemBase + "life-domain", "work")],
            Priority = RequestPriority.Routine,
            Subject = new ResourceReference("urn:uuid:8f1a1f0e-2d4b-4c2a-9a51-0c5e7d9b2a10"),
            Performer = [new ResourceReference("urn:uuid:4a3c1c9e-7b7e-4a8e-bb0a-5c1f2e6d7a21")],
            ReasonCode = [new CodeableConcept { Text = "Zoekt dagritme." }],
            Note = [new Annotation { Text = "Houdt van buitenwerk." }],
        };
        change?.Invoke(sr);
        return new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { FullUrl = "urn:uuid:8f1a1f0e-2d4b-4c2a-9a51-0c5e7d9b2a10", Resource = patient, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new() { FullUrl = "urn:uuid:4a3c1c9e-7b7e-4a8e-bb0a-5c1f2e6d7a21", Resource = performer, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Organization" } },
                new() { FullUrl = "urn:uuid:0b6f2c55-3f0e-4a5e-9d1c-2e7a8b9c0d31", Resource = sr, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "ServiceRequest" } },
            ],
        };
    }

    private static FhirTask TaskUpdate(FhirTask.TaskStatus? status, string? reason = null, Action<FhirTask>? change = null)
    {
        var task = new FhirTask
        {
            Status = status,
            Intent = FhirTask.TaskIntent.Order,
            Focus = new ResourceReference("ServiceRequest?identifier=" + Referrals + "|r-100"),
            Owner = new ResourceReference { Identifier = new Identifier("https://ketenhub.example.nl/id/parties", "waakvlam-drechtsteden") },
            StatusReason = reason is null ? null : new CodeableConcept(FhirVocabulary.DeclineReasons, reason),
            ExecutionPeriod = new Period { Start = "2026-12-01", End = "2027-06-30" },
        };
        change?.Invoke(task);
        return task;
    }

    private IReadOnlyList<IMessage> Accepted(InboundMessage message, AdapterContext? context = null)
    {
        var translation = adapter.TranslateInbound(message, context ?? FromWaakvlam());
        Assert.True(translation is InboundTranslation.Requests, (translation as InboundTranslation.Rejected)?.Error.ToString());
        return ((InboundTranslation.Requests)translation).Messages;
    }

    private Google.Rpc.Status Rejected(InboundMessage message) =>
        Assert.IsType<InboundTranslation.Rejected>(adapter.TranslateInbound(message, FromWaakvlam())).Error;

    [Fact]
    public void A_bundle_with_a_service_request_becomes_create_referral()
    {
        var request = Assert.IsType<CreateReferralRequest>(Assert.Single(Accepted(Message(ReferralBundle()))));

        var expected = new Referral
        {
            Client = "clients/k-42",
            Service = ServiceKind.DayActivities,
            LifeDomains = { LifeDomain.Work },
            Urgency = ReferralUrgency.Routine,
            Reason = "Zoekt dagritme.",
            Strengths = "Houdt van buitenwerk.",
            Performers = { new ReferralPerformer { Party = "parties/begeleiding-plus" } },
        };
        Assert.Equal(expected, request.Referral);
        Assert.StartsWith("fhir-", request.RequestId, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_service_request_sent_twice_has_the_same_request_id_and_another_one_does_not()
    {
        var first = (CreateReferralRequest)Accepted(Message(ReferralBundle()))[0];
        var again = (CreateReferralRequest)Accepted(Message(ReferralBundle()))[0];
        var other = (CreateReferralRequest)Accepted(Message(ReferralBundle(sr => sr.Identifier[0].Value = "V-2026-119")))[0];

        Assert.Equal(first.RequestId, again.RequestId);
        Assert.NotEqual(first.RequestId, other.RequestId);
    }

    [Fact]
    public void An_outbound_referral_bundle_read_as_inbound_gives_the_same_referral()
    {
        var delivery = Samples.ReferralDelivery();
        var bundle = FhirBundleWriter.Write(delivery, Samples.Context(Samples.Waakvlam, Samples.Sdd));
        var sr = bundle.Entry.Select(e => e.Resource).OfType<ServiceRequest>().Single();
        sr.Identifier.Add(new Identifier("https://partner.example.nl/sr", "1"));

        var request = Assert.IsType<CreateReferralRequest>(Assert.Single(Accepted(Message(bundle))));

        Assert.Equal(delivery.Referral.Service, request.Referral.Service);
        Assert.Equal(delivery.Referral.Reason, request.Referral.Reason);
        Assert.Equal(delivery.Referral.Performers.Select(p => p.Party), request.Referral.Performers.Select(p => p.Party));
    }

    [Fact]
    public void Task_updates_become_the_lifecycle_steps()
    {
        var accept = Assert.IsType<AcceptReferralRequest>(Assert.Single(Accepted(Message(TaskUpdate(FhirTask.TaskStatus.Accepted), "PUT", "Task/abc"))));
        Assert.Equal("referrals/r-100", accept.Name);

        var decline = Assert.IsType<DeclineReferralRequest>(Assert.Single(Accepted(Message(TaskUpdate(FhirTask.TaskStatus.Rejected, "03")))));
        Assert.Equal(("referrals/r-100", "03"), (decline.Name, decline.ReasonCode));

        var start = Assert.IsType<StartReferralRequest>(Assert.Single(Accepted(Message(TaskUpdate(FhirTask.TaskStatus.InProgress)))));
        Assert.Equal(new Google.Type.Date { Year = 2026, Month = 12, Day = 1 }, start.StartDate);

        var end = Assert.IsType<EndReferralRequest>(Assert.Single(Accepted(Message(TaskUpdate(FhirTask.TaskStatus.Completed, "11")))));
        Assert.Equal(("referrals/r-100", "11", 2027), (end.Name, end.ReasonCode, end.EndDate.Year));

        Assert.Equal(4, new[] { accept.RequestId, decline.RequestId, start.RequestId, end.RequestId }.Distinct().Count());
    }

    [Fact]
    public void A_task_in_a_bundle_written_by_the_hub_is_read_by_its_identifier()
    {
        var bundle = FhirBundleWriter.Write(Samples.ReferralDelivery(), Samples.Context(Samples.Waakvlam, Samples.Sdd));
        var task = bundle.Entry.Select(e => e.Resource).OfType<FhirTask>().First(t => t.Identifier[0].Value == "r-100/waakvlam-drechtsteden");
        task.Status = FhirTask.TaskStatus.Accepted;

        var accept = Assert.IsType<AcceptReferralRequest>(Assert.Single(Accepted(Message(new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = [new() { Resource = task, Request = new() { Method = Bundle.HTTPVerb.PUT, Url = "Task?identifier=x" } }],
        }))));
        Assert.Equal("referrals/r-100", accept.Name);
    }

    public static TheoryData<string, string, string> InvalidCases() => new()
    {
        { "not-json", "INVALID_REQUEST", "body" },
        { "not-fhir", "INVALID_REQUEST", "body" },
        { "patient-only", "INVALID_REQUEST", "Patient" },
        { "no-identifier", "FIELD_REQUIRED", "ServiceRequest.identifier" },
        { "no-client", "FIELD_REQUIRED", "ServiceRequest.subject" },
        { "unknown-service", "UNKNOWN_ENUM_VALUE", "ServiceRequest.code" },
        { "unknown-performer", "UNKNOWN_PARTY", "ServiceRequest.performer[0]" },
        { "no-performer", "FIELD_REQUIRED", "ServiceRequest.performer" },
        { "reason-too-long", "FIELD_TOO_LONG", "ServiceRequest.reasonCode[0].text" },
        { "control-characters", "INVALID_CHARACTERS", "ServiceRequest.note[0].text" },
        { "several", "INVALID_REQUEST", "ServiceRequest.subject" },
        { "decline-without-reason", "FIELD_REQUIRED", "Task.statusReason" },
        { "decline-bad-reason", "INVALID_REASON_CODE", "Task.statusReason" },
        { "end-without-reason", "FIELD_REQUIRED", "Task.statusReason" },
        { "task-of-another-performer", "NOT_A_PERFORMER", "Task.owner" },
        { "task-cancelled", "ILLEGAL_REFERRAL_STEP", "Task.status" },
        { "task-without-referral", "FIELD_REQUIRED", "Task.focus" },
        { "wrong-content-type", "INVALID_REQUEST", "Content-Type" },
    };

    private static InboundMessage Invalid(string name) => name switch
    {
        "not-json" => new("POST", string.Empty, "application/fhir+json", Encoding.UTF8.GetBytes("{ not json")),
        "not-fhir" => new("POST", string.Empty, "application/fhir+json", Encoding.UTF8.GetBytes("{\"resourceType\":\"Nonsense\",\"x\":1}")),
        "patient-only" => Message(new Patient()),
        "no-identifier" => Message(ReferralBundle(sr => sr.Identifier.Clear())),
        "no-client" => Message(ReferralBundle(sr => sr.Subject = new ResourceReference { Identifier = new Identifier("https://elsewhere.example/patients", "p-1") })),
        "unknown-service" => Message(ReferralBundle(sr => sr.Code = new CodeableConcept(FhirVocabulary.CodeSystemBase + "service-kind", "space-travel"))),
        "unknown-performer" => Message(ReferralBundle(sr => sr.Performer = [new ResourceReference { Identifier = new Identifier(FhirVocabulary.Agb, "99999999") }])),
        "no-performer" => Message(ReferralBundle(sr => sr.Performer.Clear())),
        "reason-too-long" => Message(ReferralBundle(sr => sr.ReasonCode = [new CodeableConcept { Text = new string('x', 8001) }])),
        "control-characters" => Message(ReferralBundle(sr => sr.Note = [new Annotation { Text = "bel \u0007 niet" }])),
        "several" => Message(ReferralBundle(sr =>
        {
            sr.Subject = new ResourceReference { Identifier = new Identifier("https://elsewhere.example/patients", "p-1") };
            sr.Code = new CodeableConcept("http://snomed.info/sct", "410606002");
        })),
        "decline-without-reason" => Message(TaskUpdate(FhirTask.TaskStatus.Rejected)),
        "decline-bad-reason" => Message(TaskUpdate(FhirTask.TaskStatus.Rejected, "3x")),
        "end-without-reason" => Message(TaskUpdate(FhirTask.TaskStatus.Completed)),
        "task-of-another-performer" => Message(TaskUpdate(FhirTask.TaskStatus.Accepted, change: t => t.Owner = new ResourceReference { Identifier = new Identifier(FhirVocabulary.Agb, "73730002") })),
        "task-cancelled" => Message(TaskUpdate(FhirTask.TaskStatus.Cancelled)),
        "task-without-referral" => Message(TaskUpdate(FhirTask.TaskStatus.Accepted, change: t => t.Focus = null)),
        "wrong-content-type" => new("POST", string.Empty, "application/xml", Encoding.UTF8.GetBytes("<Bundle/>")),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Invalid_input_is_refused_with_the_hubs_code_and_an_operation_outcome(string name, string reason, string field)
    {
        var message = Invalid(name);
        var error = Rejected(message);

        Assert.Equal(reason, HubErrors.ReasonOf(error));
        Assert.Contains(HubErrors.ViolationsOf(error), v => v.Field == field);

        var reply = adapter.RenderReply(message, new InboundOutcome(error, []), FromWaakvlam());
        Assert.InRange(reply.StatusCode, 400, 499);
        var outcome = Assert.IsType<OperationOutcome>(FhirFormat.Parse(reply.Payload.Body.Span));
        Assert.Equal(reason, outcome.Issue[0].Details!.Coding[0].Code);
        Assert.Equal(FhirVocabulary.ErrorReasons, outcome.Issue[0].Details!.Coding[0].System);
        Assert.Contains(outcome.Issue, i => i.Expression.Contains(field));
    }

    [Fact]
    public void Errors_name_fields_never_values()
    {
        var message = Message(ReferralBundle(sr =>
        {
            sr.Subject = new ResourceReference { Identifier = new Identifier(FhirVocabulary.Bsn, "999990019") };
            sr.ReasonCode = [new CodeableConcept { Text = "Geheim " + new string('x', 8001) }];
        }));
        var reply = adapter.RenderReply(message, new InboundOutcome(Rejected(message), []), FromWaakvlam());
        var text = Encoding.UTF8.GetString(reply.Payload.Body.Span);

        Assert.DoesNotContain("999990019", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Geheim", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Replies_and_rejections_pass_the_independent_validator()
    {
        using var folder = new TempFolder();
        var i = 0;
        foreach (var row in InvalidCases())
        {
            var message = Invalid((string)row[0]);
            var reply = adapter.RenderReply(message, new InboundOutcome(Rejected(message), []), FromWaakvlam());
            File.WriteAllBytes(Path.Combine(folder.Path, $"outcome-{i++}.json"), reply.Payload.Body.ToArray());
        }

        var created = adapter.RenderReply(
            Message(ReferralBundle()),
            new InboundOutcome(null, [new CreateReferralResponse { Referral = new Referral { Name = "referrals/r-300" } }]),
            FromWaakvlam());
        Assert.Equal(201, created.StatusCode);
        File.WriteAllBytes(Path.Combine(folder.Path, "created.json"), created.Payload.Body.ToArray());

        var (exitCode, output) = NodeValidator.Run(folder.Path);
        Assert.True(exitCode == 0, output);
    }
    [Fact]
    public void A_subject_named_by_bsn_is_resolved_through_the_hubs_lookup_and_never_quoted()
    {
        var bundle = ReferralBundle();
        ((Patient)bundle.Entry[0].Resource!).Identifier = [new Identifier(FhirVocabulary.Bsn, "999990019")];
        var asked = new List<string>();
        var known = FromWaakvlam() with { ClientByBsn = bsn => { asked.Add(bsn); return "clients/cl_0123"; } };
        var unknown = FromWaakvlam() with { ClientByBsn = _ => null };

        var create = Assert.IsType<CreateReferralRequest>(Assert.Single(Accepted(Message(bundle), known)));
        var refused = Assert.IsType<InboundTranslation.Rejected>(adapter.TranslateInbound(Message(bundle), unknown));

        Assert.Equal("clients/cl_0123", create.Referral.Client);
        Assert.Equal(["999990019"], asked);
        Assert.Equal(((int)Grpc.Core.StatusCode.NotFound, "CLIENT_NOT_FOUND"), (refused.Error.Code, HubErrors.ReasonOf(refused.Error)));
        Assert.DoesNotContain("999990019", refused.Error.ToString(), StringComparison.Ordinal);

        ((Patient)bundle.Entry[0].Resource!).Identifier = [new Identifier(FhirVocabulary.Bsn, "999990018")];
        var invalid = Assert.IsType<InboundTranslation.Rejected>(adapter.TranslateInbound(Message(bundle), known));
        Assert.Equal("INVALID_BSN", HubErrors.ReasonOf(invalid.Error));
        Assert.Single(asked);
    }

    [Theory]
    [InlineData("310207003", true)]
    [InlineData("225358003", false)]
    public void A_snomed_service_code_is_taken_when_the_hub_maps_it(string code, bool mapped)
    {
        var bundle = ReferralBundle(sr => sr.Code = new CodeableConcept("http://snomed.info/sct", code));

        var translation = adapter.TranslateInbound(Message(bundle), FromWaakvlam());

        if (mapped)
        {
            var create = Assert.IsType<CreateReferralRequest>(Assert.Single(Assert.IsType<InboundTranslation.Requests>(translation).Messages));
            Assert.Equal(ServiceKind.ShelteredHousing, create.Referral.Service);
        }
        else
        {
            Assert.Equal("UNKNOWN_ENUM_VALUE", HubErrors.ReasonOf(Assert.IsType<InboundTranslation.Rejected>(translation).Error));
        }
    }

    [Fact]
    public void A_task_update_is_answered_with_the_task_at_the_id_it_was_put_at()
    {
        var message = Message(TaskUpdate(FhirTask.TaskStatus.Accepted), "PUT", "Task/t-17");
        var outcome = new InboundOutcome(null, [new AcceptReferralResponse { Referral = new Referral { Name = "referrals/r-100" } }]);

        var reply = adapter.RenderReply(message, outcome, FromWaakvlam());

        Assert.Equal(200, reply.StatusCode);
        var task = Assert.IsType<FhirTask>(FhirFormat.Parse(reply.Payload.Body.Span));
        Assert.Equal(("t-17", FhirTask.TaskStatus.Accepted), (task.Id, task.Status));
    }

    [Fact]
    public void A_bundle_is_answered_entry_by_entry_and_the_created_service_request_carries_its_location()
    {
        var message = Message(ReferralBundle());
        var outcome = new InboundOutcome(null, [new CreateReferralResponse { Referral = new Referral { Name = "referrals/ref_01" } }]);

        var reply = adapter.RenderReply(message, outcome, FromWaakvlam());

        Assert.Equal(201, reply.StatusCode);
        var bundle = Assert.IsType<Bundle>(FhirFormat.Parse(reply.Payload.Body.Span));
        Assert.Equal(Bundle.BundleType.TransactionResponse, bundle.Type);
        Assert.Equal(["200 OK", "200 OK", "201 Created"], bundle.Entry.Select(e => e.Response!.Status));
        Assert.Equal([null, null, "ServiceRequest/" + ResourceIds.Of("ServiceRequest", Referrals, "ref_01")], bundle.Entry.Select(e => e.Response!.Location));

        // A single ServiceRequest is answered with itself, at that id.
        var single = adapter.RenderReply(Message(ReferralBundle().Entry[2].Resource!, "POST", "ServiceRequest"), outcome, FromWaakvlam());
        Assert.Equal(201, single.StatusCode);
        Assert.Equal(ResourceIds.Of("ServiceRequest", Referrals, "ref_01"), Assert.IsType<ServiceRequest>(FhirFormat.Parse(single.Payload.Body.Span)).Id);
    }

    /// <summary>Messages the hub's own checks let through, each invalid in one element that R4 or the hub's profiles define.</summary>
    public static TheoryData<string, string> InvalidInOneElement() => new()
    {
        { "task-without-intent", "Task.intent" },
        { "service-request-without-status", "Bundle.entry[2].resource.status" },
        { "second-identifier-without-system", "Bundle.entry[2].resource.identifier[1].system" },
        { "municipality-code-not-four-digits", "Bundle.entry[0].resource.address[0].extension[0].value" },
    };

    private static Resource InvalidMessage(string kind)
    {
        switch (kind)
        {
            case "task-without-intent":
                return TaskUpdate(FhirTask.TaskStatus.Accepted, change: t => t.Intent = null);
            case "service-request-without-status":
                return ReferralBundle(sr => sr.Status = null);
            case "second-identifier-without-system":
                return ReferralBundle(sr => sr.Identifier.Add(new Identifier { Value = "J. Jansen" }));
            default:
                var bundle = ReferralBundle();
                ((Patient)bundle.Entry[0].Resource!).Address = [new Address { Extension = [new Hl7.Fhir.Model.Extension(FhirVocabulary.MunicipalityExtension, new Code("J5a"))] }];
                return bundle;
        }
    }

    [Theory]
    [MemberData(nameof(InvalidInOneElement))]
    public void A_message_invalid_in_one_element_is_refused_naming_that_element_and_no_value_from_it(string kind, string path)
    {
        var message = Message(InvalidMessage(kind));

        var error = Rejected(message);

        Assert.Equal(("INVALID_REQUEST", (int)Grpc.Core.StatusCode.InvalidArgument), (HubErrors.ReasonOf(error), error.Code));
        var violation = Assert.Single(HubErrors.ViolationsOf(error));
        Assert.Equal(path, violation.Field);
        Assert.False(string.IsNullOrWhiteSpace(violation.Description));
        Assert.DoesNotContain("Jansen", violation.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("J5a", violation.Description, StringComparison.Ordinal);
        var outcome = Assert.IsType<OperationOutcome>(FhirFormat.Parse(adapter.RenderReply(message, new InboundOutcome(error, []), FromWaakvlam()).Payload.Body.Span));
        Assert.Contains(outcome.Issue, i => i.Expression.SequenceEqual([path]) && i.Details!.Text == violation.Description);
    }

    [Fact]
    public void A_message_the_hub_refuses_itself_keeps_the_hubs_own_code()
    {
        // The hub's checks come first: an unknown service is UNKNOWN_ENUM_VALUE at ServiceRequest.code, as before,
        // although the referral profile's binding refuses it too.
        var error = Rejected(Message(ReferralBundle(sr => sr.Code = new CodeableConcept(FhirVocabulary.CodeSystemBase + "service-kind", "dog-walking"))));

        Assert.Equal("UNKNOWN_ENUM_VALUE", HubErrors.ReasonOf(error));
        Assert.Equal("ServiceRequest.code", Assert.Single(HubErrors.ViolationsOf(error)).Field);
    }

    [Fact]
    public void The_capability_statement_names_the_resources_interactions_and_formats_and_is_valid_r4()
    {
        var statement = FhirAdapter.CapabilityStatementOf(new Uri("https://ketenhub.example.nl/fhir/r4"));

        Assert.Equal(FHIRVersion.N4_0_1, statement.FhirVersion);
        Assert.Contains("application/fhir+json", statement.Format);
        var rest = Assert.Single(statement.Rest);
        Assert.Equal(CapabilityStatement.RestfulCapabilityMode.Server, rest.Mode);
        Assert.Equal([CapabilityStatement.SystemRestfulInteraction.Transaction, CapabilityStatement.SystemRestfulInteraction.Batch], rest.Interaction.Select(i => i.Code!.Value));
        Assert.Equal([CapabilityStatement.TypeRestfulInteraction.Create], rest.Resource.Single(r => r.Type == "ServiceRequest").Interaction.Select(i => i.Code!.Value));
        Assert.Equal([CapabilityStatement.TypeRestfulInteraction.Create, CapabilityStatement.TypeRestfulInteraction.Update], rest.Resource.Single(r => r.Type == "Task").Interaction.Select(i => i.Code!.Value));

        using var folder = new TempFolder();
        File.WriteAllBytes(Path.Combine(folder.Path, "capabilities.json"), FhirFormat.Serialize(statement));
        var (_, output) = NodeValidator.Run(folder.Path);

        // The only thing the validator cannot do is check the formats against BCP 13 (MIME types), which its definitions lack.
        Assert.Contains("validated 1 resources", output, StringComparison.Ordinal);
        var problems = output.Split('\n').Where(l => l.Contains("capabilities.json:", StringComparison.Ordinal)).ToList();
        Assert.All(problems, p => Assert.Contains("cannot check required binding (code system urn:ietf:bcp:13", p, StringComparison.Ordinal));
    }
}
