using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Ketenhub.Contracts;

namespace Ketenhub.Client.Transport;

/// <summary>Builds the one gRPC channel a client uses: TLS and client certificate, tokens, the development header, and retries.</summary>
internal static class HubChannel
{
    /// <summary>The largest request the SDK sends (the hub accepts up to 6 MiB).</summary>
    private const int MaxSendMessageSize = 6 * 1024 * 1024;

    public static GrpcChannel Create(KetenhubClientOptions options, IKetenhubTokenProvider? tokenProvider, HttpMessageHandler? handler = null)
    {
        var address = options.Address ?? throw new InvalidOperationException("Ketenhub:Address is not set.");
#pragma warning disable CA2000 // The channel owns the handler once made (DisposeHttpClient); disposed below if it is not.
        var httpHandler = handler ?? options.HttpHandlerFactory?.Invoke() ?? CreateHandler(options);
#pragma warning restore CA2000
        try
        {
            return Create(address, options, tokenProvider, httpHandler);
        }
        catch
        {
            httpHandler.Dispose();
            throw;
        }
    }

    private static GrpcChannel Create(Uri address, KetenhubClientOptions options, IKetenhubTokenProvider? tokenProvider, HttpMessageHandler httpHandler)
    {
        var channelOptions = new GrpcChannelOptions
        {
            // The channel owns the handler from here on and disposes it with itself.
            HttpHandler = httpHandler,
            DisposeHttpClient = true,
            ServiceConfig = ServiceConfigOf(options.Retry),
            MaxRetryAttempts = Math.Max(1, options.Retry.MaxAttempts),
            MaxReceiveMessageSize = options.MaxReceiveMessageSize,
            MaxSendMessageSize = MaxSendMessageSize,
            ThrowOperationCanceledOnCancellation = true,
        };
        if (tokenProvider is not null)
        {
            var credentials = CallCredentials.FromInterceptor(async (context, metadata) =>
            {
                var token = await tokenProvider.GetTokenAsync(context.CancellationToken).ConfigureAwait(false);
                metadata.Add("authorization", "Bearer " + token);
            });
            var secure = string.Equals(address.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase);
            channelOptions.Credentials = ChannelCredentials.Create(secure ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, credentials);
            channelOptions.UnsafeUseInsecureChannelCallCredentials = !secure;
        }

        return GrpcChannel.ForAddress(address, channelOptions);
    }

    public static CallInvoker Invoker(GrpcChannel channel, KetenhubClientOptions options)
    {
        var invoker = channel.CreateCallInvoker();
        if (string.IsNullOrEmpty(options.DevelopmentParty))
        {
            return invoker;
        }

        var party = options.DevelopmentParty;
        return invoker.Intercept(metadata =>
        {
            metadata.Add(DevelopmentHeaders.Party, party);
            return metadata;
        });
    }

    public static ServiceConfig ServiceConfigOf(KetenhubRetryOptions retry)
    {
        var config = new ServiceConfig
        {
            RetryThrottling = new RetryThrottlingPolicy { MaxTokens = retry.BudgetMaxTokens, TokenRatio = retry.BudgetTokenRatio },
        };
        if (retry.MaxAttempts < 2)
        {
            return config;
        }

        var policy = new RetryPolicy
        {
            MaxAttempts = retry.MaxAttempts,
            InitialBackoff = retry.InitialBackoff,
            MaxBackoff = retry.MaxBackoff,
            BackoffMultiplier = retry.BackoffMultiplier,
        };
        var codes = retry.RetryableStatusCodes.Count == 0 ? [StatusCode.Unavailable] : retry.RetryableStatusCodes;
        foreach (var code in codes.Distinct())
        {
            policy.RetryableStatusCodes.Add(code);
        }

        config.MethodConfigs.Add(new MethodConfig { Names = { MethodName.Default }, RetryPolicy = policy });
        return config;
    }

    public static SocketsHttpHandler CreateHandler(KetenhubClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            AutomaticDecompression = DecompressionMethods.None,
        };
        var certificate = Certificates.LoadClientCertificate(options);
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { certificate };
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        var roots = Certificates.LoadTrustedRoots(options);
        if (roots.Count > 0)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, remote, _, errors) => Certificates.ChainsTo(remote, errors, roots);
        }

        return handler;
    }
}
