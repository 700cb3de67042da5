using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ketenhub.HubTests.Push;

/// <summary>What the FHIR partner does with one of the next write requests (see tests/fhir-validator/fhir-partner.mjs).</summary>
/// <param name="Kind"><c>500</c>, <c>503</c>, <c>429</c>, <c>hang</c>, <c>drop</c> or <c>commit-then-drop</c>.</param>
/// <param name="RetryAfter">The <c>Retry-After</c> seconds sent with a 429 or 503, if any.</param>
public sealed record FhirFault(string Kind, int? RetryAfter = null)
{
    public static readonly FhirFault ServerError = new("500");
    public static readonly FhirFault Hang = new("hang");
    public static readonly FhirFault Drop = new("drop");

    /// <summary>Runs and commits the transaction, then drops the connection: the answer is lost on the way.</summary>
    public static readonly FhirFault CommitThenDrop = new("commit-then-drop");

    public static FhirFault TooManyRequests(int retryAfterSeconds) => new("429", retryAfterSeconds);
}

/// <summary>One FHIR request the partner saw.</summary>
public sealed record FhirPartnerRequest(string Method, string Path, int Status, string? Fault, long AtMilliseconds);

/// <summary>
/// A real FHIR R4 server as the partner: tests/fhir-validator/fhir-partner.mjs (Medplum's FHIR router with its in-memory
/// repository behind Node's http server, transactions on and rolled back whole on failure, every resource validated
/// before it is stored), started as a child process on a free loopback port. It dies with the test process: it exits when
/// its stdin closes. Start one per test class (indexing the R4 definitions takes seconds) and <see cref="ResetAsync"/>
/// it between tests.
/// </summary>
public sealed class FhirPartner : IAsyncLifetime
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly ConcurrentQueue<string> _errors = new();
    private Process _process = null!;
    private Uri _root = null!;

    /// <summary>The FHIR base address.</summary>
    public Uri Base { get; private set; } = null!;

    /// <summary>What the partner wrote to stderr (its refusals), for failure messages.</summary>
    public string Errors => string.Join('\n', _errors);

    public async Task InitializeAsync()
    {
        var folder = Path.Combine(RepoRoot(), "tests", "fhir-validator");
        Assert.True(
            Directory.Exists(Path.Combine(folder, "node_modules", "@medplum", "fhir-router")),
            "tests/fhir-validator has no node_modules: run `npm ci` there (scripts/test.sh does).");
        var start = new ProcessStartInfo("node", [Path.Combine(folder, "fhir-partner.mjs")])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _errors.Enqueue(e.Data);
            }
        };
        _process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            var line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                Assert.Fail("The FHIR partner stopped before it listened: " + Errors);
            }

            if (line.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                var port = int.Parse(line["LISTENING ".Length..], CultureInfo.InvariantCulture);
                _root = new Uri($"http://127.0.0.1:{port}/");
                Base = new Uri(_root, "fhir/R4");
                return;
            }
        }
    }

    /// <summary>Forgets every stored resource, queued fault, refusal and logged request.</summary>
    public async Task ResetAsync()
    {
        await PostAsync("_partner/reset", new JsonObject());
        _errors.Clear();
    }

    /// <summary>Queues faults for the next write requests, one per request, in order.</summary>
    public async Task FailNextAsync(params FhirFault[] faults)
    {
        var list = new JsonArray();
        foreach (var fault in faults)
        {
            var item = new JsonObject { ["kind"] = fault.Kind };
            if (fault.RetryAfter is { } seconds)
            {
                item["retryAfter"] = seconds;
            }

            list.Add(item);
        }

        await PostAsync("_partner/faults", new JsonObject { ["faults"] = list });
    }

    /// <summary>From now on the partner refuses (400, OperationOutcome not-supported) any Bundle writing these types.</summary>
    public async Task RefuseAsync(params string[] resourceTypes) =>
        await PostAsync("_partner/refuse", new JsonObject { ["resourceTypes"] = new JsonArray(resourceTypes.Select(t => (JsonNode)t).ToArray()) });

    /// <summary>From now on the partner keeps Medplum's own rule: a transaction with a conditional entry and more than 8 entries is refused.</summary>
    public async Task StrictAsync() => await PostAsync("_partner/strict", new JsonObject { ["strict"] = true });

    /// <summary>Resources stored, per type.</summary>
    public async Task<IReadOnlyDictionary<string, int>> CountsAsync()
    {
        using var stats = await StatsAsync();
        return stats.RootElement.GetProperty("counts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
    }

    /// <summary>Every FHIR request the partner saw, in order.</summary>
    public async Task<IReadOnlyList<FhirPartnerRequest>> RequestsAsync()
    {
        using var stats = await StatsAsync();
        return stats.RootElement.GetProperty("requests").EnumerateArray()
            .Select(r => new FhirPartnerRequest(
                r.GetProperty("method").GetString()!,
                r.GetProperty("path").GetString()!,
                r.GetProperty("status").GetInt32(),
                r.GetProperty("fault").ValueKind == JsonValueKind.Null ? null : r.GetProperty("fault").GetString(),
                r.GetProperty("at").GetInt64()))
            .ToList();
    }

    /// <summary>Faults queued and not yet used.</summary>
    public async Task<int> PendingFaultsAsync()
    {
        using var stats = await StatsAsync();
        return stats.RootElement.GetProperty("pendingFaults").GetInt32();
    }

    /// <summary>Searches the partner's data, for example <c>Patient?identifier=…</c>; returns the resources found.</summary>
    public async Task<IReadOnlyList<JsonElement>> SearchAsync(string query)
    {
        using var response = await _http.GetAsync(new Uri(Base + "/" + query));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Search {query} failed: {(int)response.StatusCode} {text}");
        using var bundle = JsonDocument.Parse(text);
        return bundle.RootElement.TryGetProperty("entry", out var entries)
            ? entries.EnumerateArray().Select(e => e.GetProperty("resource").Clone()).ToList()
            : [];
    }

    /// <summary>Posts a Bundle to the FHIR base as the hub would; returns the status and the body of the answer.</summary>
    public async Task<(int Status, string Body)> PostAsync(string bundle)
    {
        using var content = new StringContent(bundle, System.Text.Encoding.UTF8, "application/fhir+json");
        using var response = await _http.PostAsync(Base, content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The one resource a search finds; fails if it finds none or more.</summary>
    public async Task<JsonElement> SingleAsync(string query)
    {
        var found = await SearchAsync(query);
        Assert.True(found.Count == 1, $"{query} found {found.Count} resources.");
        return found[0];
    }

    private async Task<JsonDocument> StatsAsync()
    {
        using var response = await _http.GetAsync(new Uri(_root, "_partner/stats"));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private async Task PostAsync(string path, JsonObject body)
    {
        using var response = await _http.PostAsJsonAsync(new Uri(_root, path), body);
        response.EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        try
        {
            _process.StandardInput.Close();
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(exit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hub.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Hub.sln not found above the test folder.");
    }
}
