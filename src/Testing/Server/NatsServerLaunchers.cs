using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace Goflux.Testing;

/// <summary>
/// Starts a real NATS server one way or another. Each launcher returns a <see cref="NatsServerHandle"/> that stops
/// (and cleans up after) what it started when disposed. Everything listens on, and is reached through, 127.0.0.1.
/// </summary>
internal static class NatsServerLaunchers
{
    /// <summary>The client port inside a NATS container.</summary>
    public const int ContainerClientPort = 4222;

    /// <summary>What to do when no Docker engine answers.</summary>
    public const string DockerHowTo =
        "Start a Docker engine (or set DOCKER_HOST to one) and make sure the image in GOFLUX_NATS_IMAGE " +
        "(default " + NatsServerLocator.DefaultImage + ") can be pulled.";

    private static readonly string Loopback = "127.0.0.1";
    private static readonly string DefaultDockerSocket = "/var/run/docker.sock";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Starts <paramref name="binaryPath"/> with JetStream on a free loopback port and a fresh temporary store
    /// directory, and waits (polling, at most <see cref="NatsServerOptions.StartTimeout"/>) until it accepts TCP connections.
    /// </summary>
    /// <param name="binaryPath">The nats-server binary.</param>
    /// <param name="options">The timeouts; <see langword="null"/> for <see cref="NatsServerOptions.Default"/>.</param>
    /// <param name="cancellationToken">A token to stop starting.</param>
    /// <returns>The running server; disposing it kills the process and deletes its store.</returns>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="binaryPath"/>.</exception>
    /// <exception cref="InvalidOperationException">The server did not start; the message has its output.</exception>
    public static async Task<NatsServerHandle> StartBinaryAsync(string binaryPath, NatsServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(binaryPath);
        options ??= NatsServerOptions.Default;
        options.Validate();
        if (!File.Exists(binaryPath))
        {
            throw new FileNotFoundException($"nats-server binary not found at {binaryPath}. {NatsServerLocator.HowToGetAServer}", binaryPath);
        }

        // A free port can be taken between probing and binding; try again with another one in that case.
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartBinaryOnceAsync(binaryPath, options, cancellationToken).ConfigureAwait(false);
            }
            catch (PortInUseException) when (attempt < attempts)
            {
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="image"/> with Testcontainers (command <c>-js</c>, client port mapped to a random
    /// loopback port), waits for <c>Server is ready</c> and the mapped port, all within
    /// <see cref="NatsServerOptions.StartTimeout"/>. Fails with an explanation when no Docker engine answers
    /// (<see cref="NatsServerOptions.Environment"/> decides where to look: <c>DOCKER_HOST</c> or the default socket). The
    /// container is stopped and removed when the handle is disposed, within <see cref="NatsServerOptions.StopTimeout"/>;
    /// no reaper is needed.
    /// </summary>
    /// <param name="image">The image.</param>
    /// <param name="options">The environment and timeouts; <see langword="null"/> for <see cref="NatsServerOptions.Default"/>.</param>
    /// <param name="cancellationToken">A token to stop starting.</param>
    /// <returns>The running server; disposing it removes the container.</returns>
    /// <exception cref="InvalidOperationException">No Docker engine answers.</exception>
    /// <exception cref="TimeoutException">The container did not start, or was not removed after a failed start, in time.</exception>
    public static async Task<NatsServerHandle> StartContainerAsync(
        string image,
        NatsServerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(image);
        options ??= NatsServerOptions.Default;
        options.Validate();
        var environment = options.ResolveEnvironment();

        if (!await DockerEngineAnswersAsync(environment, options.DockerProbeTimeout, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException(
                $"No Docker engine answers ({DescribeDockerEndpoint(environment)}), so the Testcontainers path cannot run. {DockerHowTo}");
        }

        var builder = new ContainerBuilder(image);
        if (environment.GetValueOrDefault("DOCKER_HOST") is { Length: > 0 } dockerHost)
        {
            builder = builder.WithDockerEndpoint(dockerHost);
        }

        var container = builder
            .WithCommand("-js")
            .WithPortBinding(ContainerClientPort, assignRandomHostPort: true)
            .WithCreateParameterModifier(parameters =>
            {
                // Publish the client port on loopback only.
                if (parameters.HostConfig?.PortBindings is { } bindings)
                {
                    foreach (var binding in bindings.Values.SelectMany(list => list))
                    {
                        binding.HostIP = Loopback;
                    }
                }
            })
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged(
                "Server is ready",
                strategy => strategy.WithTimeout(options.StartTimeout)))
            .Build();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.StartTimeout);
        try
        {
            await container.StartAsync(deadline.Token).WaitAsync(options.StartTimeout, cancellationToken).ConfigureAwait(false);
            var host = container.Hostname is "localhost" or "::1" or "[::1]" ? Loopback : container.Hostname;
            var port = container.GetMappedPublicPort(ContainerClientPort);
            await WaitForTcpAsync(host, port, options.StartTimeout, exited: null, deadline.Token).ConfigureAwait(false);
            return new NatsServerHandle(
                $"nats://{host}:{port}",
                NatsServerSource.Testcontainers,
                $"container {container.Id[..Math.Min(12, container.Id.Length)]} from image {image}",
                _ => container.DisposeAsync(),
                options.StopTimeout);
        }
        catch (Exception ex)
        {
            await RemoveAfterFailedStartAsync(container, image, options.StopTimeout).ConfigureAwait(false);
            if (ex is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"Starting a NATS container from image {image} did not finish within {options.StartTimeout.TotalSeconds:0.#} s. {DockerHowTo}",
                    ex);
            }

            throw;
        }
    }

