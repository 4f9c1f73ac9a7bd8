using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Goflux.Testing;
using NATS.Client.Core;

namespace Goflux.Integration.Tests.Faults;

/// <summary>
/// A nats-server process of a test's own (the provisioned binary), on a fixed loopback port and store directory, that
/// the test can stop gracefully, kill with SIGKILL, and start again with the same port and store. Every start and stop
/// has a deadline and fails with the server's last output.
/// </summary>
internal sealed class OwnServer : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(15);

    private readonly string _binary;
    private readonly DirectoryInfo _store;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    private OwnServer(string binary, DirectoryInfo store, int port)
    {
        _binary = binary;
        _store = store;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Gets when the server last accepted connections after a start (a <see cref="Stopwatch"/> timestamp).</summary>
    public long ReadyAt { get; private set; }

    public static async Task<OwnServer> StartAsync(CancellationToken cancellationToken)
    {
        var lookup = await NatsServerLocator.FindBinaryAsync(cancellationToken: cancellationToken);
        if (lookup.Path is null)
        {
            throw new InvalidOperationException(
                $"These tests start and stop a nats-server of their own and need the binary. {NatsServerLocator.HowToGetAServer} Looked at: {string.Join("; ", lookup.Notes)}.");
        }

        var server = new OwnServer(lookup.Path, Directory.CreateTempSubdirectory("goflux-faults-"), FreePort());
        await server.StartAgainAsync(cancellationToken);
        return server;
    }

    /// <summary>A connection with NATS.Net's default reconnect settings, to this server.</summary>
    public async Task<NatsConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new NatsConnection(new NatsOpts { Url = Url, Name = "goflux-faults" });
        await connection.ConnectAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        return connection;
    }

    /// <summary>Starts the server again on the same port and store directory and waits until it accepts connections.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("The server is already running.");
        }

        _process?.Dispose();
        var info = new ProcessStartInfo(_binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _store.FullName,
        };
        foreach (var argument in new[] { "-js", "-a", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-sd", _store.FullName })
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nats-server exited with code {process.ExitCode} on start.{Environment.NewLine}{Output()}");
            }

            if (_output.Any(line => line.Contains("Server is ready", StringComparison.Ordinal)) && await AcceptsAsync(cancellationToken))
            {
                ReadyAt = Stopwatch.GetTimestamp();
                _output.Clear();
                return;
            }

            if (clock.Elapsed > StartDeadline)
            {
                throw new TimeoutException($"nats-server did not become ready on {Url} within {StartDeadline.TotalSeconds} s.{Environment.NewLine}{Output()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken);
        }
    }

    /// <summary>Stops the server: SIGTERM (it flushes its state) or SIGKILL (it does not), and waits until it has exited.</summary>
    public async Task StopAsync(bool kill, CancellationToken cancellationToken)
    {
        var process = _process ?? throw new InvalidOperationException("The server was never started.");
        if (!process.HasExited)
        {
            Signal(process.Id, kill ? "KILL" : "TERM");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StopDeadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"nats-server (PID {process.Id}) did not exit within {StopDeadline.TotalSeconds} s of SIG{(kill ? "KILL" : "TERM")}.{Environment.NewLine}{Output()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    using var deadline = new CancellationTokenSource(StopDeadline);
                    await process.WaitForExitAsync(deadline.Token);
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
            {
            }
            finally
            {
                process.Dispose();
            }
        }

        try
        {
            _store.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-s", signal, pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit(5_000);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<bool> AcceptsAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient(AddressFamily.InterNetwork);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, Port, attempt.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
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

    private string Output() => string.Join(Environment.NewLine, _output);
}
