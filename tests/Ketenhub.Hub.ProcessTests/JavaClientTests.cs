using System.Diagnostics;
using Ketenhub.Testing;

namespace Ketenhub.ProcessTests;

/// <summary>
/// A Java client generated from protos/ketenhub/v1 alone, as an integrator without our SDKs builds one (docs/api.md, "A
/// client in another language"): Debian's protoc and grpc-java plugin generate it, javac compiles it with
/// <c>Java/KetenhubJavaClient.java</c> against Debian's protobuf-java and grpc-java jars, and it runs against a real hub
/// process: registration, consent, a signal, the delivery stream's cursor rule, a filtered list, and the hub's
/// <c>ErrorInfo</c> read from a refusal. The toolchain comes from Debian packages that <c>.ci/run</c> installs; without
/// them the test fails, naming them.
/// </summary>
public sealed class JavaClientTests
{
    private const string Packages = "protobuf-compiler libprotobuf-dev protobuf-compiler-grpc-java-plugin libprotobuf-java libgrpc-java libnetty-java libperfmark-java libguava-java libjsr305-java liberror-prone-java libgeronimo-annotation-1.3-spec-java default-jdk-headless";

    // The runtime jars of the generated code and grpc-java's Netty transport, as Debian installs them.
    private static readonly string[] Jars =
    [
        "protobuf", "grpc-api", "grpc-context", "grpc-core", "grpc-netty", "grpc-protobuf", "grpc-protobuf-lite", "grpc-stub",
        "guava", "jsr305", "error_prone_annotations", "opencensus-api", "perfmark-api", "geronimo-annotation-1.3-spec",
        "netty-common", "netty-buffer", "netty-transport", "netty-resolver", "netty-codec", "netty-codec-http", "netty-codec-http2",
        "netty-handler", "netty-handler-proxy", "netty-codec-socks",
    ];

    [Fact]
    public async Task AJavaClientFromTheProtosAlone_RegistersRaisesStreamsListsAndReadsErrorDetails()
    {
        var tools = new[] { "/usr/bin/protoc", "/usr/bin/grpc_java_plugin", "/usr/bin/javac", "/usr/bin/java", "/usr/include/google/protobuf/timestamp.proto" };
        var missing = tools.Concat(Jars.Select(Jar)).Where(path => !File.Exists(path)).ToList();
        Assert.True(missing.Count == 0, $"Missing {string.Join(", ", missing)}: apt-get install {Packages} (.ci/run does).");

        var root = HubProcess.RepositoryRoot() ?? throw new InvalidOperationException("The repository root was not found.");
        var googleProtos = GoogleProtos(root);
        var work = Directory.CreateTempSubdirectory("ketenhub-java-");
        try
        {
            var sources = Path.Combine(work.FullName, "src");
            var classes = Path.Combine(work.FullName, "classes");
            Directory.CreateDirectory(sources);
            var protos = Directory.GetFiles(Path.Combine(root, "protos", "ketenhub", "v1"), "*.proto")
                .Concat(new[] { "rpc/status.proto", "rpc/error_details.proto", "type/date.proto", "api/field_behavior.proto", "api/field_info.proto", "api/resource.proto" }
                    .Select(p => Path.Combine(googleProtos, "google", p)));
            await RunAsync("/usr/bin/protoc", [
                "-I", Path.Combine(root, "protos"), "-I", googleProtos, "-I", "/usr/include",
                $"--java_out={sources}", $"--grpc-java_out={sources}", "--plugin=protoc-gen-grpc-java=/usr/bin/grpc_java_plugin",
                .. protos]);
            File.Copy(Path.Combine(AppContext.BaseDirectory, "Java", "KetenhubJavaClient.java"), Path.Combine(sources, "KetenhubJavaClient.java"));

            var classPath = string.Join(':', Jars.Select(Jar));
            await RunAsync("/usr/bin/javac", ["-nowarn", "-encoding", "UTF-8", "-cp", classPath, "-d", classes, .. Directory.GetFiles(sources, "*.java", SearchOption.AllDirectories)]);

            using var hub = new HubProcess();
            using var start = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await hub.StartAsync(start.Token);
            var output = await RunAsync("/usr/bin/java", ["-cp", classes + ":" + classPath, "KetenhubJavaClient", $"127.0.0.1:{hub.Port}"]);

            Assert.Equal(
                ["client registered, coach named, consent recorded", "signal raised", "delivery received twice, acknowledged once", "signal listed", "refusal read: INVALID_FILTER at 7", "OK"],
                output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string Jar(string name) => $"/usr/share/java/{name}.jar";

    /// <summary>The google/* protos the contract imports: staged by scripts/test.sh, else from the NuGet package the contracts build with.</summary>
    private static string GoogleProtos(string root)
    {
        var staged = Path.Combine(root, ".build", "third_party");
        if (File.Exists(Path.Combine(staged, "google", "rpc", "error_details.proto")))
        {
            return staged;
        }

        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var fromPackage = Directory.Exists(Path.Combine(packages, "google.api.commonprotos"))
            ? Directory.GetDirectories(Path.Combine(packages, "google.api.commonprotos"))
                .Select(version => Path.Combine(version, "content", "protos"))
                .Where(dir => File.Exists(Path.Combine(dir, "google", "rpc", "error_details.proto")))
                .Order(StringComparer.Ordinal)
                .LastOrDefault()
            : null;
        return fromPackage ?? throw new InvalidOperationException("No google/* protos: run scripts/test.sh (it stages .build/third_party) or restore src/Clients/Ketenhub.Contracts.");
    }

    private static async Task<string> RunAsync(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} did not finish within 3 minutes.\n{await output}\n{await errors}");
        }

        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(program)} exited with {process.ExitCode}:\n{await output}\n{await errors}");
        return await output;
    }
}
