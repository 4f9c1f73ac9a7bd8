using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Goflux.Testing.Tests;

/// <summary>Every start and clean-up of a server or container is bounded by a timeout and fails with a message.</summary>
public sealed class FixtureTimeoutTests
{
    [Fact]
    public async Task NatsServerHandle_CleanUpHangs_DisposeFailsWithinStopTimeout()
    {
        var hung = new TaskCompletionSource();
        var handle = new NatsServerHandle("nats://127.0.0.1:1", NatsServerSource.Testcontainers, "container 0123456789ab", _ => new ValueTask(hung.Task), TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        var dispose = async () => await handle.DisposeAsync();

        (await dispose.Should().ThrowAsync<TimeoutException>())
            .Which.Message.Should().Contain("did not finish within 0.3 s").And.Contain("docker ps");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "the clean-up is bounded by its 0.3 s timeout (generous tolerance for a loaded machine)");
    }

    [Fact]
    public async Task NatsServerHandle_CleanUpFinishes_DisposeReturnsAndRunsItOnce()
    {
        var stops = 0;
        var handle = new NatsServerHandle("nats://127.0.0.1:1", NatsServerSource.Binary, "nats-server", _ =>
        {
            stops++;
            return ValueTask.CompletedTask;
        }, TimeSpan.FromSeconds(5));

        await handle.DisposeAsync();
        await handle.DisposeAsync();

        stops.Should().Be(1);
    }

    [Fact]
    public async Task StartContainerAsync_DockerEngineHangs_FailsWithinStartAndStopTimeouts()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var engine = HangingDockerEngine.Start();
        var options = new NatsServerOptions
        {
            Environment = new Dictionary<string, string?> { ["DOCKER_HOST"] = engine.Endpoint },
            StartTimeout = TimeSpan.FromSeconds(2),
            StopTimeout = TimeSpan.FromSeconds(1),
        };
        var clock = Stopwatch.StartNew();

        var start = () => NatsServerLaunchers.StartContainerAsync("nats:2.10", options, ct);

        (await start.Should().ThrowAsync<TimeoutException>())
            .Which.Message.Should().MatchRegex("did not finish within [12] s").And.Contain("Docker");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "start (2 s) and the clean-up after it (1 s) are both bounded");
        engine.Requests.Should().BeGreaterThan(0, "the fake engine must have been asked (else this proves nothing)");
    }

    [Fact]
    public async Task DockerEngineAnswersAsync_EngineNeverAnswers_FalseWithinTheProbeTimeout()
    {
        await using var engine = HangingDockerEngine.Start(answerPing: false);
        var clock = Stopwatch.StartNew();

        var answers = await NatsServerLaunchers.DockerEngineAnswersAsync(
            new Dictionary<string, string?> { ["DOCKER_HOST"] = engine.Endpoint }, TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken);

        answers.Should().BeFalse();
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
    }

    /// <summary>A Unix socket that answers <c>GET /_ping</c> like a Docker engine and then never answers anything else.</summary>
    private sealed class HangingDockerEngine : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly string _path;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Socket> _held = [];
        private readonly Task _loop;
        private int _requests;

        private HangingDockerEngine(string path, bool answerPing)
        {
            _path = path;
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen(16);
            _loop = Task.Run(() => AcceptAsync(answerPing));
        }

        public string Endpoint => "unix://" + _path;

        public int Requests => Volatile.Read(ref _requests);

        public static HangingDockerEngine Start(bool answerPing = true) =>
            new(Path.Combine(Path.GetTempPath(), $"goflux-hung-docker-{Guid.NewGuid():N}.sock"), answerPing);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            lock (_held)
            {
                foreach (var s in _held)
                {
                    s.Dispose();
                }
            }

            try
            {
                await _loop;
            }
            catch (Exception)
            {
            }

            File.Delete(_path);
            _stop.Dispose();
        }

        private async Task AcceptAsync(bool answerPing)
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptAsync(_stop.Token);
                }
                catch (Exception)
                {
                    return;
                }

                lock (_held)
                {
                    _held.Add(client);
                }

                _ = Task.Run(async () =>
                {
                    var buffer = new byte[8192];
                    try
                    {
                        var read = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                        Interlocked.Increment(ref _requests);
                        var request = Encoding.ASCII.GetString(buffer, 0, read);
                        if (answerPing && request.Contains("/_ping", StringComparison.Ordinal))
                        {
                            await client.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK"u8.ToArray(), SocketFlags.None, _stop.Token);
                        }

                        // Anything else: hold the connection open and never answer, like an engine that hangs.
                    }
                    catch (Exception)
                    {
                    }
                });
            }
        }
    }
}
