using System.Net;
using Google.Protobuf;
using Google.Rpc;
using Hl7.Fhir.Model;
using Ketenhub.Contracts.V1;
using FhirTaskResource = Hl7.Fhir.Model.Task;
using StatusCode = Grpc.Core.StatusCode;

namespace Ketenhub.Adapters.Fhir;

/// <summary>
/// The FHIR R4 adapter (format <c>fhir-r4</c>): deliveries go out as transaction Bundles POSTed to the partner's FHIR
/// base; partners post ServiceRequests (referrals) and Task updates (accept, decline, start, end) to the hub.
/// </summary>
/// <param name="http">The client <see cref="DeliverAsync"/> posts with (from <c>IHttpClientFactory</c>; its timeout and
/// resilience belong to the caller).</param>
/// <param name="time">The clock that turns a <c>Retry-After</c> date into a wait.</param>
public sealed class FhirAdapter(HttpClient http, TimeProvider time) : IPartyAdapter
{
    /// <summary>The format name parties use in configuration.</summary>
    public const string FormatName = "fhir-r4";

    /// <inheritdoc/>
    public string Format => FormatName;

    /// <inheritdoc/>
    public AdapterPayload TranslateOutbound(Delivery delivery, AdapterContext context) =>
        new(FhirFormat.ContentType, FhirFormat.Serialize(FhirBundleWriter.Write(delivery, context)));

    /// <inheritdoc/>
    public async Task<AdapterDeliveryResult> DeliverAsync(OutboundDelivery delivery, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Endpoint)
        {
            Content = new ReadOnlyMemoryContent(delivery.Payload.Body),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(delivery.Payload.ContentType);
        request.Headers.Accept.ParseAdd(FhirFormat.ContentType);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new AdapterDeliveryResult.Delivered();
            }

