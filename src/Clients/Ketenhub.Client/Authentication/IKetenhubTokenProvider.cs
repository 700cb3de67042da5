namespace Ketenhub.Client;

/// <summary>
/// Supplies the bearer token the SDK sends with every call (<c>authorization: Bearer …</c>). Implementations
/// cache and renew tokens themselves; the SDK asks for a token before each attempt.
/// </summary>
public interface IKetenhubTokenProvider
{
    /// <summary>Returns a valid access token, without the <c>Bearer</c> prefix.</summary>
    /// <param name="cancellationToken">Cancels the wait for a token.</param>
    /// <returns>The token.</returns>
    ValueTask<string> GetTokenAsync(CancellationToken cancellationToken);
}

/// <summary>Ready-made token providers.</summary>
public static class KetenhubTokenProvider
{
    /// <summary>A provider that asks the given function for every token.</summary>
    /// <param name="getToken">Returns a valid access token, without the <c>Bearer</c> prefix.</param>
    /// <returns>The provider.</returns>
    public static IKetenhubTokenProvider FromDelegate(Func<CancellationToken, ValueTask<string>> getToken)
    {
        ArgumentNullException.ThrowIfNull(getToken);
        return new DelegateTokenProvider(getToken);
    }

    private sealed class DelegateTokenProvider(Func<CancellationToken, ValueTask<string>> getToken) : IKetenhubTokenProvider
    {
        public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) => getToken(cancellationToken);
    }
}
