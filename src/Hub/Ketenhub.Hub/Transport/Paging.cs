namespace Ketenhub.Hub.Host.Transport;

/// <summary>Pages of a list the hub holds whole (consents of a client, parties): offsets, sizes and the next offset.</summary>
public static class Paging
{
    /// <summary>The default and the largest page.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>The page from <paramref name="offset"/>, at most <paramref name="pageSize"/> long (0: the default), and the offset after it, if any.</summary>
    public static (IReadOnlyList<T> Page, long? Next) Page<T>(IReadOnlyList<T> items, int pageSize, int offset)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (pageSize < 0)
        {
            throw Common.HubException.Invalid(Common.ErrorReasons.InvalidRequest, "page_size", "page_size must not be negative.");
        }

        var size = Size(pageSize, MaxPageSize);
        var page = items.Skip(offset).Take(size).ToList();
        long? next = offset + page.Count < items.Count ? offset + page.Count : null;
        return (page, next);
    }

    /// <summary>The page size a request asks for: <paramref name="defaultSize"/> for 0, at most <see cref="MaxPageSize"/>; a negative size is refused.</summary>
    public static int Size(int pageSize, int defaultSize)
    {
        if (pageSize < 0)
        {
            throw Common.HubException.Invalid(Common.ErrorReasons.InvalidRequest, "page_size", "page_size must not be negative.");
        }

        return pageSize == 0 ? defaultSize : Math.Min(pageSize, MaxPageSize);
    }
}
