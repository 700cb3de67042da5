using System.Globalization;
using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>Opaque page tokens: a base64 position. A token that does not decode is INVALID_ARGUMENT.</summary>
public static class PageTokens
{
    public static string Encode(long position) =>
        System.Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("p" + position.ToString(CultureInfo.InvariantCulture)));

    public static int Decode(string? token) => (int)Math.Min(DecodeLong(token), int.MaxValue);

    public static long DecodeLong(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        try
        {
            var text = System.Text.Encoding.ASCII.GetString(System.Convert.FromBase64String(token));
            if (text.StartsWith('p') && long.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position >= 0)
            {
                return position;
            }
        }
        catch (FormatException)
        {
        }

        throw HubException.Invalid(ErrorReasons.InvalidRequest, "page_token", "page_token is not a token this hub issued.");
    }
}
