using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf.Reflection;
using Hl7.Fhir.Model;

namespace Ketenhub.Adapters.Fhir;

/// <summary>
/// The identifier systems and code systems the FHIR adapter writes and reads.
/// </summary>
/// <remarks>
/// Dutch identifiers use the national naming systems. The hub's own ids (referrals, signals, parties, coaches …) use
/// systems under the hub's base address (<c>{hub}/id/{collection}</c>), so the same referral has the same identifier
/// in every delivery and conditional creates find it again. The hub's enums use code systems under
/// <see cref="CodeSystemBase"/>, one per enum, with the enum value's name in kebab case as the code
/// (<c>SERVICE_KIND_WAAKVLAM_SUPPORT</c> → <c>waakvlam-support</c>).
/// </remarks>
public static class FhirVocabulary
{
    /// <summary>Burgerservicenummer.</summary>
    public const string Bsn = "http://fhir.nl/fhir/NamingSystem/bsn";

    /// <summary>AGB code (Vektis) of a care provider.</summary>
    public const string Agb = "http://fhir.nl/fhir/NamingSystem/agb-z";

    /// <summary>URA (UZI register subscriber number) of a care provider.</summary>
    public const string Ura = "http://fhir.nl/fhir/NamingSystem/ura";

    /// <summary>OIN (organisatie-identificatienummer) of a government organisation.</summary>
    public const string Oin = "http://fhir.nl/fhir/NamingSystem/oin";

    /// <summary>BRIN code of a school.</summary>
    public const string Brin = "http://fhir.nl/fhir/NamingSystem/brin";

    /// <summary>KvK number (Chamber of Commerce).</summary>
    public const string Kvk = "http://fhir.nl/fhir/NamingSystem/kvk";

    /// <summary>Where the hub's code systems live.</summary>
    public const string CodeSystemBase = "https://ketenhub.nl/fhir/CodeSystem/";

    /// <summary>Code system of the hub's error reasons (docs/errors.md), used in OperationOutcome.issue.details.</summary>
    public const string ErrorReasons = CodeSystemBase + "error-reason";

    /// <summary>Code system of referral decline reasons (iWmo WJ759, two digits).</summary>
    public const string DeclineReasons = CodeSystemBase + "decline-reason";

    /// <summary>Code system of referral end reasons (iWmo WMO588, two digits).</summary>
    public const string EndReasons = CodeSystemBase + "end-reason";

    /// <summary>Code system of the names of Task inputs the hub writes.</summary>
    public const string TaskInputs = CodeSystemBase + "task-input";

    /// <summary>Code system of the kinds of Communication the hub sends: <c>signal</c> and <c>thin-notice</c>.</summary>
    public const string CommunicationKinds = CodeSystemBase + "communication-kind";

    /// <summary>Code system of the roles the hub names (the coach).</summary>
    public const string Roles = CodeSystemBase + "care-role";

    /// <summary>
    /// Code system of the municipality's product codes (iWmo/iJw <c>ProductCode</c>, one to five letters or digits), written
    /// as a second coding of <c>ServiceRequest.code</c>.
    /// </summary>
    public const string ProductCodes = CodeSystemBase + "product-code";

    /// <summary>HL7 v2 table 0203 (identifier types), whose <c>PLAC</c> marks the placer's (the requester's) own identifier.</summary>
    public const string IdentifierTypes = "http://terminology.hl7.org/CodeSystem/v2-0203";

    /// <summary>The identifier type of a requester's own reference for a referral (<c>Referral.requester_reference</c>).</summary>
    public const string Placer = "PLAC";

    /// <summary>UCUM, the units of a volume that have one (minute, hour, day) and of its period (day, week, month).</summary>
    public const string Ucum = "http://unitsofmeasure.org";

    /// <summary>ISO 4217 currencies: a volume in euros.</summary>
    public const string Currencies = "urn:iso:std:iso:4217";

    /// <summary>The Municipality extension on Patient.address: the CBS gemeentecode (four digits).</summary>
    public const string MunicipalityExtension = "https://ketenhub.nl/fhir/StructureDefinition/municipality-code";

    /// <summary>The code system of one of the hub's enums, for example <c>…/CodeSystem/service-kind</c>.</summary>
    /// <typeparam name="T">The generated enum.</typeparam>
    /// <returns>The system URL.</returns>
    public static string SystemOf<T>()
        where T : struct, Enum => EnumCodes<T>.System;

    /// <summary>The identifier system of a collection of the hub's ids, for example <c>{hub}/id/referrals</c>.</summary>
    /// <param name="hubBaseUrl">The hub's base address.</param>
    /// <param name="collection">The collection, for example <c>referrals</c>.</param>
    /// <returns>The system URL.</returns>
    public static string HubIdSystem(Uri hubBaseUrl, string collection)
    {
        var root = hubBaseUrl.AbsoluteUri;
        return root.EndsWith('/') ? root + "id/" + collection : root + "/id/" + collection;
    }
}

