using System.Net;
using Google.Protobuf;
using Google.Rpc;
using Hl7.Fhir.Model;
using Ketenhub.Contracts.V1;
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
        new FhirInboundTranslator(context).Translate(message);

    /// <inheritdoc/>
    public AdapterReply RenderReply(InboundMessage message, InboundOutcome outcome, AdapterContext context)
    {
        if (outcome.Error is { } error)
        {
            return new AdapterReply(HttpStatusOf((StatusCode)error.Code), Payload(OperationOutcomeOf(error)));
        }

        var bundle = new Bundle { Type = Bundle.BundleType.TransactionResponse };
        foreach (var response in outcome.Responses)
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
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Response = new Bundle.ResponseComponent
                {
                    Status = status,
                    Outcome = new OperationOutcome
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
                    },
                },
            });
        }

        var created = outcome.Responses.Any(r => r is CreateReferralResponse);
        return new AdapterReply(created ? 201 : 200, Payload(bundle));
    }

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
