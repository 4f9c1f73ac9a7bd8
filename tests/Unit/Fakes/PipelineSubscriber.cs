using System.Threading.Channels;
using Goflux.Codecs;
using Goflux.Transport;

namespace Goflux.Tests.Fakes;

internal sealed record SubscribeCall<T>(string Subject, MessageHandler<T> Handler, CancellationToken CancellationToken);

/// <summary>
/// An <see cref="ISubscriber{T}"/> that runs each delivered raw message through a real <see cref="DeliveryPipeline{T}"/>,
/// as a transport would, until its token is cancelled.
/// </summary>
internal sealed class PipelineSubscriber<T>(IMessageDecoder<T> decoder, SubscriberOptions? options = null) : ISubscriber<T>
{
    private readonly Channel<IncomingMessage> _incoming = Channel.CreateUnbounded<IncomingMessage>();
    private readonly Channel<string> _processed = Channel.CreateUnbounded<string>();
    private readonly List<SubscribeCall<T>> _calls = [];
    private readonly Lock _gate = new();

    public SubscriptionStatus Status { get; } = new SubscriptionStatusSource().Status;

    /// <summary>When set, <see cref="SubscribeAsync"/> fails with it after the queued messages were processed.</summary>
    public Exception? FailWith { get; set; }

    public IReadOnlyList<SubscribeCall<T>> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public void Deliver(params IncomingMessage[] messages)
    {
        foreach (var m in messages)
        {
            _incoming.Writer.TryWrite(m);
        }
    }

    /// <summary>Waits until the pipeline has finished <paramref name="count"/> more messages.</summary>
    public async Task WaitForProcessedAsync(int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            await _processed.Reader.ReadAsync(cancellationToken);
        }
    }

    public async Task SubscribeAsync(string subject, MessageHandler<T> handler, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _calls.Add(new SubscribeCall<T>(subject, handler, cancellationToken));
        }

        var pipeline = new DeliveryPipeline<T>(decoder, options, subject, "test-consumer");
        try
        {
            while (true)
            {
                if (FailWith is not null && !_incoming.Reader.TryPeek(out _))
                {
                    throw FailWith;
                }

                var incoming = await _incoming.Reader.ReadAsync(cancellationToken);
                await pipeline.ProcessAsync(incoming, handler, cancellationToken);
                _processed.Writer.TryWrite(incoming.Subject);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
