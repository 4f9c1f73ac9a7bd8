using System.Collections.Concurrent;
using FluentAssertions;
using Goflux.InMemory;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// Cancellation and disposal of goflux subscribers and publishers, on both backends: after cancellation no handler is
/// called and messages pulled but not handled stay pending, to come back after their ack wait (S-91); a disposed
/// subscriber or publisher refuses further use.
/// </summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task L1_CancelAfter20Of200_NoHandlerCallAfterIt_UnhandledComeBackAfterAckWait_NoneExhausted()
    {
        var (stream, prefix) = Unique("L1");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c =>
        {
            // Generous on a real server: the second subscription must settle all 181 redeliveries within one ack
            // wait, or some come back a third time (seen once with 2 s on a loaded 2-core machine).
            c.AckWait = TimeSpan.FromSeconds(5);
            c.MaxDeliver = 5;
        });
        await using (var publisher = B.CreatePublisher(Codec))
        {
            for (var i = 1; i <= 200; i++)
            {
                await publisher.PublishAsync(prefix + ".a", new Event(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "n"), cancellationToken: Ct);
            }
        }

        var subscriber = await B.CreateSubscriberAsync(stream, "c", Codec);
        using var cts = new CancellationTokenSource();
        var calls = 0;
        var afterCancel = 0;
        var first = subscriber.SubscribeAsync(prefix + ".>", (_, ct) =>
        {
            if (ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref afterCancel);
            }

            if (Interlocked.Increment(ref calls) == 20)
            {
                cts.Cancel();
            }

            ct.ThrowIfCancellationRequested();
            return ValueTask.CompletedTask;
        }, cts.Token);
        await first.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await subscriber.DisposeAsync();

        Volatile.Read(ref calls).Should().Be(20);
        Volatile.Read(ref afterCancel).Should().Be(0, "no handler is called after cancellation");

        await B.LetTimePassAsync(TimeSpan.FromSeconds(5.5));
        var seen = new ConcurrentQueue<DeliveryInfo>();
        await using (var run = await SubscribeAsync(stream, "c", prefix + ".>", (m, _) =>
        {
            seen.Enqueue(m.Delivery!.Value);
            return ValueTask.CompletedTask;
        }))
        {
            await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumAckPending == 0 && i.NumPending == 0 && i.Delivered?.StreamSeq == 200);
        }

        seen.Select(d => d.StreamSequence).Should().BeEquivalentTo(Enumerable.Range(20, 181).Select(i => (ulong)i), "each unhandled message comes back once");
        // Buffered messages were never settled: each comes back exactly once more. The 20th was in its handler when the
        // token was cancelled; the handler threw, so the pipeline nakked it, and a server may hand that redelivery to
        // the cancelled subscription's pull request, still open on its side, before the client's interest is gone
        // (seen once in a clean-clone run: #3 after one more ack wait).
        seen.Where(d => d.StreamSequence != 20).Should().OnlyContain(d => d.NumDelivered <= 2);
        seen.Where(d => d.StreamSequence == 20).Should().OnlyContain(d => d.NumDelivered <= 3);
        (await B.AdvisoriesAsync(stream)).Should().NotContain(a => a.Type == JetStreamAdvisory.MaxDeliverType);
    }

    [Fact]
    public async Task L2_DisposeSubscriber_RunningSubscriptionEndsNormally_LaterSubscribeThrowsObjectDisposed()
    {
        var (stream, prefix) = Unique("L2");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");
        var subscriber = await B.CreateSubscriberAsync(stream, "c", Codec);
        var running = subscriber.SubscribeAsync(prefix + ".>", (_, _) => ValueTask.CompletedTask, Ct);
        await subscriber.Status.WaitForListeningAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        await subscriber.DisposeAsync();

        await running.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        subscriber.Status.State.Should().Be(SubscriptionState.Stopped);
        var later = () => subscriber.SubscribeAsync(prefix + ".>", (_, _) => ValueTask.CompletedTask, Ct);
        await later.Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task L3_DisposePublisher_LaterPublishThrowsObjectDisposed_NothingStored()
    {
        var (stream, prefix) = Unique("L3");
        await StreamAsync(stream, prefix);
        var publisher = B.CreatePublisher(Codec);
        await publisher.PublishAsync(prefix + ".a", new Event("1", "kept"), cancellationToken: Ct);

        await publisher.DisposeAsync();

        var later = () => publisher.PublishAsync(prefix + ".a", new Event("2", "refused"), cancellationToken: Ct).AsTask();
        await later.Should().ThrowAsync<ObjectDisposedException>();
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(1);
    }
}
