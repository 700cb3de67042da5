using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Ketenhub.Contracts.V1;
using FhirTask = Hl7.Fhir.Model.Task;

namespace Ketenhub.Adapters.Fhir;

/// <summary>
/// Turns what a FHIR partner posts into the hub's requests: a Bundle (or a single resource) with a ServiceRequest
/// becomes <see cref="CreateReferralRequest"/>; a Task whose status moved to <c>accepted</c>, <c>rejected</c>,
/// <c>in-progress</c> or <c>completed</c> becomes <see cref="AcceptReferralRequest"/>, <see cref="DeclineReferralRequest"/>,
/// <see cref="StartReferralRequest"/> or <see cref="EndReferralRequest"/>. Anything else is refused with the hub's codes.
/// What the hub's own checks let through is then validated against FHIR R4 and the hub's profiles
/// (<paramref name="validation"/>); an error there refuses the whole message before any request runs.
/// </summary>
/// <param name="context">The call's context.</param>
/// <param name="validation">The validator; null only to measure the translation without it.</param>
internal sealed class FhirInboundTranslator(AdapterContext context, FhirValidation? validation)
{
    private const int FreeTextLimit = 8000;
    private const int MaxPerformers = 10;

    private readonly FhirDeliveryReader reader = new(context.HubBaseUrl);
    private readonly List<Violation> violations = [];

    private string Sys(string collection) => FhirVocabulary.HubIdSystem(context.HubBaseUrl, collection);

    public InboundTranslation Translate(InboundMessage message)
    {
        if (!message.ContentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return Reject(StatusCode.InvalidArgument, "INVALID_REQUEST", "The FHIR adapter accepts application/fhir+json only.", ("Content-Type", "Must be application/fhir+json."));
        }

        Resource resource;
        try
        {
            resource = FhirFormat.Parse(message.Body.Span);
        }
        catch (DeserializationFailedException ex) when (FhirValidation.ParseErrors(ex) is { Count: > 0 } parseErrors)
        {
            return NotConforming(parseErrors);
        }
        catch (Exception ex) when (ex is DeserializationFailedException or JsonException or FormatException or InvalidOperationException)
        {
            // The parser's own messages may quote values from the body: they are not passed on.
            return Reject(StatusCode.InvalidArgument, "INVALID_REQUEST", "The body is not a valid FHIR R4 JSON resource.", ("body", "Must be one FHIR R4 resource in JSON."));
        }

        var bundle = resource as Bundle ?? new Bundle { Type = Bundle.BundleType.Transaction, Entry = [new Bundle.EntryComponent { Resource = resource }] };
        var index = new BundleIndex(bundle);
        var requests = new List<IMessage>();
        var serviceRequests = index.All<ServiceRequest>().ToList();
        if (serviceRequests.Count > 0)
        {
            foreach (var sr in serviceRequests)
            {
                if (CreateReferral(index, sr) is { } create)
                {
                    requests.Add(create);
                }
            }
        }
        else
        {
            foreach (var task in index.All<FhirTask>())
            {
                if (LifecycleStep(index, task) is { } step)
                {
                    requests.Add(step);
                }
            }
        }

        if (violations.Count > 0)
        {
            return Rejection();
        }

        if (requests.Count == 0)
        {
            return Reject(StatusCode.InvalidArgument, "INVALID_REQUEST", "The body holds no ServiceRequest and no Task.", ("body", "Must hold a ServiceRequest (a referral) or a Task (a step in one)."));
        }

        if (validation?.Validate(resource) is { Count: > 0 } errors)
        {
            return NotConforming(errors);
        }

        return new InboundTranslation.Requests(requests);
    }

    private static InboundTranslation.Rejected NotConforming(IReadOnlyList<FhirValidationError> errors) => Reject(
        StatusCode.InvalidArgument,
        "INVALID_REQUEST",
        "The message does not conform to FHIR R4 or the hub's profiles (" + FhirConformance.CanonicalBase + "): " + errors.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " error(s).",
        errors.Take(FhirValidation.MaxIssues).Select(e => (e.Path, e.Message)));

    /// <summary>The requester's own reference: the value of the ServiceRequest's placer identifier (type PLAC), if any.</summary>
    internal static string? PlacerReference(ServiceRequest sr) =>
        sr.Identifier.FirstOrDefault(i => i.Type?.Coding.Any(c => c.System == FhirVocabulary.IdentifierTypes && c.Code == FhirVocabulary.Placer) == true)?.Value;

