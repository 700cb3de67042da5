namespace Ketenhub.Adapters.IWmo;

/// <summary>The BSN check every iStandaard applies: nine digits, 9·d1 + 8·d2 + … + 2·d8 − d9 divisible by 11.</summary>
public static class Elfproef
{
    /// <summary>Whether <paramref name="bsn"/> is nine digits that pass the elfproef (and are not all zeros).</summary>
    public static bool IsValidBsn(string? bsn)
    {
        if (bsn is not { Length: 9 })
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            var c = bsn[i];
            if (c is < '0' or > '9')
            {
                return false;
            }

            sum += (i == 8 ? -1 : 9 - i) * (c - '0');
        }

        return sum != 0 && sum % 11 == 0;
    }
}
