using FluentAssertions;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// Behaviours the wide differential test found where the engine and nats-server 2.10.27 first disagreed; each is named
/// after its statement in docs/JETSTREAM-SEMANTICS.md and pinned here on both bindings.
/// </summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task S40_Interest_ConsumerUpdate_RemovesWhatItsNewFilterNoLongerNeeds()
    {
        var (stream, prefix) = Unique("S40U");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Interest);
        await ConsumerAsync(stream, "c");
        await B.PublishAsync(prefix + ".a", Bytes("a1"));
        await B.PublishAsync(prefix + ".b", Bytes("b1"));
        await B.PublishAsync(prefix + ".a", Bytes("a2"));
        var first = (await B.FetchAsync(stream, "c", 1)).Single();
        await first.AckAsync();

        await B.UpdateConsumerAsync(stream, new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit, FilterSubject = prefix + ".a" });

        var info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 1);
        (info.State.Messages, info.State.FirstSeq, info.State.LastSeq).Should().Be((1L, 3UL, 3UL), "b1 no longer interests anyone; a2 does");
    }

    [Fact]
    public async Task S60_DeliverLast_Unfiltered_StartsAtTheLastSequenceEvenWhenThatMessageIsGone()
    {
        var (stream, prefix) = Unique("S60L");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        await B.DeleteMessageAsync(stream, 3);

        var info = await ConsumerAsync(stream, "c", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.Last);
        (info.Delivered.StreamSeq, info.NumPending).Should().Be((2UL, 0UL), "the start is the last sequence (3), whose message is gone");

        await B.PurgeStreamAsync(stream);
        var afterPurge = await ConsumerAsync(stream, "d", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.Last);
        afterPurge.Delivered.StreamSeq.Should().Be(2UL, "the last sequence is still 3 after a purge (first is 4): no clamp to the first");
        await B.PublishAsync(prefix + ".a", Bytes("new"));
        (await B.FetchAsync(stream, "d", 5)).Select(m => m.Metadata.StreamSequence).Should().Equal(4UL);
    }

    [Fact]
    public async Task S103_UpdateRemovingEveryFilter_TheConsumerIsNoLongerSignalledForNewMessages()
    {
        var (stream, prefix) = Unique("S103S");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.FilterSubject = prefix + ".a");
        await B.PublishAsync(prefix + ".a", Bytes("a1"));
        await B.PublishAsync(prefix + ".b", Bytes("b1"));

        var updated = await B.UpdateConsumerAsync(stream, new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit });
        updated.NumPending.Should().Be(2, "the update counts what is pending for the new (absent) filter");
        await B.PublishAsync(prefix + ".b", Bytes("b2"));

        // The server keeps the signal list it built for the filters and, with none left, an empty one: new messages
        // are no longer counted for the consumer (they are still delivered when it pulls).
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumPending == 2);
        info.NumPending.Should().Be(2);
        (await B.FetchAsync(stream, "c", 5)).Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL, 3UL);
    }
}
