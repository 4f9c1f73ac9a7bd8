using System.Threading.Channels;
using Goflux.Codecs;
using Goflux.InMemory.Internal;
using Goflux.Transport;

namespace Goflux.InMemory;

/// <summary>
/// Delivers a consumer's messages from an <see cref="InMemoryJetStream"/> to a handler, through the same pipeline as the
/// JetStream subscriber: decode (failure: term), root consumer span linked to the producer, auto-ack.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <remarks>
/// <para>
/// Like NATS.Net's <c>ConsumeAsync</c>, it keeps a pull window of <see cref="SubscriberOptions.MaxMessages"/> messages and
/// asks for more when half of it is used, so a message naked now comes back after the messages already pulled.
/// </para>
/// <para>
/// NATS.Net 3.3 counts a message against the window only when the consuming loop comes back for the next one (after its
/// <c>yield return</c>), that is after the handler has returned and the message was settled. So with a window of 1 the
/// next pull request leaves only once the handler is done, and a message naked by it comes back before the next new one.
/// (On a real server a plain nak travels the consumer's ack queue while a pull request does not, so a nak sent just
/// before the pull can still lose that race; the contract scenario waits for the nak to be applied.)
/// </para>
/// </remarks>
public sealed class InMemorySubscriber<T> : ISubscriber<T>
{
    private readonly InMemoryConsumer _consumer;
    private readonly IMessageDecoder<T> _decoder;
    private readonly SubscriberOptions _options;

    /// <summary>Initializes a new instance of the <see cref="InMemorySubscriber{T}"/> class.</summary>
    /// <param name="consumer">The consumer to pull from; not owned.</param>
    /// <param name="decoder">The payload decoder.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="SubscriberOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public InMemorySubscriber(InMemoryConsumer consumer, IMessageDecoder<T> decoder, SubscriberOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(decoder);
        _consumer = consumer;
        _decoder = decoder;
        _options = options ?? SubscriberOptions.Default;
        _options.Validate();
    }

    /// <inheritdoc />
    public SubscriptionStatus Status { get; } = new();

    /// <inheritdoc />
    public async Task SubscribeAsync(string subject, MessageHandler<T> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var pipeline = new DeliveryPipeline<T>(_decoder, _options, subject, _consumer.Name);
        var engine = _consumer.Engine;
        var channel = Channel.CreateUnbounded<InMemoryDelivery>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        var open = new List<PullRequest>();
        var max = _options.MaxMessages;
        var threshold = max / 2;
        var pendingMsgs = 0;

        void Completed(Exception? error)
        {
            if (error is not null)
            {
                channel.Writer.TryComplete(error);
            }
        }

        void Pull(int batch)
        {
            var request = engine.Pull(_consumer.Stream, _consumer.Name, batch, d => channel.Writer.TryWrite(d), Completed);
            pendingMsgs += batch;
            lock (open)
            {
                open.RemoveAll(r => r.Done);
                if (!request.Done)
                {
                    open.Add(request);
                }
            }
        }

        Status.Report(SubscriptionState.Starting);
        Exception? ended = null;
        try
        {
            Pull(max);
            Status.Report(SubscriptionState.Listening);
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var delivery))
                {
                    try
                    {
                        await pipeline.ProcessAsync(
                            new IncomingMessage(delivery.Subject, delivery.Data, delivery.Headers, delivery.Metadata, delivery),
                            handler,
                            cancellationToken).ConfigureAwait(false);

                        // Counted once handled, as NATS.Net does after the consuming loop's yield returns.
                        pendingMsgs--;
                        if (pendingMsgs <= threshold && pendingMsgs < max && !cancellationToken.IsCancellationRequested)
                        {
                            Pull(max - pendingMsgs);
                        }
                    }
                    finally
                    {
                        engine.Handled();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException ex) when (ex.InnerException is GofluxException inner)
        {
            ended = inner;
            throw new GofluxException(GofluxStage.Subscribe, $"Subscription to '{subject}' on consumer '{_consumer.Name}' ended: {inner.Message}", inner, subject, inner.ErrorCode);
        }
        catch (GofluxException ex) when (ex.Stage != GofluxStage.Subscribe)
        {
            ended = ex;
            throw new GofluxException(GofluxStage.Subscribe, $"Subscription to '{subject}' on consumer '{_consumer.Name}' ended: {ex.Message}", ex, subject, ex.ErrorCode);
        }
        catch (GofluxException ex)
        {
            // A pull request ended by the engine (consumer or stream deleted): the subscription faulted with that error.
            ended = ex;
            throw;
        }
        finally
        {
            Status.Report(ended is null ? SubscriptionState.Stopped : SubscriptionState.Faulted, ended);
            List<PullRequest> toCancel;
            lock (open)
            {
                toCancel = [.. open];
                open.Clear();
            }

            foreach (var r in toCancel)
            {
                engine.Cancel(_consumer.Stream, _consumer.Name, r);
            }

            channel.Writer.TryComplete();
            while (channel.Reader.TryRead(out _))
            {
                engine.Handled(); // Pulled but never handled: the server would redeliver them after their ack wait.
            }
        }
    }

    /// <summary>Does nothing: the consumer and engine are not owned.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync() => default;
}
