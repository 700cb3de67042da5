using System.Globalization;
using System.Security.Cryptography;

namespace Ketenhub.Testing;

/// <summary>Fresh nine-digit numbers that pass the elfproef.</summary>
public static class Bsns
{
    private static int _seed = RandomNumberGenerator.GetInt32(10_000_000, 90_000_000);

    /// <summary>The next number from a random start, so tests that share a hub process do not collide.</summary>
    public static string Next() => Next(ref _seed);

    /// <summary>The next number after <paramref name="seed"/> (advanced, thread-safely) that passes the elfproef.</summary>
    public static string Next(ref int seed)
    {
        while (true)
        {
            var digits = Interlocked.Increment(ref seed).ToString("D8", CultureInfo.InvariantCulture);
            var sum = 0;
            for (var i = 0; i < 8; i++)
            {
                sum += (9 - i) * (digits[i] - '0');
            }

            var check = sum % 11;
            if (check < 10)
            {
                return digits + (char)('0' + check);
            }
        }
    }
}
