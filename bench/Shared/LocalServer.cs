using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Goflux.Benchmarks.Shared;

/// <summary>
/// The server to measure against: <c>NATS_URL</c> when set, otherwise the provisioned
/// <c>.tools/nats-server/nats-server</c> started with JetStream on a free loopback port and a temporary store, stopped
/// (by its process) when disposed.
/// </summary>
internal sealed class LocalServer : IAsyncDisposable
{
    private readonly Process? _process;
    private readonly string? _storeDir;

    private LocalServer(string url, Process? process, string? storeDir)
    {
        Url = url;
        _process = process;
        _storeDir = storeDir;
    }

    public string Url { get; }

    /// <summary>Gets a value indicating whether a server can be had: <c>NATS_URL</c> is set or the provisioned binary exists.</summary>
    public static bool Available => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NATS_URL")) || Find() is not null;

    public static async Task<LocalServer> StartAsync()
    {
        var url = Environment.GetEnvironmentVariable("NATS_URL");
        if (!string.IsNullOrEmpty(url))
        {
            return new LocalServer(url, null, null);
        }

        var binary = Find() ?? throw new InvalidOperationException(
            "No server: set NATS_URL, or provision .tools/nats-server/nats-server (scripts/provision-nats.sh).");
        var port = FreePort();
        var storeDir = Directory.CreateTempSubdirectory("goflux-bench-").FullName;
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var arg in new[] { "-js", "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-sd", storeDir })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {binary}.");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("Server is ready", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }

        return new LocalServer($"nats://127.0.0.1:{port}", process, storeDir);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
            _process.Dispose();
        }

        if (_storeDir is not null)
        {
            Directory.Delete(_storeDir, recursive: true);
        }
    }

    private static string? Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ".tools", "nats-server", "nats-server");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
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