    private CreateReferralRequest? CreateReferral(BundleIndex index, ServiceRequest sr)
    {
        var partnerId = sr.Identifier.FirstOrDefault(i => !string.IsNullOrEmpty(i.System) && !string.IsNullOrEmpty(i.Value));
        if (partnerId is null)
        {
            Add("ServiceRequest.identifier", "FIELD_REQUIRED", "Needs an identifier (system and value) of the sender's own; it makes a resend idempotent.");
        }

        var client = reader.ClientOf(index, sr.Subject);
        if (client.Length == 0 && index.IdentifierOf(sr.Subject, FhirVocabulary.Bsn) is { } bsn)
        {
            client = ClientByBsn(bsn) ?? string.Empty;
        }
        else if (client.Length == 0)
        {
            Add("ServiceRequest.subject", "FIELD_REQUIRED", "Must name the client by the hub's client identifier or the BSN.");
        }

        var referral = new Referral { Client = client };
        var serviceCoding = EnumCodes<ServiceKind>.Find(sr.Code);
        var snomed = serviceCoding is null ? SnomedServices.Find(sr.Code) : null;
        if (serviceCoding is null && snomed is null)
        {
            Add("ServiceRequest.code", "FIELD_REQUIRED", "Must hold a coding from " + EnumCodes<ServiceKind>.System + " or a SNOMED CT code the hub maps.");
        }
        else if (serviceCoding is not null && EnumCodes<ServiceKind>.TryParse(serviceCoding.Code, out var service))
        {
            referral.Service = service;
        }
        else if (snomed is not null && SnomedServices.Map.TryGetValue(snomed.Code ?? string.Empty, out var mapped))
        {
            referral.Service = mapped;
        }
        else
        {
            Add("ServiceRequest.code", "UNKNOWN_ENUM_VALUE", serviceCoding is null
                ? "The SNOMED CT code is not one the hub maps to a service (docs/adapters.md lists them)."
                : "The service code is not in the hub's code system.");
        }

        for (var i = 0; i < sr.Category.Count; i++)
        {
            if (EnumCodes<ReferralKind>.Find(sr.Category[i]) is { } kindCoding)
            {
                if (EnumCodes<ReferralKind>.TryParse(kindCoding.Code, out var kind))
                {
                    referral.Kind = kind;
                }
                else
                {
                    Add($"ServiceRequest.category[{i}]", "UNKNOWN_ENUM_VALUE", "The referral kind code is not in the hub's code system.");
                }

                continue;
            }

            var coding = EnumCodes<LifeDomain>.Find(sr.Category[i]);
            if (coding is null)
            {
                continue;
            }

            if (EnumCodes<LifeDomain>.TryParse(coding.Code, out var domain))
            {
                referral.LifeDomains.Add(domain);
            }
            else
            {
                Add($"ServiceRequest.category[{i}]", "UNKNOWN_ENUM_VALUE", "The life domain code is not in the hub's code system.");
            }
        }

        referral.Urgency = sr.Priority switch
        {
            RequestPriority.Routine => ReferralUrgency.Routine,
            RequestPriority.Urgent => ReferralUrgency.Urgent,
            RequestPriority.Asap or RequestPriority.Stat => ReferralUrgency.Crisis,
            _ => ReferralUrgency.Unspecified,
        };
        referral.Reason = FreeText("ServiceRequest.reasonCode[0].text", sr.ReasonCode.FirstOrDefault(r => r.Coding.Count == 0)?.Text);
        referral.Strengths = FreeText("ServiceRequest.note[0].text", sr.Note.FirstOrDefault()?.Text);
        Scope(sr, referral);

        if (sr.Performer.Count == 0)
        {
            Add("ServiceRequest.performer", "FIELD_REQUIRED", "Needs at least one performer.");
        }
        else if (sr.Performer.Count > MaxPerformers)
        {
            Add("ServiceRequest.performer", "INVALID_REQUEST", "At most 10 performers.");
        }

        for (var i = 0; i < sr.Performer.Count && i < MaxPerformers; i++)
        {
            var party = PartyOf(index, sr.Performer[i]);
            if (party is null)
            {
                Add($"ServiceRequest.performer[{i}]", "UNKNOWN_PARTY", "Must name a party the hub knows, by the hub's party identifier or its AGB or OIN.");
            }
            else
            {
                referral.Performers.Add(new ReferralPerformer { Party = party });
            }
        }

        // The requester's own reference (a placer identifier); the hub checks its length and characters.
        referral.RequesterReference = PlacerReference(sr) ?? string.Empty;
        if (partnerId is null)
        {
            return null;
        }

        return new CreateReferralRequest
        {
            RequestId = RequestId("ServiceRequest", partnerId.System!, partnerId.Value!),
            Referral = referral,
        };
    }

