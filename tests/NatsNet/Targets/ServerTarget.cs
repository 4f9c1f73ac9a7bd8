using Goflux.InMemory;
using Goflux.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Net;

namespace Goflux.NatsNet.Tests.Targets;

/// <summary>A real nats-server 2.10 (the oracle), found or started by the repository's <see cref="NatsServerFixture"/>.</summary>
public sealed class ServerTarget : INatsTarget
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly List<NatsClient> _clients = [];
    private readonly string _url;

    private ServerTarget(string url)
    {
        _url = url;
        Client = new NatsClient(new NatsOpts { Url = url });
        _clients.Add(Client);
    }

    public string Name => "server";

    public bool RealTime => true;

    public NatsClient Client { get; }

    public InMemoryJetStream? Engine => null;

    public static async Task<ServerTarget> StartAsync(NatsServerFixture fixture)
    {
        var target = new ServerTarget(await fixture.StartAsync());
        await target.Client.ConnectAsync();
        return target;
    }

    public async Task<NatsClient> NewClientAsync()
    {
        var c = new NatsClient(new NatsOpts { Url = _url });
        await c.ConnectAsync();
        lock (_clients)
        {
            _clients.Add(c);
        }

        return c;
    }

    public Task LetTimePassAsync(TimeSpan duration) => Task.Delay(duration, TimeProvider.System);

    public async Task ConsumingAsync(string stream, string consumer)
    {
        var js = Client.CreateJetStreamContext();
        var consuming = await EventuallyAsync(async () => (await js.GetConsumerAsync(stream, consumer)).Info is var i && (i.NumWaiting > 0 || i.PushBound), c => c);
        if (!consuming)
        {
            throw new TimeoutException($"No pull request (or subscription, for a push consumer) of '{consumer}' on '{stream}' within {Patience.TotalSeconds} s.");
        }
    }

    public void LeaveUnsettled()
    {
    }

    public async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var clock = TimeProvider.System;
        var start = clock.GetTimestamp();
        while (true)
        {
            var value = await probe();
            if (done(value) || clock.GetElapsedTime(start) >= (timeout ?? Patience))
            {
                return value;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25), clock);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<NatsClient> clients;
        lock (_clients)
        {
            clients = [.. _clients];
        }

        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }
    }

}
