using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// Opaque, tamper-evident page tokens: a position in a listing, bound to the list method and the caller that got it, and
/// signed with HMAC-SHA-256 under a key derived from <c>Hub:PseudonymKey</c>. A token that was altered, made up, or
/// issued for another list or another caller is <c>INVALID_ARGUMENT</c> on <c>page_token</c>; nothing about the
/// position can be read from it without the key. Form: <c>v1.{position}.{tag}</c> in base64url.
/// </summary>
public sealed class PageTokens
{
    private const int TagBytes = 16;
    private readonly byte[] _key;

    public PageTokens(byte[] pseudonymKey)
    {
        ArgumentNullException.ThrowIfNull(pseudonymKey);
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, pseudonymKey, 32, salt: [], info: Encoding.ASCII.GetBytes("ketenhub/page-token/v1"));
    }

    /// <summary>The token for <paramref name="position"/> in <paramref name="list"/> (the method's name) for <paramref name="caller"/>.</summary>
    public string Encode(string list, string caller, long position)
    {
        var text = "v1." + position.ToString(CultureInfo.InvariantCulture) + "." + Base64Url.EncodeToString(Tag(list, caller, position));
        return Base64Url.EncodeToString(Encoding.ASCII.GetBytes(text));
    }

    /// <summary>The position a token names; 0 for no token.</summary>
    public long Decode(string list, string caller, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(token)).Split('.');
            if (parts is ["v1", var number, var tag]
                && long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var position)
                && CryptographicOperations.FixedTimeEquals(Base64Url.DecodeFromChars(tag), Tag(list, caller, position)))
            {
                return position;
            }
        }
        catch (FormatException)
        {
        }

        throw HubException.Invalid(ErrorReasons.InvalidRequest, "page_token", "page_token is not a token this hub issued for this list and caller.");
    }

    /// <summary>The token for a position in a list ordered by create time and id, for <paramref name="caller"/>.</summary>
    public string Encode(string list, string caller, MessagePosition position)
    {
        ArgumentNullException.ThrowIfNull(position);
        var text = "v1.m" + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(PositionText(position))) + "." + Base64Url.EncodeToString(Tag(list, caller, PositionText(position)));
        return Base64Url.EncodeToString(Encoding.ASCII.GetBytes(text));
    }

    /// <summary>The create-time-and-id position a token names; null for no token.</summary>
    public MessagePosition? DecodePosition(string list, string caller, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(token)).Split('.');
            if (parts is ["v1", var encoded, var tag] && encoded.StartsWith('m'))
            {
                var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(encoded.AsSpan(1)));
                var colon = text.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0
                    && CryptographicOperations.FixedTimeEquals(Base64Url.DecodeFromChars(tag), Tag(list, caller, text))
                    && long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
                {
                    return new MessagePosition(new DateTimeOffset(ticks, TimeSpan.Zero), text[(colon + 1)..]);
                }
            }
        }
        catch (FormatException)
        {
        }

        throw HubException.Invalid(ErrorReasons.InvalidRequest, "page_token", "page_token is not a token this hub issued for this list and caller.");
    }

    private static string PositionText(MessagePosition position) =>
        position.CreateTime.UtcTicks.ToString(CultureInfo.InvariantCulture) + ":" + position.MessageId;

    /// <summary>As <see cref="Decode"/>, for positions that are offsets into a list.</summary>
    public int DecodeOffset(string list, string caller, string? token) => (int)Math.Min(Decode(list, caller, token), int.MaxValue);

    private byte[] Tag(string list, string caller, long position) => Tag(list, caller, position.ToString(CultureInfo.InvariantCulture));

    private byte[] Tag(string list, string caller, string position)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{list}\n{caller}\n{position}"));
        return mac[..TagBytes];
    }
}
