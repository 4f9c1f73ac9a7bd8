using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.JetStream.Models;

namespace Goflux.Hosting.Tests;

/// <summary>Stream, subject and consumer names of one test, unique on a shared server.</summary>
public sealed record Names(string StreamName, string Subject, string ConsumerName)
{
    private static int _next;

    public static Names New()
    {
        var id = $"{Environment.ProcessId % 10000}_{Interlocked.Increment(ref _next)}_{Guid.NewGuid().ToString("N")[..6]}";
        return new Names($"HOST_{id}", $"host.{id}.orders", $"worker_{id}");
    }

    public StreamConfig Stream() => new(StreamName, [Subject]) { Storage = StreamConfigStorage.Memory };

    public ConsumerConfig Consumer() => new(ConsumerName) { AckPolicy = ConsumerConfigAckPolicy.Explicit, AckWait = TimeSpan.FromSeconds(30) };
}

/// <summary>A scoped service that remembers its scope and says when the scope is disposed.</summary>
public sealed class ScopeProbe(Recorder recorder) : IDisposable
{
    public Guid Id { get; } = Guid.NewGuid();

    public void Dispose() => recorder.ScopeDisposed(Id);
}

/// <summary>What handlers saw, shared by the test and its handlers.</summary>
public sealed class Recorder
{
    private readonly ConcurrentQueue<Order> _orders = new();
    private readonly ConcurrentQueue<Guid> _scopes = new();
    private readonly ConcurrentQueue<Guid> _disposed = new();
    private readonly SemaphoreSlim _signal = new(0);

    public IReadOnlyCollection<Order> Orders => _orders;

    public IReadOnlyCollection<Guid> Scopes => _scopes;

    public IReadOnlyCollection<Guid> DisposedScopes => _disposed;

    public void Handled(Order order, Guid scope)
    {
        _orders.Enqueue(order);
        _scopes.Enqueue(scope);
        _signal.Release();
    }

    public void ScopeDisposed(Guid scope) => _disposed.Enqueue(scope);

    public async Task WaitForAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            (await _signal.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)).Should().BeTrue($"message {i + 1} of {count} should have been handled");
        }
    }
}

/// <summary>A handler class resolved per message from its own scope.</summary>
public sealed class RecordingHandler(ScopeProbe probe, Recorder recorder) : IMessageHandler<Order>
{
    public ValueTask HandleAsync(Message<Order> message, CancellationToken cancellationToken)
    {
        recorder.Handled(message.Payload, probe.Id);
        return ValueTask.CompletedTask;
    }
}

/// <summary>An application service that publishes as soon as it starts; tells whether it ever started.</summary>
public sealed class PublishingProbe(string subject) : IHostedService
{
    public bool Started { get; private set; }

    private IServiceProvider? _services;

    public PublishingProbe Wire(IServiceProvider services)
    {
        _services = services;
        return this;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Started = true;
        if (_services?.GetService<IPublisher<Order>>() is { } publisher)
        {
            await publisher.PublishAsync(subject, new Order("from-app", 1), cancellationToken: cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
