namespace Ketenhub.Hub.Monitoring;

/// <summary>Why a published count is not shown.</summary>
public enum Suppression
{
    /// <summary>Shown.</summary>
    None = 0,

    /// <summary>Fewer than the minimum cell size (counts or distinct clients), and not zero.</summary>
    SmallCount = 1,

    /// <summary>Large enough by itself, but hidden so that a small cell of the same sum cannot be derived by subtraction.</summary>
    Complementary = 2,
}

/// <summary>A count as the report publishes it: its value only when <see cref="Suppression"/> is <see cref="Suppression.None"/>.</summary>
public sealed record PilotCount(long Value, Suppression Suppression)
{
    public bool Suppressed => Suppression != Suppression.None;

    public static PilotCount Shown(long value) => new(value, Suppression.None);

    /// <summary>A suppressed count: the value is never carried.</summary>
    public static PilotCount Hidden(Suppression why) => new(0, why);
}

/// <summary>
/// The small-cell rule (docs/monitor.md, "Privacy"). Cells are counted with the clients behind them; sums between cells
/// are declared as relations (<see cref="Relation"/>). A cell that is not zero and below the minimum cell size (in counts or
/// in distinct clients) is suppressed; then, until nothing changes, every relation with exactly one hidden cell gets
/// another one hidden (the smallest cell that is not a total), so no hidden cell can be found by subtracting the shown ones.
/// A cell that is counted but never published (the signals that were not acknowledged, say) is hidden when it is small:
/// it is known to the reader only through a relation, so such a relation needs a second hidden cell as well.
/// </summary>
public sealed class SmallCells(int minimumCellSize)
{
    private readonly Dictionary<string, Cell> _cells = new(StringComparer.Ordinal);
    private readonly List<(IReadOnlyList<string> Plus, IReadOnlyList<string> Minus)> _relations = [];

    public int MinimumCellSize { get; } = minimumCellSize >= 1 ? minimumCellSize : throw new ArgumentOutOfRangeException(nameof(minimumCellSize));

    /// <summary>Declares a cell (so that it exists with zero when nothing is counted).</summary>
    /// <param name="key">The cell's key.</param>
    /// <param name="published">False for a cell the report does not show, but a reader can derive from a relation.</param>
    /// <param name="total">A total of other cells: hidden as a complement only when no part can be.</param>
    public void Declare(string key, bool published = true, bool total = false)
    {
        if (!_cells.TryGetValue(key, out var cell))
        {
            _cells[key] = new Cell(published, total);
        }
        else
        {
            cell.Published &= published;
            cell.Total |= total;
        }
    }

    /// <summary>Counts one item of <paramref name="clientId"/> in the cell.</summary>
    public void Count(string key, string clientId)
    {
        if (!_cells.TryGetValue(key, out var cell))
        {
            throw new InvalidOperationException($"Cell '{key}' was not declared.");
        }

        cell.Value++;
        cell.Clients.Add(clientId);
    }

    /// <summary>Declares that <paramref name="total"/> is the sum of <paramref name="parts"/>.</summary>
    public void Sum(string total, params string[] parts) => Relation([total], parts);

    /// <summary>Declares that the cells of <paramref name="plus"/> add up to those of <paramref name="minus"/>.</summary>
    public void Relation(IReadOnlyList<string> plus, IReadOnlyList<string> minus)
    {
        foreach (var key in plus.Concat(minus))
        {
            if (!_cells.ContainsKey(key))
            {
                throw new InvalidOperationException($"Cell '{key}' was not declared.");
            }
        }

        _relations.Add((plus, minus));
    }

    public long ValueOf(string key) => _cells[key].Value;

    /// <summary>The declared cells, for a test that tries to derive hidden cells.</summary>
    internal IEnumerable<string> Keys => _cells.Keys;

    /// <summary>The declared sums, for a test that tries to derive hidden cells.</summary>
    internal IReadOnlyList<(IReadOnlyList<string> Plus, IReadOnlyList<string> Minus)> Relations => _relations;

    internal bool IsPublished(string key) => _cells[key].Published;

    /// <summary>Not zero and below the minimum cell size: what must never be shown or derivable.</summary>
    internal bool IsSmall(string key) => IsSmall(_cells[key]);

    public int ClientsOf(string key) => _cells[key].Clients.Count;

    /// <summary>Applies the rule; returns each published cell as the report shows it.</summary>
    public IReadOnlyDictionary<string, PilotCount> Protect()
    {
        foreach (var cell in _cells.Values)
        {
            cell.Suppression = cell.Published && IsSmall(cell) ? Suppression.SmallCount : Suppression.None;
        }

        bool changed;
        do
        {
            changed = false;
            foreach (var (plus, minus) in _relations)
            {
                var members = plus.Concat(minus).Distinct(StringComparer.Ordinal).ToList();
                if (members.Count(k => IsHidden(_cells[k])) != 1)
                {
                    continue;
                }

                var candidates = members.Select(k => (Key: k, Cell: _cells[k])).Where(m => m.Cell.Published && m.Cell.Suppression == Suppression.None).ToList();
                if (candidates.Count == 0)
                {
                    continue;
                }

                // A zero hides nothing as a complement unless nothing else is left; a total only when no part is left.
                var pick = candidates
                    .OrderBy(m => m.Cell.Value == 0)
                    .ThenBy(m => m.Cell.Total)
                    .ThenBy(m => m.Cell.Value)
                    .ThenBy(m => m.Key, StringComparer.Ordinal)
                    .First();
                pick.Cell.Suppression = Suppression.Complementary;
                changed = true;
            }
        }
        while (changed);

        return _cells.Where(c => c.Value.Published).ToDictionary(
            c => c.Key,
            c => c.Value.Suppression == Suppression.None ? PilotCount.Shown(c.Value.Value) : PilotCount.Hidden(c.Value.Suppression),
            StringComparer.Ordinal);
    }

    /// <summary>A group of at least the minimum cell size, in items and in distinct clients.</summary>
    public bool IsLargeEnough(int items, int clients) => items >= MinimumCellSize && clients >= MinimumCellSize;

    private bool IsSmall(Cell cell) => cell.Value > 0 && !IsLargeEnough((int)Math.Min(cell.Value, int.MaxValue), cell.Clients.Count);

    // Hidden from the reader: suppressed, or never published and small (an unpublished cell that is not small may be
    // derived: it tells nothing about few clients).
    private bool IsHidden(Cell cell) => cell.Published ? cell.Suppression != Suppression.None : IsSmall(cell);

    private sealed class Cell(bool published, bool total)
    {
        public bool Published { get; set; } = published;

        public bool Total { get; set; } = total;

        public long Value { get; set; }

        public HashSet<string> Clients { get; } = new(StringComparer.Ordinal);

        public Suppression Suppression { get; set; }
    }
}
