using Ketenhub.Identity;

namespace Ketenhub.Web.Configuration;

/// <summary>How people sign in to the web app.</summary>
public enum SignInMode
{
    /// <summary>Microsoft Entra ID through Microsoft.Identity.Web (section <c>AzureAd</c>); the hub gets the person's access token for <see cref="WebOptions.HubScope"/>.</summary>
    EntraId = 0,

    /// <summary>Development only: pick one of the configured demo coaches; the app mints the development issuer's token for them.</summary>
    Development = 1,
}

/// <summary>The web app's settings (section <c>Web</c>), checked at start-up.</summary>
public sealed class WebOptions
{
    public const string Section = "Web";

    /// <summary>The hub's gRPC address, for example <c>https://hub.example.org</c>. Required.</summary>
    public Uri? HubAddress { get; set; }

    /// <summary>How people sign in. <value>The default value is <see cref="SignInMode.EntraId"/>.</value></summary>
    public SignInMode SignIn { get; set; } = SignInMode.EntraId;

    /// <summary>With Entra ID: the hub's scope to ask a person's access token for, for example <c>api://ketenhub/hub.access</c>.</summary>
    public string? HubScope { get; set; }

    /// <summary>The citizens' sign-in for clients; without it (outside Development) the client's pages are not offered.</summary>
    public CitizenSignInOptions Citizens { get; set; } = new();

    /// <summary>The development sign-in (Development only).</summary>
    public DevelopmentSignInOptions Development { get; set; } = new();

    /// <summary>The zone the pages show times in. <value>The default value is <c>Europe/Amsterdam</c>.</value></summary>
    public string TimeZone { get; set; } = "Europe/Amsterdam";
}

/// <summary>The development sign-in (section <c>Web:Development</c>): demo coaches and the key that signs their tokens.</summary>
public sealed class DevelopmentSignInOptions
{
    /// <summary>The development issuer's private key (PEM), the one the hub in Development trusts. <value>The default value is the user's development issuer key file.</value></summary>
    public string? KeyFile { get; set; }

    /// <summary>The tokens' issuer. <value>The default value is the development issuer's.</value></summary>
    public string Issuer { get; set; } = LocalTokens.DevelopmentIssuer;

    /// <summary>The tokens' audience. <value>The default value is the development issuer's.</value></summary>
    public string Audience { get; set; } = LocalTokens.DevelopmentAudience;

    /// <summary>The coaches one may sign in as.</summary>
    public IList<DevelopmentCoach> Coaches { get; } = [];

    /// <summary>The demo pilot monitors one may sign in as: a person of a party with the <c>monitor</c> role.</summary>
    public IList<DevelopmentMonitor> Monitors { get; } = [];

    /// <summary>The demo clients one may sign in as (each by a made-up BSN the demo hub knows).</summary>
    public IList<DevelopmentClient> Clients { get; } = [];

    /// <summary>The audience of the citizens' tokens the development sign-in mints. <value>The default value is the development issuer's citizens' audience.</value></summary>
    public string CitizenAudience { get; set; } = LocalTokens.DevelopmentCitizenAudience;
}

/// <summary>A demo pilot monitor of the development sign-in.</summary>
public sealed class DevelopmentMonitor
{
    /// <summary>The party the monitor works for (its id).</summary>
    public string Party { get; set; } = string.Empty;

    /// <summary>The name shown on the sign-in page.</summary>
    public string DisplayName { get; set; } = string.Empty;
}

/// <summary>A demo client of the development sign-in.</summary>
public sealed class DevelopmentClient
{
    /// <summary>The client's BSN (a made-up number that passes the elfproef).</summary>
    public string Bsn { get; set; } = string.Empty;

    /// <summary>The name shown on the sign-in page.</summary>
    public string DisplayName { get; set; } = string.Empty;
}

/// <summary>
/// The citizens' OpenID Connect provider for clients (section <c>Web:Citizens</c>; in the Netherlands a DigiD broker).
/// The app passes the provider's access token to the hub, which checks it itself (<c>Identity:Citizens</c>).
/// </summary>
public sealed class CitizenSignInOptions
{
    /// <summary>The provider's authority (its OpenID Connect metadata lives under it).</summary>
    public Uri? Authority { get; set; }

    /// <summary>The app's client id at the provider.</summary>
    public string? ClientId { get; set; }

    /// <summary>The app's client secret at the provider.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Extra scopes to ask for, besides <c>openid</c>.</summary>
    public IList<string> Scopes { get; } = [];

    /// <summary>Whether the provider's metadata must come over HTTPS. Only Development may turn it off (a local test provider). <value>The default value is true.</value></summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool IsConfigured => Authority is not null || !string.IsNullOrWhiteSpace(ClientId);
}

/// <summary>A coach of the development sign-in.</summary>
public sealed class DevelopmentCoach
{
    /// <summary>The party the coach works for (its id, for example <c>waakvlam-zorg</c>).</summary>
    public string Party { get; set; } = string.Empty;

    /// <summary>The coach's id at that party: the <c>coach_id</c> the hub knows the coach by.</summary>
    public string CoachId { get; set; } = string.Empty;

    /// <summary>The coach's name, shown on the sign-in page.</summary>
    public string DisplayName { get; set; } = string.Empty;
}
