using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Goflux.Reliability.Tests.Infrastructure;

/// <summary>
/// One nats-server process on 127.0.0.1 whose name, ports and store directory stay the same across restarts, so a
/// client (and the cluster's routes) find it again. It can be killed with SIGKILL, stopped with SIGTERM and restarted,
/// all by PID; every start and stop has a deadline and fails with the server's last output.
/// </summary>
public sealed partial class NatsNode : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    private const int SigKill = 9;
    private const int SigTerm = 15;
    private static readonly TimeSpan HttpTimeout = TimeSpan.FromSeconds(2);

    private readonly string _binary;
    private readonly IReadOnlyList<string> _extraArguments;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly HttpClient _http = new() { Timeout = HttpTimeout };
    private Process? _process;

    public NatsNode(string binary, string name, string storeDirectory, IReadOnlyList<string>? extraArguments = null)
    {
        _binary = binary;
        Name = name;
        StoreDirectory = storeDirectory;
        _extraArguments = extraArguments ?? [];
        ClientPort = FreePort();
        MonitorPort = FreePort();
    }

    public string Name { get; }

    public string StoreDirectory { get; }

    public int ClientPort { get; }

    public int MonitorPort { get; }

    public string Url => $"nats://127.0.0.1:{ClientPort}";

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>A single server with its own temporary store directory (deleted on dispose).</summary>
    public static NatsNode Solo() =>
        new(NatsBinary.Locate(), "solo", Path.Combine(Path.GetTempPath(), "goflux-reliability-" + Guid.NewGuid().ToString("N")[..12]));

    /// <summary>Reserves a loopback port that is free now (the server binds it a moment later).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the process and waits until it accepts client connections and its monitoring port answers.</summary>
    /// <remarks>
    /// The ports are fixed for the node's life, so a restart can find one of them taken for a moment (a loopback port
    /// handed out to an outgoing connection, e.g. a client reconnecting to this very node). A start that ends because a
    /// port is in use is tried again, a few times, with a short pause; any other exit fails at once with the server's
    /// output.
    /// </remarks>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        const int attempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            var (exited, portTaken) = await TryStartAsync(cancellationToken);
            if (exited is null)
            {
                return;
            }

            if (!portTaken || attempt == attempts)
            {
                throw new InvalidOperationException(
                    $"nats-server {Name} did not start ({(portTaken ? $"a port was in use on each of {attempts} attempts" : "attempt " + Text(attempt))}): {exited}{Environment.NewLine}{RecentOutput()}");
            }

            Remember($"--- a port was in use; starting again (attempt {Text(attempt + 1)} of {Text(attempts)})");
            await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), TimeProvider.System, cancellationToken);
        }
    }

    /// <summary>Starts the process once; <c>Exited</c> is <see langword="null"/> when it is up, else why it is not (the process is gone then).</summary>
    private async Task<(string? Exited, bool PortTaken)> TryStartAsync(CancellationToken cancellationToken)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"nats-server {Name} is already running (PID {_process!.Id}).");
        }

        _process?.Dispose();
        _process = null;
        Directory.CreateDirectory(StoreDirectory);
        var info = new ProcessStartInfo(_binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = StoreDirectory,
        };
        string[] arguments =
        [
            "-js", "-a", "127.0.0.1", "-p", Text(ClientPort), "-m", Text(MonitorPort), "-sd", StoreDirectory, "-n", Name,
        ];
        foreach (var argument in arguments.Concat(_extraArguments))
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var portTaken = false;
        void Output(string? line)
        {
            Remember(line);
            if (line is not null && line.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                Volatile.Write(ref portTaken, true);
            }
        }

        process.OutputDataReceived += (_, e) => Output(e.Data);
        process.ErrorDataReceived += (_, e) => Output(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Remember($"--- started PID {process.Id}");

        string? exited = null;
        try
        {
            await Poll.UntilAsync(
                async () =>
                {
                    if (process.HasExited)
                    {
                        // Let the output readers catch up with what the process wrote before it went.
                        await process.WaitForExitAsync(cancellationToken);
                        exited = $"the process (PID {process.Id}) exited with code {process.ExitCode} while starting";
                        return true;
                    }

                    using var client = new TcpClient(AddressFamily.InterNetwork);
                    await client.ConnectAsync(IPAddress.Loopback, ClientPort, cancellationToken);
                    using var response = await _http.GetAsync(MonitorUrl("/varz"), cancellationToken);
                    return response.IsSuccessStatusCode;
                },
                StartTimeout,
                $"nats-server {Name} (PID {process.Id}) accepting connections on 127.0.0.1:{ClientPort}",
                cancellationToken);
        }
        catch (TimeoutException ex)
        {
            await KillQuietlyAsync();
            throw new InvalidOperationException($"nats-server {Name} did not start: {ex.Message}{Environment.NewLine}{RecentOutput()}", ex);
        }

        return (exited, Volatile.Read(ref portTaken));
    }

    /// <summary>Sends SIGKILL to the process by PID and waits until it is gone.</summary>
    public Task KillAsync(CancellationToken cancellationToken) => SignalAndWaitAsync(SigKill, "SIGKILL", cancellationToken);

    /// <summary>Sends SIGTERM (a clean shutdown) by PID and waits until it is gone.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => SignalAndWaitAsync(SigTerm, "SIGTERM", cancellationToken);

    /// <summary>Gets the last answer of a monitoring endpoint that was not 200, for failure messages.</summary>
    public string? LastMonitorProblem { get; private set; }

    /// <summary>GETs a monitoring endpoint (e.g. <c>/jsz</c>), or returns <see langword="null"/> when it does not answer 200.</summary>
    public async Task<string?> MonitorAsync(string path, CancellationToken cancellationToken)
    {
        if (!IsRunning)
        {
            LastMonitorProblem = $"{path}: not running";
            return null;
        }

        try
        {
            using var response = await _http.GetAsync(MonitorUrl(path), cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return body;
            }

            LastMonitorProblem = $"{path}: {(int)response.StatusCode} {body}";
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LastMonitorProblem = $"{path}: {ex.GetType().Name}: {ex.Message}";
            return null;
        }
    }

    public string RecentOutput() => $"--- last output of nats-server {Name}:{Environment.NewLine}{string.Join(Environment.NewLine, _output)}";

    public async ValueTask DisposeAsync()
    {
        await KillQuietlyAsync();
        _process?.Dispose();
        _http.Dispose();
        for (var attempt = 0; attempt < 5 && Directory.Exists(StoreDirectory); attempt++)
        {
            try
            {
                Directory.Delete(StoreDirectory, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A file may still be closing right after the process died; try again.
            }
        }
    }

    public override string ToString() => $"{Name} ({Url}, PID {Pid?.ToString(CultureInfo.InvariantCulture) ?? "-"})";

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private string MonitorUrl(string path) => $"http://127.0.0.1:{MonitorPort}{path}";

    private async Task SignalAndWaitAsync(int signal, string signalName, CancellationToken cancellationToken)
    {
        var process = _process ?? throw new InvalidOperationException($"nats-server {Name} was never started.");
        if (process.HasExited)
        {
            throw new InvalidOperationException($"nats-server {Name} (PID {process.Id}) is not running (exit code {process.ExitCode}).");
        }

        var pid = process.Id;
        Remember($"--- {signalName} to PID {pid}");
        if (SendSignal(pid, signal) != 0)
        {
            throw new InvalidOperationException($"{signalName} to nats-server {Name} (PID {pid}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StopTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await KillQuietlyAsync();
            throw new TimeoutException($"nats-server {Name} (PID {pid}) did not exit within {StopTimeout.TotalSeconds:0} s of {signalName}; killed.{Environment.NewLine}{RecentOutput()}");
        }
    }

    private async Task KillQuietlyAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                _ = SendSignal(process.Id, SigKill);
                using var deadline = new CancellationTokenSource(StopTimeout);
                await process.WaitForExitAsync(deadline.Token);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            // Already gone, or it would not die: nothing more to do here.
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 60 && _output.TryDequeue(out _))
        {
        }
    }
}