    /// <summary>
    /// Quickly checks whether a Docker engine answers: the socket in <c>DOCKER_HOST</c> (unix:// or tcp://) or
    /// <c>/var/run/docker.sock</c> must accept a connection and answer <c>GET /_ping</c> within <paramref name="timeout"/>.
    /// </summary>
    /// <param name="environment">Where to look (<c>DOCKER_HOST</c>).</param>
    /// <param name="timeout">How long the check may take.</param>
    /// <param name="cancellationToken">A token to stop checking.</param>
    /// <returns><see langword="true"/> when an engine answered.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="environment"/> is <see langword="null"/>.</exception>
    public static async Task<bool> DockerEngineAnswersAsync(
        IReadOnlyDictionary<string, string?> environment,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        EndPoint endPoint;
        var dockerHost = environment.GetValueOrDefault("DOCKER_HOST");
        if (string.IsNullOrWhiteSpace(dockerHost))
        {
            if (!File.Exists(DefaultDockerSocket))
            {
                return false;
            }

            endPoint = new UnixDomainSocketEndPoint(DefaultDockerSocket);
        }
        else if (Uri.TryCreate(dockerHost, UriKind.Absolute, out var uri) && uri.Scheme == "unix")
        {
            if (!File.Exists(uri.AbsolutePath))
            {
                return false;
            }

            endPoint = new UnixDomainSocketEndPoint(uri.AbsolutePath);
        }
        else if (uri is not null && uri.Scheme == "tcp")
        {
            endPoint = new DnsEndPoint(uri.Host, uri.Port);
        }
        else
        {
            // npipe://, ssh:// and friends: let Testcontainers try.
            return true;
        }

        using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        probe.CancelAfter(timeout);
        try
        {
            using var socket = endPoint is UnixDomainSocketEndPoint
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endPoint, probe.Token).ConfigureAwait(false);
            await socket.SendAsync("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"u8.ToArray(), SocketFlags.None, probe.Token)
                .ConfigureAwait(false);
            var buffer = new byte[64];
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, probe.Token).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
    }

    internal static string DescribeDockerEndpoint(IReadOnlyDictionary<string, string?> environment) =>
        environment.GetValueOrDefault("DOCKER_HOST") is { Length: > 0 } host
            ? $"DOCKER_HOST={host}"
            : $"no DOCKER_HOST, {DefaultDockerSocket}";

    private static async Task RemoveAfterFailedStartAsync(IContainer container, string image, TimeSpan stopTimeout)
    {
        try
        {
            await container.DisposeAsync().AsTask().WaitAsync(stopTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(
                $"Removing a NATS container from image {image} after a failed start did not finish within {stopTimeout.TotalSeconds:0.#} s; " +
                "check that the Docker engine still answers (`docker ps`).",
                ex);
        }
    }

    private static async Task<NatsServerHandle> StartBinaryOnceAsync(string binaryPath, NatsServerOptions options, CancellationToken cancellationToken)
    {
        var storeDir = Directory.CreateTempSubdirectory("goflux-nats-");
        var port = FreeLoopbackPort();
        var output = new ConcurrentQueue<string>();

        var startInfo = new ProcessStartInfo(binaryPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = storeDir.FullName,
        };
        foreach (var argument in new[] { "-js", "-a", Loopback, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-sd", storeDir.FullName })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Remember(output, e.Data);
        process.ErrorDataReceived += (_, e) => Remember(output, e.Data);

        async ValueTask StopAsync(CancellationToken stopToken)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopToken);
                deadline.CancelAfter(options.StopTimeout);
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // Not started, or already gone.
            }
            finally
            {
                process.Dispose();
                DeleteDirectory(storeDir.FullName);
            }
        }

        try
        {
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await WaitForTcpAsync(Loopback, port, options.StartTimeout, process, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await StopQuietlyAsync(StopAsync, options.StopTimeout).ConfigureAwait(false);
            var log = string.Join(Environment.NewLine, output);
            if (log.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new PortInUseException(log);
            }

            throw new InvalidOperationException(
                $"nats-server at {binaryPath} did not start on {Loopback}:{port}: {ex.Message}{Environment.NewLine}{log}", ex);
        }
        catch
        {
            await StopQuietlyAsync(StopAsync, options.StopTimeout).ConfigureAwait(false);
            throw;
        }

        return new NatsServerHandle($"nats://{Loopback}:{port}", NatsServerSource.Binary, $"{binaryPath}, process {process.Id}", StopAsync, options.StopTimeout);
    }

    private static async Task StopQuietlyAsync(Func<CancellationToken, ValueTask> stop, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await stop(deadline.Token).AsTask().WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // Reported by the start failure that got us here.
        }
    }

    /// <summary>Polls a TCP connect until it succeeds, the process exits, or the deadline passes.</summary>
    private static async Task WaitForTcpAsync(string host, int port, TimeSpan deadline, Process? exited, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (exited is { HasExited: true })
            {
                throw new InvalidOperationException($"the process exited with code {exited.ExitCode}");
            }

            using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attempt.CancelAfter(TimeSpan.FromSeconds(1));
                try
                {
                    using var client = new TcpClient(AddressFamily.InterNetwork);
                    await client.ConnectAsync(host, port, attempt.Token).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                }
            }

            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"nothing accepted connections on {host}:{port} within {deadline.TotalSeconds:0} s");
            }

            await Task.Delay(PollInterval, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Remember(ConcurrentQueue<string> output, string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue(line);
        while (output.Count > 40 && output.TryDequeue(out _))
        {
        }
    }

    private static void DeleteDirectory(string path)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }

                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A file may still be closing right after the process died; try again.
            }
        }
    }

    private sealed class PortInUseException(string message) : Exception(message);
}