/// <summary>Maps one generated proto enum to codes in its hub code system and back.</summary>
internal static class EnumCodes<T>
    where T : struct, Enum
{
    public static readonly string System;
    private static readonly FrozenDictionary<T, string> ToCode;
    private static readonly FrozenDictionary<string, T> FromCode;

    static EnumCodes()
    {
        // The generated enum's proto name, e.g. ServiceKind → service-kind.
        System = FhirVocabulary.CodeSystemBase + Kebab(typeof(T).Name);
        var to = new Dictionary<T, string>();
        var from = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var value in Enum.GetValues<T>())
        {
            if (Convert.ToInt32(value, CultureInfo.InvariantCulture) == 0)
            {
                continue;
            }

            var code = Kebab(value.ToString());
            to[value] = code;
            from[code] = value;
        }

        ToCode = to.ToFrozenDictionary();
        FromCode = from.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public static IEnumerable<string> Codes => FromCode.Keys;

    public static string? Code(T value) => ToCode.TryGetValue(value, out var code) ? code : null;

    public static Coding? Coding(T value) => Code(value) is { } code ? new Coding(System, code) : null;

    public static bool TryParse(string? code, out T value) => FromCode.TryGetValue(code ?? string.Empty, out value);

    /// <summary>Finds this enum's coding in a concept; <see langword="null"/> if none has this system.</summary>
    public static Coding? Find(CodeableConcept? concept) => concept?.Coding.FirstOrDefault(c => c.System == System);

    private static string Kebab(string pascal)
    {
        var builder = new StringBuilder(pascal.Length + 8);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('-');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}

/// <summary>
/// The <c>urn:uuid</c> full URLs of one Bundle: derived from the delivery's name and the entry's position, so the same
/// delivery always gives the same URLs (and bytes), and entries of one Bundle never share one.
/// </summary>
internal sealed class FullUrls
{
    private readonly byte[] seed = new byte[16];
    private int next;

    public FullUrls(string deliveryName)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(deliveryName), hash);
        hash[..16].CopyTo(seed);
    }

    public string Next()
    {
        Span<byte> bytes = stackalloc byte[16];
        seed.CopyTo(bytes);
        var index = ++next;
        bytes[12] ^= (byte)(index >> 24);
        bytes[13] ^= (byte)(index >> 16);
        bytes[14] ^= (byte)(index >> 8);
        bytes[15] ^= (byte)index;
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8: custom, name-based
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        var guid = new Guid(bytes, bigEndian: true);
        return string.Create(45, guid, static (span, g) =>
        {
            "urn:uuid:".CopyTo(span);
            g.TryFormat(span[9..], out _, "D");
        });
    }
}

/// <summary>
/// The id of a resource the hub writes: a name-based UUID (version 8, SHA-256) of its type, identifier system and value, so
/// every Bundle that names the resource writes it at the same id, at every partner alike.
/// </summary>
public static class ResourceIds
{
    /// <summary>The id for a resource of <paramref name="type"/> with the hub identifier <paramref name="system"/>|<paramref name="value"/>.</summary>
    /// <param name="type">The resource type.</param>
    /// <param name="system">The identifier system.</param>
    /// <param name="value">The identifier value.</param>
    /// <returns>A lower-case UUID, valid as a FHIR id.</returns>
    public static string Of(string type, string system, string value)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(type + "\n" + system + "\n" + value), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8: custom, name-based
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true).ToString("D");
    }
}

/// <summary>
/// SNOMED CT codes a partner may use for a service instead of the hub's own code system, and the service each stands
/// for (docs/adapters.md, "SNOMED CT"). Only codes whose concept is certain are in it.
/// </summary>
public static class SnomedServices
{
    /// <summary>The SNOMED CT code system.</summary>
    public const string System = "http://snomed.info/sct";

    /// <summary>The mapping: SNOMED CT concept id to the hub's service.</summary>
    public static readonly IReadOnlyDictionary<string, Ketenhub.Contracts.V1.ServiceKind> Map = new Dictionary<string, Ketenhub.Contracts.V1.ServiceKind>(StringComparer.Ordinal)
    {
        // 310207003 |Sheltered housing (environment)|: the setting the client is referred to.
        ["310207003"] = Ketenhub.Contracts.V1.ServiceKind.ShelteredHousing,
    };

    /// <summary>The first SNOMED CT coding of <paramref name="concept"/>, or null.</summary>
    /// <param name="concept">The concept to look in.</param>
    /// <returns>The coding, or null.</returns>
    public static Coding? Find(CodeableConcept? concept) => concept?.Coding.FirstOrDefault(c => c.System == System);
}

/// <summary>The identifier systems under one hub base address, built once per address.</summary>
internal sealed class HubSystems
{
    private static readonly ConditionalWeakTable<Uri, HubSystems> Cache = [];
    private readonly ConcurrentDictionary<string, string> systems = new(StringComparer.Ordinal);
    private readonly Uri hubBaseUrl;

    private HubSystems(Uri hubBaseUrl) => this.hubBaseUrl = hubBaseUrl;

    public string this[string collection] => systems.GetOrAdd(collection, static (c, hub) => FhirVocabulary.HubIdSystem(hub, c), hubBaseUrl);

    public static HubSystems For(Uri hubBaseUrl) => Cache.GetValue(hubBaseUrl, static u => new HubSystems(u));
}

/// <summary>Hashes for ids derived from a partner's message.</summary>
internal static class StableUuid
{
    public static string Hex(string key, int bytes = 16)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return Convert.ToHexStringLower(hash[..bytes]);
    }
}
