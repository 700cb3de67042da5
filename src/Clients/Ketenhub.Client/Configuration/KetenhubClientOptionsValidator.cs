using System.Net;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Ketenhub.Client.Configuration;

/// <summary>Checks the client options at start-up, naming each setting that is wrong.</summary>
internal sealed class KetenhubClientOptionsValidator(IEnumerable<IKetenhubTokenProvider> registeredTokenProviders) : IValidateOptions<KetenhubClientOptions>
{
    public ValidateOptionsResult Validate(string? name, KetenhubClientOptions options)
    {
        var problems = Check(options, registeredTokenProviders.Any());
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static List<string> Check(KetenhubClientOptions options, bool tokenProviderRegistered)
    {
        var problems = new List<string>();
        var address = options.Address;
        var secure = false;
        if (address is null)
        {
            problems.Add("Ketenhub:Address is required (for example https://hub.example.nl).");
        }
        else if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttps && address.Scheme != Uri.UriSchemeHttp))
        {
            problems.Add("Ketenhub:Address must be an absolute http:// or https:// address.");
        }
        else
        {
            secure = address.Scheme == Uri.UriSchemeHttps;
        }

        var hasCertificate = options.ClientCertificate is not null || !string.IsNullOrEmpty(options.ClientCertificatePath);
        var hasToken = options.TokenProvider is not null || tokenProviderRegistered;
        var hasParty = !string.IsNullOrEmpty(options.DevelopmentParty);
        if (!hasCertificate && !hasToken && !hasParty)
        {
            problems.Add("Ketenhub needs an identity: a client certificate (Ketenhub:ClientCertificatePath), a token provider, or, in development, Ketenhub:DevelopmentParty.");
        }

        if (hasParty && !IsPartyId(options.DevelopmentParty!))
        {
            problems.Add("Ketenhub:DevelopmentParty must be a party id of 1 to 64 letters, digits, '-' or '_' (for example vso-hanspetri).");
        }

        if (hasCertificate && address is not null && !secure)
        {
            problems.Add("Ketenhub:ClientCertificatePath needs an https:// Ketenhub:Address (a certificate is presented only in a TLS handshake).");
        }

        if (options.ClientCertificate is null && !string.IsNullOrEmpty(options.ClientCertificatePath))
        {
            if (!File.Exists(options.ClientCertificatePath))
            {
                problems.Add("Ketenhub:ClientCertificatePath names a file that does not exist.");
            }

            if (!string.IsNullOrEmpty(options.ClientCertificateKeyPath) && !File.Exists(options.ClientCertificateKeyPath))
            {
                problems.Add("Ketenhub:ClientCertificateKeyPath names a file that does not exist.");
            }
        }
        else if (options.ClientCertificate is { HasPrivateKey: false })
        {
            problems.Add("Ketenhub:ClientCertificate has no private key, so it cannot be presented.");
        }

        if (!string.IsNullOrEmpty(options.TrustedRootCertificatePath) && !File.Exists(options.TrustedRootCertificatePath))
        {
            problems.Add("Ketenhub:TrustedRootCertificatePath names a file that does not exist.");
        }

        if (hasToken && address is not null && !secure && !IsLoopback(address))
        {
            problems.Add("A token provider needs an https:// Ketenhub:Address; tokens go over plain http only to a loopback address.");
        }

        if (options.DefaultDeadline <= TimeSpan.Zero || options.DefaultDeadline > TimeSpan.FromDays(1))
        {
            problems.Add("Ketenhub:DefaultDeadline must be more than zero and at most one day.");
        }

        if (options.KeepAlivePingDelay <= TimeSpan.Zero || options.KeepAlivePingTimeout <= TimeSpan.Zero)
        {
            problems.Add("Ketenhub:KeepAlivePingDelay and Ketenhub:KeepAlivePingTimeout must be more than zero.");
        }

        if (options.MaxReceiveMessageSize < 1024)
        {
            problems.Add("Ketenhub:MaxReceiveMessageSize must be at least 1024 bytes.");
        }

        var retry = options.Retry;
        if (retry is null)
        {
            problems.Add("Ketenhub:Retry is required.");
            return problems;
        }

        if (retry.MaxAttempts is < 1 or > 5)
        {
            problems.Add("Ketenhub:Retry:MaxAttempts must be 1 (no retries) to 5.");
        }

        if (retry.InitialBackoff <= TimeSpan.Zero || retry.MaxBackoff < retry.InitialBackoff)
        {
            problems.Add("Ketenhub:Retry:InitialBackoff must be more than zero and Ketenhub:Retry:MaxBackoff at least as long.");
        }

        if (!(retry.BackoffMultiplier >= 1) || double.IsInfinity(retry.BackoffMultiplier))
        {
            problems.Add("Ketenhub:Retry:BackoffMultiplier must be 1 or more.");
        }

        if (retry.RetryableStatusCodes.Any(c => c == StatusCode.OK))
        {
            problems.Add("Ketenhub:Retry:RetryableStatusCodes cannot hold OK.");
        }

        if (retry.BudgetMaxTokens is < 1 or > 1000 || !(retry.BudgetTokenRatio > 0) || retry.BudgetTokenRatio > 1000)
        {
            problems.Add("Ketenhub:Retry:BudgetMaxTokens must be 1 to 1000 and Ketenhub:Retry:BudgetTokenRatio more than zero.");
        }

        return problems;
    }

    private static bool IsPartyId(string id) =>
        id.Length is >= 1 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static bool IsLoopback(Uri address) =>
        address.IsLoopback || (IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}

/// <summary>Checks the consumer options.</summary>
internal sealed class KetenhubDeliveryConsumerOptionsValidator : IValidateOptions<KetenhubDeliveryConsumerOptions>
{
    public ValidateOptionsResult Validate(string? name, KetenhubDeliveryConsumerOptions options)
    {
        var problems = Check(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static List<string> Check(KetenhubDeliveryConsumerOptions options)
    {
        var problems = new List<string>();
        if (options.StartAfterSequence < 0)
        {
            problems.Add("Ketenhub:Consumer:StartAfterSequence cannot be negative.");
        }

        if (options.InitialBackoff <= TimeSpan.Zero || options.MaxBackoff < options.InitialBackoff)
        {
            problems.Add("Ketenhub:Consumer:InitialBackoff must be more than zero and Ketenhub:Consumer:MaxBackoff at least as long.");
        }

        if (options.MaxOutstanding is < 0 or > 1000)
        {
            problems.Add("Ketenhub:Consumer:MaxOutstanding must lie between 1 and 1000 (0 for the hub's default).");
        }

        if (options.AckDeadline is { } deadline && (deadline < TimeSpan.FromSeconds(1) || deadline > TimeSpan.FromHours(1)))
        {
            problems.Add("Ketenhub:Consumer:AckDeadline must lie between 1 second and 1 hour (unset for the hub's default).");
        }

        var code = options.RejectReasonCode;
        if (string.IsNullOrEmpty(code) || code.Length > 64 || code.Any(c => c is < '!' or > '~'))
        {
            problems.Add("Ketenhub:Consumer:RejectReasonCode must be 1 to 64 printable ASCII characters without spaces.");
        }

        return problems;
    }
}
