using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Goflux.Streaming;

/// <summary>
/// Bridges a subscriber to a <see cref="ChannelReader{T}"/> or an <see cref="IAsyncEnumerable{T}"/>, and processes a
/// channel with bounded concurrency.
/// </summary>
/// <remarks>
/// Messages read from the bridge are handed over unsettled: whoever reads them settles them (or lets
/// <see cref="ProcessAsync{T}(ChannelReader{Message{T}}, int, MessageHandler{T}, CancellationToken)"/> do it). The
/// subscriber's auto-ack does not apply to them. A full channel holds back the subscription (back-pressure).
/// </remarks>
public static class SubscriberStreams
{
    /// <summary>Starts a subscription that writes every message into a bounded channel.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="subscriber">The subscriber.</param>
    /// <param name="subject">The subject.</param>
    /// <param name="capacity">The channel's capacity, at least 1.</param>
    /// <param name="cancellationToken">Cancel to stop the subscription; the channel then completes.</param>
    /// <returns>The reader. It completes when the subscription stops, with the subscription's error if it failed.</returns>
    public static ChannelReader<Message<T>> ToChannel<T>(this ISubscriber<T> subscriber, string subject, int capacity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        Subjects.ValidatePattern(subject);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var channel = Channel.CreateBounded<Message<T>>(new BoundedChannelOptions(capacity)
        {
            SingleWriter = false,
            SingleReader = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _ = RunAsync(subscriber, subject, channel.Writer, cancellationToken);
        return channel.Reader;
    }

    /// <summary>Starts a subscription and yields its messages.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="subscriber">The subscriber.</param>
    /// <param name="subject">The subject.</param>
    /// <param name="capacity">How many messages may wait unread.</param>
    /// <param name="cancellationToken">Cancel to stop.</param>
    /// <returns>The messages, unsettled.</returns>
    public static async IAsyncEnumerable<Message<T>> ToAsyncEnumerable<T>(this ISubscriber<T> subscriber, string subject, int capacity, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Stopping the enumeration (break, dispose) stops the subscription too.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = ToChannel(subscriber, subject, capacity, stop.Token);
        try
        {
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (reader.TryRead(out var message))
                {
                    yield return message;
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs <paramref name="handler"/> over the messages of <paramref name="reader"/>, at most
    /// <paramref name="concurrency"/> at a time. A message the handler leaves unsettled is acked when it returns and
    /// naked when it throws. When the transport fails to settle a message, processing goes on and the server redelivers
    /// that message after its ack wait.
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="reader">The messages.</param>
    /// <param name="concurrency">The most handlers running at once, at least 1.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="cancellationToken">Cancel to stop taking new messages.</param>
    /// <returns>A task that completes when the reader is complete (or cancelled) and every handler has finished.</returns>
    public static Task ProcessAsync<T>(this ChannelReader<Message<T>> reader, int concurrency, MessageHandler<T> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        var workers = new Task[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            workers[i] = WorkerAsync(reader, handler, cancellationToken);
        }

        return Task.WhenAll(workers);
    }

    private static async Task WorkerAsync<T>(ChannelReader<Message<T>> reader, MessageHandler<T> handler, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (!cancellationToken.IsCancellationRequested && reader.TryRead(out var message))
                {
                    try
                    {
                        await handler(message, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception) when (!message.IsSettled)
                    {
                        await SettleQuietlyAsync(message.NakAsync(CancellationToken.None)).ConfigureAwait(false);
                        continue;
                    }
                    catch (Exception)
                    {
                        continue;
                    }

                    if (!message.IsSettled)
                    {
                        await SettleQuietlyAsync(message.AckAsync(CancellationToken.None)).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static async ValueTask SettleQuietlyAsync(ValueTask<bool> settle)
    {
        try
        {
            await settle.ConfigureAwait(false);
        }
        catch (GofluxException)
        {
            // The transport could not settle the message; the server redelivers it after its ack wait.
        }
    }

    private static async Task RunAsync<T>(ISubscriber<T> subscriber, string subject, ChannelWriter<Message<T>> writer, CancellationToken cancellationToken)
    {
        Exception? error = null;
        try
        {
            await subscriber.SubscribeAsync(
                subject,
                async (message, ct) =>
                {
                    message.Detach();
                    await writer.WriteAsync(message, ct).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            error = ex;
        }
        finally
        {
            writer.TryComplete(error);
        }
    }
}
