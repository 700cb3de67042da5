using System.Reflection;
using Google.Api;
using Google.Protobuf.Reflection;
using C = Ketenhub.Contracts.V1;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// The machine-readable field rules of the contract (docs/contracts.md): reads the compiled descriptors of
/// ketenhub.v1 and fails when a request's <c>request_id</c> is not REQUIRED, a resource's <c>name</c> is not
/// OUTPUT_ONLY or IDENTIFIER, a resource-like message has no <c>google.api.resource</c>, or a
/// <c>google.api.resource_reference</c> names a type no message declares, or a field of a request or a resource says
/// nothing of its behaviour.
/// </summary>
public sealed class ContractAnnotationTests
{
    private const string Package = "ketenhub.v1";

    /// <summary>Every message of the package, nested ones included.</summary>
    private static IReadOnlyList<MessageDescriptor> Messages()
    {
        var files = typeof(C.CreateReferralRequest).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(C.CreateReferralRequest).Namespace && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null))
            .OfType<FileDescriptor>()
            .Where(f => f.Package == Package)
            .ToList();
        Assert.Contains(files, f => f == C.CreateReferralRequest.Descriptor.File);
        return files.SelectMany(f => f.MessageTypes).SelectMany(Flatten).ToList();

        static IEnumerable<MessageDescriptor> Flatten(MessageDescriptor m) => new[] { m }.Concat(m.NestedTypes.SelectMany(Flatten));
    }

    private static IReadOnlyList<FieldBehavior> Behaviors(FieldDescriptor field) =>
        field.GetOptions()?.GetExtension(FieldBehaviorExtensions.FieldBehavior)?.ToList() ?? [];

    private static ResourceDescriptor? Resource(MessageDescriptor message) =>
        message.GetOptions()?.GetExtension(ResourceExtensions.Resource);

    private static bool IsRequest(MessageDescriptor m) => m.Name.EndsWith("Request", StringComparison.Ordinal);

    private static bool IsResponse(MessageDescriptor m) => m.Name.EndsWith("Response", StringComparison.Ordinal);

    /// <summary>A message that is neither request nor response and has a string <c>name</c>: a resource.</summary>
    private static bool LooksLikeResource(MessageDescriptor m) =>
        !IsRequest(m) && !IsResponse(m) && m.FindFieldByName("name") is { FieldType: FieldType.String, IsRepeated: false };

    [Fact]
    public void ThePackageHasRequestsAndResources()
    {
        var messages = Messages();
        Assert.True(messages.Count(IsRequest) >= 30, $"only {messages.Count(IsRequest)} requests found");
        Assert.True(messages.Count(LooksLikeResource) >= 8, $"only {messages.Count(LooksLikeResource)} resources found");
    }

    [Fact]
    public void EveryRequestId_IsRequired()
    {
        var missing = Messages()
            .Where(IsRequest)
            .Select(m => m.FindFieldByName("request_id"))
            .Where(f => f is not null && !Behaviors(f).Contains(FieldBehavior.Required))
            .Select(f => f!.FullName)
            .ToList();
        Assert.True(missing.Count == 0, "request_id without (google.api.field_behavior) = REQUIRED: " + string.Join(", ", missing));
    }

    [Fact]
    public void WhatNoMethodChangesAfterCreation_IsImmutable()
    {
        // Consents, signals, transitions and referrals have no Update method: what a caller sets when creating one stays
        // (a consent is withdrawn, a performer moves on, but through fields of their own that are output only). A
        // representative's end date is set later by EndRepresentative; the rest of it stays.
        var messages = Messages().ToDictionary(m => m.Name);
        var unchanging = new[] { "Consent", "Signal", "Transition", "Referral", "ReferralPerformer", "Representative" };
        var missing = unchanging
            .SelectMany(name => messages[name].Fields.InDeclarationOrder())
            .Where(f => f.FullName != "ketenhub.v1.Representative.end_date" && !Behaviors(f).Contains(FieldBehavior.OutputOnly) && !Behaviors(f).Contains(FieldBehavior.Immutable))
            .Select(f => f.FullName)
            .ToList();
        Assert.True(missing.Count == 0, "settable on create but not IMMUTABLE: " + string.Join(", ", missing));
        Assert.DoesNotContain(FieldBehavior.Immutable, Behaviors(messages["Representative"].FindFieldByName("end_date")));
    }

    [Fact]
    public void EveryRequestId_IsDeclaredAUuid4()
    {
        var requestIds = Messages().Where(IsRequest).Select(m => m.FindFieldByName("request_id")).OfType<FieldDescriptor>().ToList();
        var missing = requestIds
            .Where(f => f.GetOptions()?.GetExtension(FieldInfoExtensions.FieldInfo)?.Format != Google.Api.FieldInfo.Types.Format.Uuid4)
            .Select(f => f.FullName)
            .ToList();
        Assert.True(requestIds.Count >= 20, $"only {requestIds.Count} request ids found");
        Assert.True(missing.Count == 0, "request_id without (google.api.field_info).format = UUID4: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryResourceName_IsOutputOnlyOrIdentifier()
    {
        var missing = Messages()
            .Where(LooksLikeResource)
            .Select(m => m.FindFieldByName("name"))
            .Where(f => !Behaviors(f).Any(b => b is FieldBehavior.OutputOnly or FieldBehavior.Identifier))
            .Select(f => f.FullName)
            .ToList();
        Assert.True(missing.Count == 0, "resource name without OUTPUT_ONLY or IDENTIFIER: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryResource_DeclaresGoogleApiResource()
    {
        var missing = Messages()
            .Where(LooksLikeResource)
            .Where(m => Resource(m) is not { } r || !r.Type.StartsWith("ketenhub.nl/", StringComparison.Ordinal) || r.Pattern.Count == 0)
            .Select(m => m.FullName)
            .ToList();
        Assert.True(missing.Count == 0, "resource without (google.api.resource) of type ketenhub.nl/…: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryResourceReference_NamesADeclaredResource()
    {
        var messages = Messages();
        var declared = messages.Select(Resource).OfType<ResourceDescriptor>().Select(r => r.Type).ToHashSet(StringComparer.Ordinal);
        var references = messages
            .SelectMany(m => m.Fields.InDeclarationOrder())
            .Select(f => (Field: f, Reference: f.GetOptions()?.GetExtension(ResourceExtensions.ResourceReference)))
            .Where(x => x.Reference is not null)
            .ToList();
        Assert.NotEmpty(references);
        var unknown = references
            .Where(x => x.Reference!.Type != "*" && !declared.Contains(x.Reference.Type))
            .Select(x => $"{x.Field.FullName} ({x.Reference!.Type})")
            .ToList();
        Assert.True(unknown.Count == 0, "resource_reference to an undeclared type: " + string.Join(", ", unknown));
        var notStrings = references.Where(x => x.Field.FieldType != FieldType.String).Select(x => x.Field.FullName).ToList();
        Assert.True(notStrings.Count == 0, "resource_reference on a non-string field: " + string.Join(", ", notStrings));
    }

    [Fact]
    public void NoFieldIsBothRequiredAndOutputOnly()
    {
        var both = Messages()
            .SelectMany(m => m.Fields.InDeclarationOrder())
            .Where(f => Behaviors(f) is var b && b.Contains(FieldBehavior.Required) && b.Contains(FieldBehavior.OutputOnly))
            .Select(f => f.FullName)
            .ToList();
        Assert.True(both.Count == 0, "REQUIRED and OUTPUT_ONLY together: " + string.Join(", ", both));
    }

    [Fact]
    public void EveryFieldOfARequestOrAResource_SaysItsBehavior()
    {
        // A generator or a reader sees for every field whether it must be sent, may be sent, or is the hub's own.
        var unsaid = Messages()
            .Where(m => IsRequest(m) || Resource(m) is not null)
            .SelectMany(m => m.Fields.InDeclarationOrder())
            .Where(f => Behaviors(f).Count == 0)
            .Select(f => f.FullName)
            .ToList();
        Assert.True(unsaid.Count == 0, "fields without (google.api.field_behavior): " + string.Join(", ", unsaid));
    }
}
