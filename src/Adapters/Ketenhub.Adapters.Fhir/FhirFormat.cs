using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using PbDate = Google.Type.Date;
using PbTimestamp = Google.Protobuf.WellKnownTypes.Timestamp;

namespace Ketenhub.Adapters.Fhir;

/// <summary>FHIR JSON (System.Text.Json POCO serializer) and the date and time forms the adapter writes.</summary>
public static class FhirFormat
{
    /// <summary>The media type of FHIR JSON.</summary>
    public const string ContentType = "application/fhir+json";

    /// <summary>Serializer options for FHIR R4 POCOs: compact output, strict parsing.</summary>
    public static readonly JsonSerializerOptions Json = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    /// <summary>Serializes a resource to UTF-8 FHIR JSON.</summary>
    /// <param name="resource">The resource.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Serialize(Resource resource) => JsonSerializer.SerializeToUtf8Bytes(resource, resource.GetType(), Json);

    /// <summary>Parses UTF-8 FHIR JSON into a resource.</summary>
    /// <param name="json">The bytes.</param>
    /// <returns>The resource.</returns>
    /// <exception cref="DeserializationFailedException">The JSON is not valid FHIR R4.</exception>
    /// <exception cref="JsonException">The bytes are not JSON.</exception>
    public static Resource Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<Resource>(json, Json) ?? throw new JsonException("The body is empty.");

    internal static string Date(PbDate date) =>
        string.Create(CultureInfo.InvariantCulture, $"{date.Year:D4}-{date.Month:D2}-{date.Day:D2}");

    internal static PbDate? ParseDate(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length < 10)
        {
            return null;
        }

        return DateOnly.TryParseExact(value.AsSpan(0, 10), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? new PbDate { Year = d.Year, Month = d.Month, Day = d.Day }
            : null;
    }

    internal static string DateTime(PbTimestamp timestamp) =>
        timestamp.ToDateTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    internal static PbTimestamp? ParseDateTime(string? value) =>
        !string.IsNullOrEmpty(value)
        && value.Length > 10
        && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? PbTimestamp.FromDateTimeOffset(t)
            : null;
}
