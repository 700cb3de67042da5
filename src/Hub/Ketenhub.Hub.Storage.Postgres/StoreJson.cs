using System.Text.Json.Serialization;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;

namespace Ketenhub.Hub.Storage.Postgres;

/// <summary>
/// The JSON form of stored entity bodies, source generated. Enumerations are written by name; computed
/// (get-only) properties such as <c>Name</c> are not stored.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    IgnoreReadOnlyProperties = true,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ClientRecord))]
[JsonSerializable(typeof(ClientRole))]
[JsonSerializable(typeof(CoachAssignment))]
[JsonSerializable(typeof(ConsentRecord))]
[JsonSerializable(typeof(ReferralRecord))]
[JsonSerializable(typeof(TransitionRecord))]
[JsonSerializable(typeof(SignalRecord))]
[JsonSerializable(typeof(DeliveryRecord))]
[JsonSerializable(typeof(JourneyEvent))]
internal sealed partial class StoreJson : JsonSerializerContext;
