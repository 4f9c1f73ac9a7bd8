using FluentAssertions;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests.Engine;

/// <summary>
/// An allocation budget for the engine's own path (publish, fetch, ack; no pipeline), counted on this thread on a
/// fixed loop that runs synchronously, so neither the machine's load nor other tests move it. A regression shows here
/// in bytes (an enumerator per ack, a closure per delivery) before it shows as a slower benchmark.
/// </summary>
public sealed class AllocationTests
{
    /// <summary>
    /// What one message may cost: the copy of its 128-byte payload (its 128 bytes of a shared page, no array of its
    /// own), the delivery (96 B) and what is left of the growth of the engine's tables once they have reached the
    /// stream's size (the stored record is a 48-byte slot in the store's table, the pending entry a struct in the
    /// pending map): 237 B measured (253 B when each payload was an array). The budget leaves room for noise, not for
    /// an object per message on the hot path.
    /// </summary>
    private const int BudgetPerMessage = 300;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PublishFetchAck_128BytePayloads_StayWithinTheBudgetPerMessage()
    {
        await using var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false });
        await engine.CreateOrUpdateStreamAsync(new StreamConfig("ALLOC", ["alloc.>"]) { Storage = StreamConfigStorage.Memory, MaxMsgs = 10_000 }, Ct);
        await engine.CreateOrUpdateConsumerAsync("ALLOC", new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit, MaxAckPending = -1 }, Ct);
        var payload = new byte[128];
        // Warm-up: past the stream's limit twice over, so the store's table has grown to its steady size.
        Run(30_000).Should().Be(30_000, "every operation completes synchronously when the messages are there (warm-up)");

        const int count = 40_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var done = Run(count);
        var perMessage = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / count;

        done.Should().Be(count);
        perMessage.Should().BeLessThan(BudgetPerMessage, "one message through the engine alone costs about 237 B");

        int Run(int n)
        {
            var acked = 0;
            for (var i = 0; i < n; i += 500)
            {
                for (var j = 0; j < 500; j++)
                {
                    if (!engine.PublishAsync("alloc.events", payload, cancellationToken: Ct).IsCompletedSuccessfully)
                    {
                        return -1;
                    }
                }

                var fetch = engine.FetchAsync("ALLOC", "c", 500, cancellationToken: Ct);
                if (!fetch.IsCompletedSuccessfully)
                {
                    return -2;
                }

                foreach (var d in fetch.Result)
                {
                    acked += d.AckAsync(Ct).IsCompletedSuccessfully ? 1 : 0;
                }
            }

            return acked;
        }
    }
}