    /// <summary>
    /// The product code (a coding of <c>ServiceRequest.code</c> in the hub's product-code system), the volume
    /// (<c>quantity[x]</c>) and the requested end date (<c>occurrencePeriod.end</c>), checked as the iStandaarden take them.
    /// </summary>
    private void Scope(ServiceRequest sr, Referral referral)
    {
        var codings = sr.Code?.Coding ?? [];
        var product = codings.FindIndex(c => c.System == FhirVocabulary.ProductCodes);
        if (product >= 0)
        {
            var field = $"ServiceRequest.code.coding[{product}].code";
            var code = codings[product].Code;
            if (string.IsNullOrEmpty(code))
            {
                Add(field, "FIELD_REQUIRED", "A product code coding needs its code.");
            }
            else if (code.Length > 5)
            {
                Add(field, "FIELD_TOO_LONG", "A product code is at most 5 characters.");
            }
            else if (!code.All(char.IsAsciiLetterOrDigit))
            {
                Add(field, "INVALID_CHARACTERS", "A product code holds only letters and digits.");
            }
            else
            {
                referral.ProductCode = code;
            }
        }

        if (sr.Quantity is not null)
        {
            referral.Volume = FhirVolume.Read(sr.Quantity, Add);
        }

        // Only a Period's end is a requested end date (the last day the support is asked for); an occurrenceDateTime or
        // occurrenceTiming is not read, as before.
        if (sr.Occurrence is Period { End: { Length: > 0 } end })
        {
            if (FhirFormat.ParseDate(end) is { } date)
            {
                referral.RequestedEndDate = date;
            }
            else
            {
                Add("ServiceRequest.occurrence.end", "INVALID_DATE", "The requested end is a full date (YYYY-MM-DD).");
            }
        }

        if (referral.Volume?.Frequency == VolumeFrequency.Total && referral.RequestedEndDate is null)
        {
            Add("ServiceRequest.occurrence.end", "FIELD_REQUIRED", "A volume in total over the period needs the period's end.");
        }
    }

    private IMessage? LifecycleStep(BundleIndex index, FhirTask task)
    {
        var referralId = index.IdentifierOf(task.Focus, Sys("referrals"))
            ?? task.BasedOn.Select(b => index.IdentifierOf(b, Sys("referrals"))).FirstOrDefault(v => v is not null);
        string? namedPerformer = null;
        if (BundleIndex.IdentifierOf(task, Sys("referral-tasks")) is { } taskKey && taskKey.IndexOf('/', StringComparison.Ordinal) is var slash and > 0)
        {
            referralId ??= taskKey[..slash];
            namedPerformer = "parties/" + taskKey[(slash + 1)..];
        }

        if (referralId is null)
        {
            Add("Task.focus", "FIELD_REQUIRED", "Must reference the referral's ServiceRequest by the hub's referral identifier.");
            return null;
        }

        // The hub executes the step as the sender; an owner that names another party is refused here already.
        if (task.Owner is not null && PartyOf(index, task.Owner) is { } owner && owner != context.Sender.Name)
        {
            return Forbidden("Task.owner");
        }

        if (namedPerformer is not null && namedPerformer != context.Sender.Name)
        {
            return Forbidden("Task.identifier");
        }

        var name = "referrals/" + referralId;
        var reason = task.StatusReason?.Coding.FirstOrDefault()?.Code ?? task.StatusReason?.Text;
        switch (task.Status)
        {
            case FhirTask.TaskStatus.Accepted:
                return new AcceptReferralRequest { RequestId = RequestId(name, "accept"), Name = name };
            case FhirTask.TaskStatus.Rejected:
                if (!ReasonCode("Task.statusReason", reason))
                {
                    return null;
                }

                return new DeclineReferralRequest { RequestId = RequestId(name, "decline", reason!), Name = name, ReasonCode = reason };
            case FhirTask.TaskStatus.InProgress:
            {
                var start = FhirFormat.ParseDate(task.ExecutionPeriod?.Start);
                var step = new StartReferralRequest { RequestId = RequestId(name, "start", task.ExecutionPeriod?.Start ?? string.Empty), Name = name, StartDate = start };
                return step;
            }

            case FhirTask.TaskStatus.Completed:
            {
                if (!ReasonCode("Task.statusReason", reason))
                {
                    return null;
                }

                var end = FhirFormat.ParseDate(task.ExecutionPeriod?.End);
                return new EndReferralRequest { RequestId = RequestId(name, "end", reason!, task.ExecutionPeriod?.End ?? string.Empty), Name = name, EndDate = end, ReasonCode = reason };
            }

            case null:
                Add("Task.status", "FIELD_REQUIRED", "Must be accepted, rejected, in-progress or completed.");
                return null;
            default:
                Add("Task.status", "ILLEGAL_REFERRAL_STEP", "Only accepted, rejected, in-progress and completed are steps in a referral's lifecycle.");
                return null;
        }
    }

