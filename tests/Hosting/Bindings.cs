using Goflux.InMemory;
using Goflux.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.Hosting.Tests;

/// <summary>The hosted-consumer suite on the in-memory engine, on virtual time.</summary>
public sealed class InMemoryHostedConsumerTests : HostedConsumerSuite, IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly InMemoryJetStream _engine;

    public InMemoryHostedConsumerTests() => _engine = new InMemoryJetStream(_time);

    protected override void UseBackend(GofluxBuilder goflux) => goflux.UseEngine(_engine);

    protected override async Task<ConsumerInfo> ConsumerInfoAsync(IHost host, string stream, string consumer, Func<ConsumerInfo, bool> until)
    {
        await _engine.WaitForIdleAsync(Ct);
        return await _engine.GetConsumerInfoAsync(stream, consumer, Ct);
    }

    protected override async Task LetTimePassAsync(IHost host, TimeSpan by)
    {
        await _engine.WaitForIdleAsync(Ct);
        await _engine.AdvanceAsync(by, Ct);
    }

    public ValueTask DisposeAsync() => _engine.DisposeAsync();
}

/// <summary>The same suite on a real nats-server (the assembly's fixture); only the backend line differs.</summary>
public sealed class JetStreamHostedConsumerTests(NatsServerFixture server) : HostedConsumerSuite
{
    protected override void UseBackend(GofluxBuilder goflux) => goflux.UseJetStream(server.Url);

    protected override async Task<ConsumerInfo> ConsumerInfoAsync(IHost host, string stream, string consumer, Func<ConsumerInfo, bool> until)
    {
        await using var connection = await server.CreateConnectionAsync(Ct);
        var js = new NatsJSContext(connection);
        var deadline = DateTimeOffsetNow() + Guard;
        while (true)
        {
            var info = (await js.GetConsumerAsync(stream, consumer, Ct)).Info;
            if (until(info) || DateTimeOffsetNow() > deadline)
            {
                return info;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), Ct);
        }
    }

    protected override Task LetTimePassAsync(IHost host, TimeSpan by) => Task.CompletedTask; // real time passes by itself; tests wait with deadlines

    private static DateTimeOffset DateTimeOffsetNow() => TimeProvider.System.GetUtcNow();
}
