namespace Ketenhub.Hub.Common;

/// <summary>
/// The catalogue of <c>ErrorInfo.reason</c> values the hub returns, published in docs/errors.md and in the contract as
/// <c>enum ErrorReason</c> (protos/ketenhub/v1/errors.proto). Tests check that the three list the same codes.
/// </summary>
public static class ErrorReasons
{
    /// <summary>The error domain in every <c>ErrorInfo</c>.</summary>
    public const string Domain = "ketenhub.nl";

    // Request shape
    public const string InvalidRequest = "INVALID_REQUEST";
    public const string RequestIdMissing = "REQUEST_ID_MISSING";
    public const string RequestIdReused = "REQUEST_ID_REUSED";
    public const string FieldRequired = "FIELD_REQUIRED";
    public const string FieldTooLong = "FIELD_TOO_LONG";
    public const string InvalidCharacters = "INVALID_CHARACTERS";
    public const string UnknownEnumValue = "UNKNOWN_ENUM_VALUE";
    public const string ValueOutOfRange = "VALUE_OUT_OF_RANGE";
    public const string InvalidFilter = "INVALID_FILTER";
    public const string InvalidOrderBy = "INVALID_ORDER_BY";
    public const string InvalidResourceName = "INVALID_RESOURCE_NAME";
    public const string UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";

    /// <summary>Sent by an outbound-only adapter (webhooks), which the hub cannot reference; listed here so the catalogue is whole.</summary>
    public const string InboundNotSupported = "INBOUND_NOT_SUPPORTED";

    // Dutch identifiers and dates
    public const string InvalidBsn = "INVALID_BSN";
    public const string InvalidBirthDate = "INVALID_BIRTH_DATE";
    public const string InvalidDate = "INVALID_DATE";
    public const string InvalidMunicipalityCode = "INVALID_MUNICIPALITY_CODE";
    public const string InvalidReasonCode = "INVALID_REASON_CODE";

    /// <summary>A request for a toewijzing whose requester or performer does not fit the standard's roles.</summary>
    public const string AllocationRequestInvalid = "ALLOCATION_REQUEST_INVALID";

    // Things that must exist
    public const string UnknownParty = "UNKNOWN_PARTY";
    public const string ClientNotFound = "CLIENT_NOT_FOUND";
    public const string ConsentNotFound = "CONSENT_NOT_FOUND";
    public const string ReferralNotFound = "REFERRAL_NOT_FOUND";
    public const string TransitionNotFound = "TRANSITION_NOT_FOUND";
    public const string SignalNotFound = "SIGNAL_NOT_FOUND";
    public const string DeliveryNotFound = "DELIVERY_NOT_FOUND";
    public const string RepresentativeNotFound = "REPRESENTATIVE_NOT_FOUND";

    /// <summary><c>GetParty</c> names a party the hub is not configured with. A field naming one is <see cref="UnknownParty"/>.</summary>
    public const string PartyNotFound = "PARTY_NOT_FOUND";

    /// <summary>A read of the FHIR endpoint's conformance resources names one the hub does not publish.</summary>
    public const string ConformanceResourceNotFound = "CONFORMANCE_RESOURCE_NOT_FOUND";

