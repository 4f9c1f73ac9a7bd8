// Stand-in for the shared NatsServerFixture (tests/Support); removed once that fixture is merged.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NATS.Client.Core;
using Xunit;

[assembly: AssemblyFixture(typeof(Goflux.Tests.Support.NatsServerFixture))]

namespace Goflux.Tests.Support;

public sealed class NatsServerFixture : IAsyncLifetime
{
    private Process? _process;
    private string? _storeDir;

    public string Url { get; private set; } = string.Empty;

    public string ServerVersion { get; private set; } = string.Empty;

    public async Task<NatsConnection> CreateConnectionAsync(CancellationToken cancellationToken = default)
    {
        var connection = new NatsConnection(new NatsOpts { Url = Url, Name = "goflux-tests", ConnectTimeout = TimeSpan.FromSeconds(10) });
        await connection.ConnectAsync().AsTask().WaitAsync(cancellationToken);
        return connection;
    }

    public async ValueTask InitializeAsync()
    {
        var url = Environment.GetEnvironmentVariable("NATS_URL");
        if (string.IsNullOrEmpty(url))
        {
            var binary = FindBinary() ?? throw new InvalidOperationException("No nats-server: set NATS_URL or provision .tools/nats-server/nats-server.");
            var port = FreePort();
            _storeDir = Directory.CreateTempSubdirectory("goflux-nats-").FullName;
            _process = Process.Start(new ProcessStartInfo(binary, ["-js", "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-sd", _storeDir])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            var ready = new TaskCompletionSource();
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data?.Contains("Server is ready", StringComparison.Ordinal) == true)
                {
                    ready.TrySetResult();
                }
            };
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(10));
            url = $"nats://127.0.0.1:{port}";
        }

        Url = url;
        await using var connection = await CreateConnectionAsync();
        ServerVersion = connection.ServerInfo?.Version ?? string.Empty;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
        }

        if (_storeDir is not null)
        {
            Directory.Delete(_storeDir, recursive: true);
        }
    }

    private static string? FindBinary()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tools", "nats-server", "nats-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
