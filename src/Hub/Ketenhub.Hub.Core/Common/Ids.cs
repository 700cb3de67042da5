using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ketenhub.Hub.Common;

/// <summary>Resource ids: a short prefix and a time-ordered GUID (version 7, RFC 9562) in compact form.</summary>
public static class Ids
{
    private const int RandomBlock = 1024;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_used;

    /// <summary>
    /// A new id: <paramref name="prefix"/>, an underscore and 32 hex digits of a version 7 GUID (48-bit Unix
    /// milliseconds, then 74 random bits).
    /// </summary>
    /// <remarks>
    /// The random bits come from the cryptographic generator, drawn a block at a time per thread: on Linux
    /// <see cref="Guid.NewGuid"/> reads the kernel's random device once per GUID, a system call that cost the
    /// store's writer thread several microseconds for every id it made.
    /// </remarks>
    public static string New(string prefix, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(time);
        Span<byte> bytes = stackalloc byte[16];
        NextRandom(bytes[6..]);
        var milliseconds = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (milliseconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(time), "The clock is before 1970.");
        }

        BinaryPrimitives.WriteInt64BigEndian(bytes[..8], milliseconds << 16 | (long)bytes[6] << 8 | bytes[7]);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F)); // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // variant 10xx
        return prefix + "_" + new Guid(bytes, bigEndian: true).ToString("N");
    }

    /// <summary>Parses <c>collection/id</c>; returns null when the name does not have that form.</summary>
    public static string? Parse(string? name, string collection)
    {
        if (string.IsNullOrEmpty(name) || !name.StartsWith(collection + "/", StringComparison.Ordinal))
        {
            return null;
        }

        var id = name[(collection.Length + 1)..];
        if (id.Length is 0 or > 64)
        {
            return null;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return null;
            }
        }

        return id;
    }

    /// <summary>Parses a required resource name or throws an INVALID_RESOURCE_NAME error for the field.</summary>
    public static string Require(string? name, string collection, string field)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw HubException.Invalid(ErrorReasons.FieldRequired, field, $"{field} is required.");
        }

        return Parse(name, collection)
            ?? throw HubException.Invalid(ErrorReasons.InvalidResourceName, field, $"{field} must have the form {collection}/{{id}}.", ("expectedForm", collection + "/{id}"));
    }

    private static void NextRandom(Span<byte> destination)
    {
        var block = t_random;
        if (block is null || t_used + destination.Length > block.Length)
        {
            block = t_random ??= new byte[RandomBlock];
            RandomNumberGenerator.Fill(block);
            t_used = 0;
        }

        block.AsSpan(t_used, destination.Length).CopyTo(destination);
        block.AsSpan(t_used, destination.Length).Clear();
        t_used += destination.Length;
    }
}
