using System.Globalization;
using System.Security.Cryptography;

namespace Ketenhub.Testing;

/// <summary>Fresh nine-digit numbers that pass the elfproef, from a random start, so tests that share a hub process do not collide.</summary>
public static class Bsns
{
    private static int _seed = RandomNumberGenerator.GetInt32(10_000_000, 90_000_000);

    public static string Next()
    {
        while (true)
        {
            var seed = Interlocked.Increment(ref _seed).ToString("D8", CultureInfo.InvariantCulture);
            var sum = 0;
            for (var i = 0; i < 8; i++)
            {
                sum += (9 - i) * (seed[i] - '0');
            }

            var check = sum % 11;
            if (check < 10)
            {
                return seed + (char)('0' + check);
            }
        }
    }
}
