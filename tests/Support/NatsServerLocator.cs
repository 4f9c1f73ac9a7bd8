using System.Collections;
using System.Diagnostics;

namespace Goflux.Tests.Support;

/// <summary>
/// Finds a real NATS server for the tests, in this order:
/// <list type="number">
/// <item><c>NATS_URL</c>: a server the caller runs;</item>
/// <item>Testcontainers, when a Docker engine answers (image from <c>GOFLUX_NATS_IMAGE</c>, default <c>nats:2.10</c>);</item>
/// <item>a <c>nats-server</c> binary: <c>GOFLUX_NATS_SERVER</c>, the repository's <c>.tools/nats-server/nats-server</c>,
/// then <c>PATH</c>; started on a free loopback port with a temporary store directory.</item>
/// </list>
/// When none is available it throws, saying how to get one. It never skips.
/// The environment is a parameter so tests can exercise each rule without touching the process environment.
/// </summary>
public static class NatsServerLocator
{
    /// <summary>URL of a running server to use as is.</summary>
    public const string UrlVariable = "NATS_URL";

    /// <summary>Image for the Testcontainers path.</summary>
    public const string ImageVariable = "GOFLUX_NATS_IMAGE";

    /// <summary>Path of a nats-server binary to prefer over the provisioned one and PATH.</summary>
    public const string BinaryVariable = "GOFLUX_NATS_SERVER";

    /// <summary>Image used when <see cref="ImageVariable"/> is not set.</summary>
    public const string DefaultImage = "nats:2.10";

    /// <summary>Where <c>make test</c> provisions nats-server, relative to the repository root.</summary>
    public const string ProvisionedBinary = ".tools/nats-server/nats-server";

    private static readonly string SolutionFile = "Goflux.Testable.sln";
    private static readonly string BinaryName = "nats-server";
    private static readonly TimeSpan VersionProbeDeadline = TimeSpan.FromSeconds(10);

    /// <summary>What to do when no server is found.</summary>
    public const string HowToGetAServer =
        "Run `make test` (it provisions nats-server 2.10 into " + ProvisionedBinary + ", and as root a Docker engine); " +
        "or set NATS_URL to a running server (`make nats-up` starts one on nats://127.0.0.1:4222); " +
        "or install nats-server 2.10+ on PATH (or point GOFLUX_NATS_SERVER at it).";

    /// <summary>A snapshot of the process environment, for <see cref="StartAsync"/>.</summary>
    public static IReadOnlyDictionary<string, string?> ProcessEnvironment()
    {
        var snapshot = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            snapshot[(string)entry.Key] = entry.Value as string;
        }

        return snapshot;
    }

    /// <summary>The image the Testcontainers path uses for <paramref name="environment"/>.</summary>
    public static string ImageFor(IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.GetValueOrDefault(ImageVariable) is { Length: > 0 } image ? image : DefaultImage;
    }

    /// <summary>Finds or starts a server following the order above. Dispose the handle to stop what was started.</summary>
    public static async Task<NatsServerHandle> StartAsync(
        IReadOnlyDictionary<string, string?> environment,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var notes = new List<string>();

        if (environment.GetValueOrDefault(UrlVariable) is { } url && !string.IsNullOrWhiteSpace(url))
        {
            return new NatsServerHandle(url.Trim(), NatsServerSource.EnvironmentUrl, UrlVariable, stop: null);
        }

        notes.Add($"{UrlVariable} is not set");

        if (await NatsServerLaunchers.DockerEngineAnswersAsync(environment, cancellationToken).ConfigureAwait(false))
        {
            var image = ImageFor(environment);
            try
            {
                return await NatsServerLaunchers.StartContainerAsync(image, environment, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // E.g. the image cannot be pulled: a local binary is still a real server.
                notes.Add($"a Docker engine answers but starting {image} failed: {ex.GetType().Name}: {ex.Message}");
            }
        }
        else
        {
            notes.Add($"no Docker engine answers ({NatsServerLaunchers.DescribeDockerEndpoint(environment)})");
        }

        var lookup = await FindBinaryAsync(environment, cancellationToken).ConfigureAwait(false);
        notes.AddRange(lookup.Notes);
        if (lookup.Path is { } binary)
        {
            return await NatsServerLaunchers.StartBinaryAsync(binary, cancellationToken).ConfigureAwait(false);
        }

        throw new InvalidOperationException(
            $"No NATS server for the tests. {HowToGetAServer}{Environment.NewLine}Looked at: {string.Join("; ", notes)}.");
    }

    /// <summary>
    /// Finds a nats-server 2.10+ binary: <c>GOFLUX_NATS_SERVER</c>, then the repository's provisioned one, then
    /// <c>PATH</c>. Candidates that are missing or older are described in <see cref="NatsBinaryLookup.Notes"/>.
    /// </summary>
    public static async Task<NatsBinaryLookup> FindBinaryAsync(
        IReadOnlyDictionary<string, string?> environment,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var notes = new List<string>();
        foreach (var (candidate, origin) in BinaryCandidates(environment))
        {
            if (!File.Exists(candidate))
            {
                if (origin != "PATH")
                {
                    notes.Add($"{origin}: {candidate} does not exist");
                }

                continue;
            }

            var versionOutput = await ReadVersionAsync(candidate, cancellationToken).ConfigureAwait(false);
            if (NatsServerVersion.IsSupported(versionOutput))
            {
                return new NatsBinaryLookup(candidate, notes);
            }

            notes.Add($"{origin}: {candidate} reports '{versionOutput?.Trim()}', need {NatsServerVersion.Minimum}+");
        }

        notes.Add($"no {BinaryName} {NatsServerVersion.Minimum}+ on PATH");
        return new NatsBinaryLookup(null, notes);
    }

    /// <summary>The directory holding Goflux.Testable.sln, walking up from <paramref name="start"/> (default: the test binaries).</summary>
    public static string? FindRepositoryRoot(string? start = null)
    {
        for (var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static IEnumerable<(string Path, string Origin)> BinaryCandidates(IReadOnlyDictionary<string, string?> environment)
    {
        if (environment.GetValueOrDefault(BinaryVariable) is { Length: > 0 } explicitPath)
        {
            yield return (Path.GetFullPath(explicitPath), BinaryVariable);
        }

        if (FindRepositoryRoot() is { } root)
        {
            yield return (Path.Combine(root, ProvisionedBinary), "provisioned");
        }

        var path = environment.GetValueOrDefault("PATH") ?? string.Empty;
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            yield return (Path.Combine(dir, BinaryName), "PATH");
        }
    }

    private static async Task<string?> ReadVersionAsync(string binary, CancellationToken cancellationToken)
    {
        try
        {
            using var process = new Process
            {
                StartInfo = new ProcessStartInfo(binary, "--version")
                {
                    UseShellExecute = false,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                },
            };
            process.Start();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(VersionProbeDeadline);
            var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
            var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            return (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException
                                       || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}

/// <summary>The outcome of <see cref="NatsServerLocator.FindBinaryAsync"/>.</summary>
/// <param name="Path">A nats-server 2.10+ binary, or null.</param>
/// <param name="Notes">Candidates that were skipped, and why.</param>
public sealed record NatsBinaryLookup(string? Path, IReadOnlyList<string> Notes);