            if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable or HttpStatusCode.RequestTimeout || status >= 500)
            {
                var after = response.Headers.RetryAfter switch
                {
                    { Delta: { } delta } => delta,
                    { Date: { } date } => date - time.GetUtcNow() > TimeSpan.Zero ? date - time.GetUtcNow() : TimeSpan.Zero,
                    _ => (TimeSpan?)null,
                };
                return new AdapterDeliveryResult.RetryLater(after);
            }

            var reason = "HTTP_" + status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new AdapterDeliveryResult.Rejected(await IssueCodeAsync(response, ct).ConfigureAwait(false) is { } code ? reason + ":" + code : reason);
        }
        catch (HttpRequestException)
        {
            return new AdapterDeliveryResult.RetryLater(null);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            // The client's own timeout.
            return new AdapterDeliveryResult.RetryLater(null);
        }
    }

    /// <summary>The most of a refusal's body read for its OperationOutcome.</summary>
    private const int MaxOutcomeBytes = 64 * 1024;

    /// <summary>
    /// The code of the first error issue of the OperationOutcome a partner refused with (a FHIR issue type such as
    /// <c>not-supported</c> or <c>code-invalid</c>), or null when the body is no such OperationOutcome. Only the code is
    /// taken, never the partner's text, which could repeat data about the client.
    /// </summary>
    private static async Task<string?> IssueCodeAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[MaxOutcomeBytes];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false)) > 0)
            {
                read += n;
            }

            if (read == 0 || read == buffer.Length)
            {
                return null;
            }

            using var document = System.Text.Json.JsonDocument.Parse(buffer.AsMemory(0, read));
            var root = document.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object
                || !root.TryGetProperty("resourceType", out var type) || type.ValueKind != System.Text.Json.JsonValueKind.String || type.GetString() != "OperationOutcome"
                || !root.TryGetProperty("issue", out var issues) || issues.ValueKind != System.Text.Json.JsonValueKind.Array)
            {
                return null;
            }

            foreach (var issue in issues.EnumerateArray())
            {
                if (issue.ValueKind == System.Text.Json.JsonValueKind.Object
                    && issue.TryGetProperty("severity", out var severity) && severity.ValueKind == System.Text.Json.JsonValueKind.String && severity.GetString() is "error" or "fatal"
                    && issue.TryGetProperty("code", out var code) && code.ValueKind == System.Text.Json.JsonValueKind.String
                    && IsIssueCode(code.GetString()!))
                {
                    return code.GetString();
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or HttpRequestException or IOException)
        {
            return null;
        }
    }

    /// <summary>Whether a value has the shape of a FHIR issue type code: lower-case letters and hyphens, at most 40.</summary>
    private static bool IsIssueCode(string value) =>
        value.Length is > 0 and <= 40 && value[0] is >= 'a' and <= 'z' && value.All(c => c is (>= 'a' and <= 'z') or '-');

    /// <inheritdoc/>
    public InboundTranslation TranslateInbound(InboundMessage message, AdapterContext context) =>
        new FhirInboundTranslator(context, FhirValidation.Shared).Translate(message);

    /// <inheritdoc/>
    public AdapterReply RenderReply(InboundMessage message, InboundOutcome outcome, AdapterContext context)
    {
        if (outcome.Error is { } error)
        {
            return new AdapterReply(HttpStatusOf((StatusCode)error.Code), Payload(OperationOutcomeOf(error)));
        }

        Resource? request;
        try
        {
            request = FhirFormat.Parse(message.Body.Span);
        }
        catch (Exception ex) when (ex is Hl7.Fhir.Serialization.DeserializationFailedException or System.Text.Json.JsonException or FormatException or InvalidOperationException)
        {
            request = null;
        }

        var created = outcome.Responses.Any(r => r is CreateReferralResponse);

        // A single resource is answered with that resource, as FHIR's create and update are: a Task with the id it was
        // put at, a ServiceRequest with the id the hub gives the referral.
        if (request is FhirTaskResource task && outcome.Responses.Count == 1)
        {
            task.Id = IdFromPath(message.Path, "Task") ?? task.Id;
            return new AdapterReply(200, Payload(task));
        }

        if (request is ServiceRequest serviceRequest && outcome.Responses.Count == 1 && outcome.Responses[0] is CreateReferralResponse single)
        {
            serviceRequest.Id = ReferralResourceId(context, single.Referral?.Name);
            return new AdapterReply(201, Payload(serviceRequest));
        }

        // A Bundle: one response entry per request entry, in order (FHIR's transaction-response and batch-response).
        var requestBundle = request as Bundle;
        var bundle = new Bundle { Type = requestBundle?.Type == Bundle.BundleType.Batch ? Bundle.BundleType.BatchResponse : Bundle.BundleType.TransactionResponse };
        var responses = new Queue<IMessage>(outcome.Responses);
        var entries = requestBundle?.Entry ?? [];
        var anyServiceRequest = entries.Any(e => e.Resource is ServiceRequest);
        foreach (var entry in entries)
        {
            var answers = anyServiceRequest ? entry.Resource is ServiceRequest : entry.Resource is FhirTaskResource;
            if (answers && responses.TryDequeue(out var response))
            {
                bundle.Entry.Add(ResponseEntry(response, entry, context));
            }
            else
            {
                bundle.Entry.Add(new Bundle.EntryComponent
                {
                    Response = new Bundle.ResponseComponent { Status = "200 OK", Outcome = Informational("Read as context of the request; the hub does not store it.") },
                });
            }
        }

        // Answers without a request entry of their own (none expected): still reported.
        while (responses.TryDequeue(out var response))
        {
            bundle.Entry.Add(ResponseEntry(response, null, context));
        }

        return new AdapterReply(created ? 201 : 200, Payload(bundle));
    }

    private static Bundle.EntryComponent ResponseEntry(IMessage response, Bundle.EntryComponent? request, AdapterContext context)
    {
        var (status, text) = response switch
        {
            CreateReferralResponse r => ("201 Created", r.Referral?.Name ?? string.Empty),
            AcceptReferralResponse r => ("200 OK", r.Referral?.Name ?? string.Empty),
            DeclineReferralResponse r => ("200 OK", r.Referral?.Name ?? string.Empty),
            StartReferralResponse r => ("200 OK", r.Referral?.Name ?? string.Empty),
            EndReferralResponse r => ("200 OK", r.Referral?.Name ?? string.Empty),
            _ => ("200 OK", string.Empty),
        };
        var location = response switch
        {
            CreateReferralResponse r => "ServiceRequest/" + ReferralResourceId(context, r.Referral?.Name),
            _ when request?.Request?.Url is { } url && IdFromPath(url, "Task") is { } id => "Task/" + id,
            _ => null,
        };
        return new Bundle.EntryComponent
        {
            Response = new Bundle.ResponseComponent { Status = status, Location = location, Outcome = Informational(text) },
        };
    }

    private static OperationOutcome Informational(string text) => new()
    {
        Issue =
        [
            new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Information,
                Code = OperationOutcome.IssueType.Informational,
                Details = new CodeableConcept { Text = text },
            },
        ],
    };

    /// <summary>The FHIR id of a referral's ServiceRequest: the same id the hub writes it at in its outbound Bundles.</summary>
    private static string ReferralResourceId(AdapterContext context, string? referralName)
    {
        var id = referralName is { } name && name.StartsWith("referrals/", StringComparison.Ordinal) ? name["referrals/".Length..] : referralName ?? string.Empty;
        return ResourceIds.Of("ServiceRequest", FhirVocabulary.HubIdSystem(context.HubBaseUrl, "referrals"), id);
    }

    /// <summary>The id in a path <c>{type}/{id}</c> (optionally with a leading slash), or null.</summary>
    private static string? IdFromPath(string path, string type)
    {
        var parts = path.Trim('/').Split('/');
        return parts.Length >= 2 && parts[0] == type && parts[1].Length > 0 && !parts[1].Contains('?', StringComparison.Ordinal) ? parts[1] : null;
    }

    /// <summary>
    /// What the hub's FHIR endpoint does (<c>GET /fhir/r4/metadata</c>): R4 in JSON; a transaction or batch Bundle at the
    /// base; ServiceRequest create (a referral) and Task create and update (a step in one).
    /// </summary>
    /// <param name="baseUrl">The endpoint's FHIR base address.</param>
    /// <returns>The CapabilityStatement.</returns>
    public static CapabilityStatement CapabilityStatementOf(Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        CapabilityStatement.ResourceComponent Resource(ResourceType type, string documentation, params CapabilityStatement.TypeRestfulInteraction[] interactions) => new()
        {
            Type = type.ToString(),
            Documentation = documentation,
            Interaction = [.. interactions.Select(i => new CapabilityStatement.ResourceInteractionComponent { Code = i })],
            Versioning = CapabilityStatement.ResourceVersionPolicy.NoVersion,
            ReadHistory = false,
            UpdateCreate = false,
            ConditionalCreate = false,
            ConditionalUpdate = false,
            ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.NotSupported,
        };

        static CapabilityStatement.ResourceComponent Referral(CapabilityStatement.ResourceComponent resource)
        {
            resource.SupportedProfile = [FhirConformance.ReferralProfile];
            return resource;
        }

        static CapabilityStatement.ResourceComponent Searchable(CapabilityStatement.ResourceComponent resource)
        {
            resource.SearchParam =
            [
                new CapabilityStatement.SearchParamComponent
                {
                    Name = "url",
                    Definition = "http://hl7.org/fhir/SearchParameter/conformance-url",
                    Type = SearchParamType.Uri,
                    Documentation = "The canonical URL, optionally with |version.",
                },
            ];
            return resource;
        }

        return new CapabilityStatement
        {
            Status = PublicationStatus.Active,
            Date = CapabilityDate,
            Publisher = "Ketenhub",
            Kind = CapabilityStatementKind.Instance,
            Software = new CapabilityStatement.SoftwareComponent { Name = "Ketenhub" },
            Implementation = new CapabilityStatement.ImplementationComponent { Description = "Ketenhub FHIR R4 endpoint for partners: referrals and steps in them", Url = baseUrl.ToString() },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = [FhirFormat.ContentType, "json"],
            Rest =
            [
                new CapabilityStatement.RestComponent
                {
                    Mode = CapabilityStatement.RestfulCapabilityMode.Server,
                    Documentation = "Callers identify with a client certificate or a bearer token (docs/adapters.md, Inbound endpoints). Nothing is read back: the hub delivers to partners by pushing Bundles.",
                    Security = new CapabilityStatement.SecurityComponent { Description = "Mutual TLS (PKIoverheid) or OAuth2 bearer tokens; every request is checked against the caller's party and channel." },
                    Resource =
                    [
                        Referral(Resource(ResourceType.ServiceRequest, "POST creates a referral: subject by the hub's client identifier or the BSN, code from the hub's service-kind code system or SNOMED CT (mapped), performers by the hub's party id, AGB or OIN. Validated against R4 and the referral profile.", CapabilityStatement.TypeRestfulInteraction.Create)),
                        Resource(ResourceType.Task, "PUT Task/{id} or POST steps a referral: status accepted, rejected, in-progress or completed, focus on the hub's referral identifier. Validated against R4.", CapabilityStatement.TypeRestfulInteraction.Create, CapabilityStatement.TypeRestfulInteraction.Update),
                        .. ConformanceTypes.Select(type => Searchable(Resource(
                            Enum.Parse<ResourceType>(type),
                            "The hub's own " + type + " resources (canonical URLs under " + FhirConformance.CanonicalBase + "): GET " + type + "/{id}, or search by url.",
                            CapabilityStatement.TypeRestfulInteraction.Read,
                            CapabilityStatement.TypeRestfulInteraction.SearchType))),
                    ],
                    Interaction =
                    [
                        new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Transaction },
                        new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Batch },
                    ],
                },
            ],
        };
    }

    /// <summary>The types of the conformance resources the endpoint serves (read by id, search by <c>url</c>).</summary>
    public static readonly IReadOnlyList<string> ConformanceTypes = ["StructureDefinition", "CodeSystem", "ValueSet"];

    /// <summary>
    /// A search of the hub's conformance resources of <paramref name="type"/>: those whose canonical URL is
    /// <paramref name="url"/> (a <c>|version</c> suffix is honoured), or all of the type without one, as a searchset
    /// Bundle whose entries' full URLs are under <paramref name="baseUrl"/>.
    /// </summary>
    /// <param name="baseUrl">The endpoint's FHIR base address.</param>
    /// <param name="type">One of <see cref="ConformanceTypes"/>.</param>
    /// <param name="url">The canonical URL searched for, or null.</param>
    /// <returns>The searchset Bundle.</returns>
    public static Bundle ConformanceSearch(Uri baseUrl, string type, string? url)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var package = FhirConformance.Package;
        var matches = string.IsNullOrEmpty(url)
            ? package.Resources.Where(r => r.TypeName == type)
            : package.FindByUrl(url) is { } found && found.TypeName == type ? [found] : [];
        var root = baseUrl.AbsoluteUri.TrimEnd('/');
        var self = root + "/" + type + (string.IsNullOrEmpty(url) ? string.Empty : "?url=" + Uri.EscapeDataString(url));
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Link = [new Bundle.LinkComponent { Relation = "self", Url = self }] };
        foreach (var resource in matches)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = root + "/" + type + "/" + resource.Id,
                Resource = resource,
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }

        bundle.Total = bundle.Entry.Count;
        return bundle;
    }

    /// <summary>The date of the CapabilityStatement: when what the endpoint does last changed.</summary>
    private const string CapabilityDate = "2026-12-07";

    /// <summary>Renders a hub error as an OperationOutcome: one issue with the ErrorInfo reason as its code, one per invalid field.</summary>
    /// <param name="error">The error.</param>
    /// <returns>The OperationOutcome.</returns>
    public static OperationOutcome OperationOutcomeOf(Google.Rpc.Status error)
    {
        var reason = HubErrors.ReasonOf(error);
        var code = (StatusCode)error.Code;
        var outcome = new OperationOutcome();
        outcome.Issue.Add(new OperationOutcome.IssueComponent
        {
            Severity = OperationOutcome.IssueSeverity.Error,
            Code = IssueTypeOf(code, reason),
            Details = new CodeableConcept(FhirVocabulary.ErrorReasons, reason) { Text = error.Message },
        });
        foreach (var violation in HubErrors.ViolationsOf(error))
        {
            outcome.Issue.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Error,
                Code = IssueTypeOf(code, reason),
                Details = new CodeableConcept(FhirVocabulary.ErrorReasons, reason) { Text = violation.Description },
                Expression = [violation.Field],
            });
        }

        return outcome;
    }

    private static AdapterPayload Payload(Resource resource) => new(FhirFormat.ContentType, FhirFormat.Serialize(resource));

    private static OperationOutcome.IssueType IssueTypeOf(StatusCode code, string reason) => reason switch
    {
        "FIELD_REQUIRED" => OperationOutcome.IssueType.Required,
        "FIELD_TOO_LONG" => OperationOutcome.IssueType.TooLong,
        "UNKNOWN_ENUM_VALUE" or "INVALID_REASON_CODE" => OperationOutcome.IssueType.CodeInvalid,
        _ => code switch
        {
            StatusCode.InvalidArgument => OperationOutcome.IssueType.Invalid,
            StatusCode.NotFound => OperationOutcome.IssueType.NotFound,
            StatusCode.FailedPrecondition => OperationOutcome.IssueType.BusinessRule,
            StatusCode.PermissionDenied => OperationOutcome.IssueType.Forbidden,
            StatusCode.Unauthenticated => OperationOutcome.IssueType.Login,
            StatusCode.ResourceExhausted => OperationOutcome.IssueType.TooCostly,
            StatusCode.Unavailable => OperationOutcome.IssueType.Transient,
            _ => OperationOutcome.IssueType.Exception,
        },
    };

    private static int HttpStatusOf(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument => 400,
        StatusCode.Unauthenticated => 401,
        StatusCode.PermissionDenied => 403,
        StatusCode.NotFound => 404,
        StatusCode.FailedPrecondition or StatusCode.AlreadyExists or StatusCode.Aborted => 409,
        StatusCode.ResourceExhausted => 413,
        StatusCode.Unavailable => 503,
        _ => 500,
    };
}