    // State and permission
    public const string IllegalReferralStep = "ILLEGAL_REFERRAL_STEP";
    public const string NotAPerformer = "NOT_A_PERFORMER";
    public const string NotTheRecipient = "NOT_THE_RECIPIENT";
    public const string NoRoleForClient = "NO_ROLE_FOR_CLIENT";
    public const string ConsentRequired = "CONSENT_REQUIRED";
    public const string ConsentNotWithdrawable = "CONSENT_ALREADY_WITHDRAWN";
    public const string EtagMismatch = "ETAG_MISMATCH";
    public const string ConsentNotConfirmable = "CONSENT_NOT_CONFIRMABLE";
    public const string GrantorNotAllowed = "GRANTOR_NOT_ALLOWED";
    public const string NoRepresentation = "NO_REPRESENTATION";
    public const string OutsideRepresentation = "OUTSIDE_REPRESENTATION";
    public const string DeliveryNotSetAside = "DELIVERY_NOT_SET_ASIDE";
    public const string DeliveryClosed = "DELIVERY_CLOSED";
    public const string NotASignalRecipient = "NOT_A_SIGNAL_RECIPIENT";
    public const string CoachPartyNotProvider = "COACH_PARTY_NOT_A_PROVIDER";
    public const string FirstCoachNotAllowed = "FIRST_COACH_NOT_ALLOWED";
    public const string SchoolNotCaller = "SCHOOL_NOT_CALLER";
    public const string ClientFactsMismatch = "CLIENT_FACTS_MISMATCH";
    public const string CallerUnknown = "CALLER_UNKNOWN";
    public const string AuditRoleRequired = "AUDIT_ROLE_REQUIRED";
    public const string AccessReportNotAllowed = "ACCESS_REPORT_NOT_ALLOWED";
    public const string TokenInvalid = "TOKEN_INVALID";
    public const string CallerMismatch = "CALLER_MISMATCH";
    public const string AdminRoleRequired = "ADMIN_ROLE_REQUIRED";
    public const string MonitorRoleRequired = "MONITOR_ROLE_REQUIRED";
    public const string ChannelMismatch = "CHANNEL_MISMATCH";
    public const string PrivacyOfficerRoleRequired = "PRIVACY_OFFICER_ROLE_REQUIRED";
    public const string LegalRetentionApplies = "LEGAL_RETENTION_APPLIES";
    public const string ClientErased = "CLIENT_ERASED";

    // Capacity
    public const string MessageTooLarge = "MESSAGE_TOO_LARGE";
    public const string MalformedMessage = "MALFORMED_MESSAGE";
    public const string RateLimited = "RATE_LIMITED";
    public const string CallTimedOut = "CALL_TIMED_OUT";
    public const string MethodNotFound = "METHOD_NOT_FOUND";
    public const string Cancelled = "CANCELLED";
    public const string BsnKeyUnavailable = "BSN_KEY_UNAVAILABLE";
    public const string StorageUnavailable = "STORAGE_UNAVAILABLE";
    public const string AuditUnavailable = "AUDIT_UNAVAILABLE";
    public const string Internal = "INTERNAL";
}

/// <summary>
/// The coded reasons of routing decisions (<c>RecipientDecision.reason</c>), also published in docs/errors.md.
/// </summary>
public static class DecisionReasons
{
    public const string ConsentActive = "CONSENT_ACTIVE";
    public const string LegalBasis = "LEGAL_BASIS";
    public const string NoConsent = "NO_CONSENT";
    public const string ConsentWithdrawn = "CONSENT_WITHDRAWN";
    public const string ParentConsentUnconfirmed = "PARENT_CONSENT_UNCONFIRMED";
    public const string ThinNoticeRule = "THIN_NOTICE_RULE";
    public const string HubTask = "HUB_TASK";
    public const string RecipientHasNoRole = "RECIPIENT_ROLE_ENDED";
    public const string ConsentExpired = "CONSENT_WAIT_EXPIRED";

    /// <summary>A rule names the social service of the client's municipality and none is configured for it. No recipient.</summary>
    public const string NoSocialService = "NO_SOCIAL_SERVICE";

    /// <summary>A rule names the wijkteam of the client's municipality and none is configured for it. No recipient.</summary>
    public const string NoWijkteam = "NO_WIJKTEAM";

    /// <summary>A social service or wijkteam named for a client of a municipality it does not serve gets nothing.</summary>
    public const string NotServingMunicipality = "NOT_SERVING_MUNICIPALITY";

    /// <summary>A finding: the client has an open referral for the same service (one client, one plan).</summary>
    public const string OpenReferralExists = "OPEN_REFERRAL_EXISTS";

    /// <summary>A referral declined as a duplicate ("already in care"): a notice to the requester of the open one.</summary>
    public const string DuplicateReferralDeclined = "DUPLICATE_REFERRAL_DECLINED";

    /// <summary>A rule gives the recipient a content-free notice only (for example the old municipality after a move).</summary>
    public const string NoticeRule = "NOTICE_RULE";
}
