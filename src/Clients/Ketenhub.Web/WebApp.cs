using System.Security.Claims;
using Ketenhub.Client;
using Ketenhub.Web.Configuration;
using Ketenhub.Web.Identity;
using Ketenhub.Web.Logging;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace Ketenhub.Web;

/// <summary>
/// The web app: Razor Pages in Dutch, every page behind sign-in, and one SDK client to the hub whose token is always
/// the signed-in person's (<see cref="IHubUserTokens"/>).
/// </summary>
public static class WebApp
{
    /// <summary>
    /// Builds the app from its arguments and configuration; <paramref name="configure"/> may add settings or services
    /// first, and <paramref name="contentRoot"/> names the folder holding <c>wwwroot</c> when the app is hosted by another
    /// program (tests do both).
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, string? contentRoot = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(WebApp).Assembly.GetName().Name,
            ContentRootPath = contentRoot,
        });
        configure?.Invoke(builder);
        WebLogs.UseJsonOutsideDevelopment(builder);
        var services = builder.Services;

        services.AddOptions<WebOptions>().Bind(builder.Configuration.GetSection(WebOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebOptions>, WebOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();

        var mode = builder.Configuration.GetSection(WebOptions.Section).GetValue(nameof(WebOptions.SignIn), SignInMode.EntraId);
        if (mode == SignInMode.Development)
        {
            services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(ConfigureCookie);
            services.AddSingleton<IHubUserTokens, DevelopmentHubUserTokens>();
        }
        else
        {
            var scope = builder.Configuration[WebOptions.Section + ":" + nameof(WebOptions.HubScope)] ?? string.Empty;
            services.AddAuthentication(OpenIdConnectDefaults.AuthenticationScheme)
                .AddMicrosoftIdentityWebApp(builder.Configuration.GetSection("AzureAd"))
                .EnableTokenAcquisitionToCallDownstreamApi([scope])
                .AddInMemoryTokenCaches();
            services.Configure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, ConfigureCookie);

            // Who is signed in comes from the app's cookie, whichever provider signed them in (an OpenID Connect scheme
            // accepts only its own sign-ins); someone who is not signed in goes to /inloggen to choose coach or client.
            services.Configure<AuthenticationOptions>(options =>
            {
                options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                options.DefaultChallengeScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            });
            services.Configure<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme, oidc => MarkKind(oidc, SignInClaims.Coach));
            var citizens = builder.Configuration.GetSection(WebOptions.Section + ":Citizens").Get<CitizenSignInOptions>() ?? new CitizenSignInOptions();
            if (citizens.IsConfigured)
            {
                services.AddAuthentication().AddOpenIdConnect(ProductionHubUserTokens.CitizenScheme, oidc =>
                {
                    oidc.Authority = citizens.Authority?.ToString();
                    oidc.ClientId = citizens.ClientId;
                    oidc.ClientSecret = citizens.ClientSecret;
                    oidc.ResponseType = "code";
                    oidc.UsePkce = true;
                    oidc.SaveTokens = true;
                    oidc.CallbackPath = "/signin-citizens";
                    oidc.RequireHttpsMetadata = citizens.RequireHttpsMetadata;
                    oidc.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                    foreach (var extra in citizens.Scopes)
                    {
                        oidc.Scope.Add(extra);
                    }

                    MarkKind(oidc, SignInClaims.Client);
                });
            }

            services.AddScoped<IHubUserTokens, ProductionHubUserTokens>();
        }

        services.AddAuthorization(options =>
        {
            options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
            options.AddPolicy(SignInClaims.CoachPolicy, policy => policy.RequireClaim(SignInClaims.Kind, SignInClaims.Coach));
            options.AddPolicy(SignInClaims.ClientPolicy, policy => policy.RequireClaim(SignInClaims.Kind, SignInClaims.Client));
            options.AddPolicy(SignInClaims.MonitorPolicy, policy => policy.RequireClaim(SignInClaims.Kind, SignInClaims.Monitor));
        });
        services.AddRazorPages(options =>
        {
            options.Conventions.AllowAnonymousToPage("/Account/SignIn");
            options.Conventions.AllowAnonymousToPage("/Account/AccessDenied");
            options.Conventions.AllowAnonymousToPage("/Error");
            options.Conventions.AuthorizeFolder("/Coach", SignInClaims.CoachPolicy);
            options.Conventions.AuthorizeFolder("/Own", SignInClaims.ClientPolicy);
            options.Conventions.AuthorizeFolder("/Monitoring", SignInClaims.MonitorPolicy);
        });
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<WebOptions>>().Value;
            var accessor = sp.GetRequiredService<IHttpContextAccessor>();
            var tokens = KetenhubTokenProvider.FromDelegate(cancellationToken =>
            {
                var context = accessor.HttpContext ?? throw new InvalidOperationException("A hub call outside a request has no person to call for.");
                return context.RequestServices.GetRequiredService<IHubUserTokens>().GetAsync(context, cancellationToken);
            });
            return new KetenhubClient(new KetenhubClientOptions { Address = options.HubAddress, TokenProvider = tokens }, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton(sp => WebOptionsValidator.TimeZoneInfoOrNull(sp.GetRequiredService<IOptions<WebOptions>>().Value.TimeZone) ?? TimeZoneInfo.Utc);

        var app = builder.Build();
        app.Use(WebLogs.ScopeAsync);
        app.UseExceptionHandler("/Error");
        app.UseStatusCodePagesWithReExecute("/Error", "?status={0}");
        // Sign-in forms post to the app, which redirects to the identity providers: form-action must allow those origins.
        var formTargets = new List<string> { "'self'" };
        if (mode != SignInMode.Development)
        {
            foreach (var authority in new[] { builder.Configuration["AzureAd:Instance"], builder.Configuration[WebOptions.Section + ":Citizens:Authority"] })
            {
                if (Uri.TryCreate(authority, UriKind.Absolute, out var uri))
                {
                    formTargets.Add(uri.GetLeftPart(UriPartial.Authority));
                }
            }
        }

        var contentSecurityPolicy = $"default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action {string.Join(' ', formTargets)}; frame-ancestors 'none'";
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = contentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            await next(context).ConfigureAwait(false);
        });
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        app.MapPost("/uitloggen", async context =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);
            if (mode != SignInMode.Development && !SignInClaims.IsClient(context.User))
            {
                await context.SignOutAsync(OpenIdConnectDefaults.AuthenticationScheme).ConfigureAwait(false);
                return;
            }

            context.Response.Redirect("/inloggen");
        });
        return app;
    }

    private static void ConfigureCookie(CookieAuthenticationOptions cookie)
    {
        cookie.LoginPath = "/inloggen";
        cookie.LogoutPath = "/uitloggen";
        cookie.AccessDeniedPath = "/geen-toegang";
        cookie.Cookie.Name = "ketenhub-web";
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SameSite = SameSiteMode.Lax;
        cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
    }

    /// <summary>Marks whoever signs in through <paramref name="oidc"/> as a coach or a client, for the pages' policies.</summary>
    private static void MarkKind(OpenIdConnectOptions oidc, string kind)
    {
        var earlier = oidc.Events.OnTokenValidated;
        oidc.Events.OnTokenValidated = async context =>
        {
            await earlier(context).ConfigureAwait(false);
            if (context.Principal?.Identity is ClaimsIdentity identity)
            {
                identity.AddClaim(new Claim(SignInClaims.Kind, kind));

                // A coach's organisation may give a person the monitor role (an app role): the pilot monitor's page.
                if (kind == SignInClaims.Coach && identity.HasClaim(c => c.Type is "roles" or ClaimTypes.Role && c.Value == SignInClaims.Monitor))
                {
                    identity.AddClaim(new Claim(SignInClaims.Kind, SignInClaims.Monitor));
                }
            }
        };
    }
}
