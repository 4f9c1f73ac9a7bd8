using System.Collections;
using System.Diagnostics;

namespace Goflux.Testing;

/// <summary>
/// Finds a real NATS server for tests, in this order:
/// <list type="number">
/// <item><c>NATS_URL</c>: a server someone else runs;</item>
/// <item>Testcontainers, when a Docker engine answers (image from <see cref="NatsServerOptions.Image"/>, else
/// <c>GOFLUX_NATS_IMAGE</c>, else <see cref="DefaultImage"/>);</item>
/// <item>a <c>nats-server</c> binary: <see cref="NatsServerOptions.BinaryPath"/> (else <c>GOFLUX_NATS_SERVER</c>),
/// <see cref="NatsServerOptions.SearchUpwardFor"/>, then <c>PATH</c>; started on a free loopback port with a temporary
/// store directory.</item>
/// </list>
/// When none is available it throws, saying how to get one. It never skips.
/// </summary>
internal static class NatsServerLocator
{
    /// <summary>URL of a running server to use as is.</summary>
    public const string UrlVariable = "NATS_URL";

    /// <summary>Image for the Testcontainers path.</summary>
    public const string ImageVariable = "GOFLUX_NATS_IMAGE";

    /// <summary>Path of a nats-server binary to prefer over <c>PATH</c>.</summary>
    public const string BinaryVariable = "GOFLUX_NATS_SERVER";

    /// <summary>Image used when neither the options nor <see cref="ImageVariable"/> name one: the official image.</summary>
    public const string DefaultImage = "nats:2.10";

    /// <summary>What to do when no server is found.</summary>
    public const string HowToGetAServer =
        "Set NATS_URL to a running nats-server 2.10+ with JetStream (e.g. `nats-server -js` on nats://127.0.0.1:4222); " +
        "or start a Docker engine so Testcontainers can run the official `" + DefaultImage + "` image (GOFLUX_NATS_IMAGE picks another); " +
        "or put a nats-server 2.10+ binary at " + NatsServerOptions.DefaultSearchUpwardFor + " in your repository (the fixture looks for it above the test binaries; this repository's scripts/provision-nats.sh puts one there), point GOFLUX_NATS_SERVER at one, or install one on PATH. " +
        "To run only the in-memory engine cases, set GOFLUX_TEST_BACKENDS=inmemory for [Backends] tests, or leave the JetStream ones out with a test filter (e.g. dotnet test --filter \"FullyQualifiedName!~JetStream&FullyQualifiedName!~Differential\" for the contract suite).";

    private static readonly string BinaryName = "nats-server";
    private static readonly TimeSpan VersionProbeDeadline = TimeSpan.FromSeconds(10);

    /// <summary>A snapshot of the process environment.</summary>
    /// <returns>Every variable of the process environment.</returns>
    public static IReadOnlyDictionary<string, string?> ProcessEnvironment()
    {
        var snapshot = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            snapshot[(string)entry.Key] = entry.Value as string;
        }

        return snapshot;
    }

    /// <summary>The image the Testcontainers path uses for <paramref name="options"/>.</summary>
    /// <param name="options">The options.</param>
    /// <returns>The image name.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    public static string ImageFor(NatsServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Image
            ?? (options.ResolveEnvironment().GetValueOrDefault(ImageVariable) is { Length: > 0 } image ? image : DefaultImage);
    }

    /// <summary>Finds or starts a server following the order above. Dispose the handle to stop what was started.</summary>
    /// <param name="options">Where to look, and the timeouts; <see langword="null"/> for <see cref="NatsServerOptions.Default"/>.</param>
    /// <param name="cancellationToken">A token to stop looking.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="InvalidOperationException">No server could be found or started; the message says how to get one.</exception>
    /// <exception cref="TimeoutException">Starting a server took longer than <see cref="NatsServerOptions.StartTimeout"/>.</exception>
    public static async Task<NatsServerHandle> StartAsync(NatsServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= NatsServerOptions.Default;
        options.Validate();
        var environment = options.ResolveEnvironment();
        var notes = new List<string>();

        if (environment.GetValueOrDefault(UrlVariable) is { } url && !string.IsNullOrWhiteSpace(url))
        {
            return new NatsServerHandle(url.Trim(), NatsServerSource.EnvironmentUrl, UrlVariable, stop: null, options.StopTimeout);
        }

        notes.Add($"{UrlVariable} is not set");

        if (!options.UseDocker)
        {
            notes.Add("the Docker path is turned off");
        }
        else if (await NatsServerLaunchers.DockerEngineAnswersAsync(environment, options.DockerProbeTimeout, cancellationToken).ConfigureAwait(false))
        {
            var image = ImageFor(options);
            try
            {
                return await NatsServerLaunchers.StartContainerAsync(image, options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // E.g. the image cannot be pulled: a local binary is still a real server.
                notes.Add($"a Docker engine answers but starting {image} failed: {ex.GetType().Name}: {ex.Message}");
            }
        }
        else
        {
            notes.Add($"no Docker engine answers ({NatsServerLaunchers.DescribeDockerEndpoint(environment)})");
        }

        var lookup = await FindBinaryAsync(options, cancellationToken).ConfigureAwait(false);
        notes.AddRange(lookup.Notes);
        if (lookup.Path is { } binary)
        {
            return await NatsServerLaunchers.StartBinaryAsync(binary, options, cancellationToken).ConfigureAwait(false);
        }

        throw new InvalidOperationException(
            $"No NATS server for the JetStream tests. {HowToGetAServer}{System.Environment.NewLine}Looked at: {string.Join("; ", notes)}.");
    }

    /// <summary>
    /// Finds a nats-server binary of <see cref="NatsServerVersion.Minimum"/> or newer: <see cref="NatsServerOptions.BinaryPath"/>
    /// (else <c>GOFLUX_NATS_SERVER</c>), <see cref="NatsServerOptions.SearchUpwardFor"/>, then <c>PATH</c>. Candidates that are
    /// missing or older are described in <see cref="NatsBinaryLookup.Notes"/>.
    /// </summary>
    /// <param name="options">Where to look; <see langword="null"/> for <see cref="NatsServerOptions.Default"/>.</param>
    /// <param name="cancellationToken">A token to stop looking.</param>
    /// <returns>The binary found, or none with the reasons.</returns>
    public static async Task<NatsBinaryLookup> FindBinaryAsync(NatsServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= NatsServerOptions.Default;
        var notes = new List<string>();
        foreach (var (candidate, origin) in BinaryCandidates(options))
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

    private static IEnumerable<(string Path, string Origin)> BinaryCandidates(NatsServerOptions options)
    {
        var environment = options.ResolveEnvironment();
        if (options.BinaryPath is { Length: > 0 } configured)
        {
            yield return (Path.GetFullPath(configured), "the configured BinaryPath");
        }
        else if (environment.GetValueOrDefault(BinaryVariable) is { Length: > 0 } explicitPath)
        {
            yield return (Path.GetFullPath(explicitPath), BinaryVariable);
        }

        if (options.SearchUpwardFor is { Length: > 0 } relative)
        {
            var found = false;
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && !found; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate))
                {
                    found = true;
                    yield return (candidate, $"{relative} above the test binaries");
                }
            }

            if (!found)
            {
                // Reported as missing, so the no-server message names the searched path too.
                yield return (Path.Combine(AppContext.BaseDirectory, relative), $"SearchUpwardFor ({relative} in the test binaries' folder or any folder above it)");
            }
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
            try
            {
                var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
                var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
                return (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return null;
            }
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }
}