    /// <summary>
    /// The sender's own name for the client with <paramref name="bsn"/>, through the hub's BSN look-up; null (with the
    /// violation noted) for a BSN that fails the elfproef, a client the hub does not know or one the sender has no
    /// relationship with, which are not told apart. The BSN is never quoted.
    /// </summary>
    private string? ClientByBsn(string bsn)
    {
        if (!IsBsn(bsn))
        {
            Add("ServiceRequest.subject", "INVALID_BSN", "The BSN must be nine digits that pass the elfproef.");
            return null;
        }

        if (context.ClientByBsn?.Invoke(bsn) is { Length: > 0 } name)
        {
            return name;
        }

        Add("ServiceRequest.subject", "CLIENT_NOT_FOUND", "No client with this BSN that the sender may refer: register the client first, or name it by the hub's client identifier.");
        return null;
    }

    private static bool IsBsn(string value)
    {
        if (value.Length != 9 || !value.All(char.IsAsciiDigit))
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 8; i++)
        {
            sum += (value[i] - '0') * (9 - i);
        }

        sum -= value[8] - '0';
        return sum % 11 == 0;
    }

    private IMessage? Forbidden(string field)
    {
        Add(field, "NOT_A_PERFORMER", "Only the performer itself can take a step in its referral.");
        return null;
    }

    private bool ReasonCode(string field, string? reason)
    {
        if (string.IsNullOrEmpty(reason))
        {
            Add(field, "FIELD_REQUIRED", "A decline or end needs a two-digit reason code.");
            return false;
        }

        if (reason.Length != 2 || !char.IsAsciiDigit(reason[0]) || !char.IsAsciiDigit(reason[1]))
        {
            Add(field, "INVALID_REASON_CODE", "The reason code must be two digits.");
            return false;
        }

        return true;
    }

    private string FreeText(string field, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        if (text.Length > FreeTextLimit)
        {
            Add(field, "FIELD_TOO_LONG", "At most 8000 characters.");
        }
        else if (text.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
        {
            Add(field, "INVALID_CHARACTERS", "Holds control characters.");
        }

        return text;
    }

    /// <summary>A party by the hub's party identifier, or by its AGB or OIN among the parties the context knows.</summary>
    private string? PartyOf(BundleIndex index, ResourceReference reference)
    {
        var byHubId = reader.PartyOf(index, reference);
        if (byHubId.Length > 0)
        {
            return context.FindParty(byHubId) is not null ? byHubId : null;
        }

        var agb = index.IdentifierOf(reference, FhirVocabulary.Agb);
        var oin = index.IdentifierOf(reference, FhirVocabulary.Oin);
        foreach (var party in context.Parties.Values.Append(context.Sender).Append(context.Recipient))
        {
            if ((agb is not null && party.Agb == agb) || (oin is not null && party.Oin == oin))
            {
                return party.Name;
            }
        }

        return null;
    }

    private string RequestId(params string[] parts) =>
        "fhir-" + StableUuid.Hex(context.Sender.Name + "|" + string.Join('|', parts));

    private void Add(string field, string reason, string description) => violations.Add(new Violation(field, reason, description));

    private InboundTranslation.Rejected Rejection()
    {
        if (violations.Count == 1)
        {
            var v = violations[0];
            return Reject(CodeOf(v.Reason), v.Reason, "The request has an invalid field: " + v.Field + ".", (v.Field, v.Description));
        }

        // Permission and state problems outrank field problems: they decide the whole request.
        var decisive = violations.FirstOrDefault(v => CodeOf(v.Reason) != StatusCode.InvalidArgument);
        if (decisive is not null)
        {
            return Reject(CodeOf(decisive.Reason), decisive.Reason, "The request cannot be applied: " + decisive.Field + ".", (decisive.Field, decisive.Description));
        }

        return Reject(
            StatusCode.InvalidArgument,
            "INVALID_REQUEST",
            "The request has several invalid fields.",
            violations.Select(v => (v.Field, v.Reason + ": " + v.Description)));
    }

    private static StatusCode CodeOf(string reason) => reason switch
    {
        "NOT_A_PERFORMER" => StatusCode.PermissionDenied,
        "ILLEGAL_REFERRAL_STEP" => StatusCode.FailedPrecondition,
        "CLIENT_NOT_FOUND" => StatusCode.NotFound,
        _ => StatusCode.InvalidArgument,
    };

    private static InboundTranslation.Rejected Reject(StatusCode code, string reason, string message, params IEnumerable<(string Field, string Description)> fields) =>
        new(HubErrors.Create(code, reason, message, fields));

    private sealed record Violation(string Field, string Reason, string Description);
}
