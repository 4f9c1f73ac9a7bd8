using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Net;

namespace NatsNetWorker.Tests;

/// <summary>
/// Where a test's NATS comes from, and the few things that differ with it: how time passes and how to wait. On the
/// engine time is virtual (a 30-second nak delay takes no wall time) and waits end when the engine is idle; on a real
/// server time is real and waits poll.
/// </summary>
public sealed class TestNats : IAsyncDisposable
{
    private readonly InMemoryJetStream? _engine;

    private TestNats(NatsClient client, InMemoryJetStream? engine)
    {
        Client = client;
        _engine = engine;
    }

    public NatsClient Client { get; }

    /// <summary>The in-memory engine on a fake clock: NATS.Net's own client, in process.</summary>
    public static TestNats Engine()
    {
        var engine = new InMemoryJetStream(new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        return new TestNats(engine.CreateClient(), engine);
    }

    /// <summary>A real nats-server.</summary>
    public static TestNats Server(string url) => new(new NatsClient(url), null);

    /// <summary>Lets time pass: virtual time on the engine, real time on a server.</summary>
    public async Task LetTimePassAsync(TimeSpan duration)
    {
        if (_engine is null)
        {
            await Task.Delay(duration, TimeProvider.System);
            return;
        }

        await _engine.AdvanceAsync(duration).WaitAsync(TimeSpan.FromMinutes(1));
    }

    /// <summary>Waits until a pull request of the consumer is open (the worker is consuming).</summary>
    public async Task ConsumingAsync(string stream, string consumer)
    {
        if (_engine is not null)
        {
            await _engine.WaitForPullRequestAsync(stream, consumer).WaitAsync(TimeSpan.FromMinutes(1));
            return;
        }

        var js = Client.CreateJetStreamContext();
        await UntilAsync(async () =>
        {
            try
            {
                return (await js.GetConsumerAsync(stream, consumer)).Info.NumWaiting > 0;
            }
            catch (NatsJSApiException)
            {
                return false; // not created yet
            }
        });
    }

    /// <summary>Waits until <paramref name="condition"/> holds: on the engine it must hold once the engine is idle.</summary>
    public async Task UntilAsync(Func<Task<bool>> condition)
    {
        if (_engine is not null)
        {
            await _engine.WaitForIdleAsync().WaitAsync(TimeSpan.FromMinutes(1));
            if (!await condition())
            {
                throw new InvalidOperationException("The condition does not hold once the engine is idle.");
            }

            return;
        }

        var clock = TimeProvider.System;
        var start = clock.GetTimestamp();
        while (!await condition())
        {
            if (clock.GetElapsedTime(start) > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("The condition did not hold within 60 s on the server.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), clock);
        }
    }

    public Task UntilAsync(Func<bool> condition) => UntilAsync(() => Task.FromResult(condition()));

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }
    }
}
