using System.Text;
using FluentAssertions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>NATS.Net's own push consumer (<c>CreateOrUpdatePushConsumerAsync</c>, <c>ConsumeAsync</c>) (S-124 to S-134).</summary>
public abstract partial class NatsNetSuite
{
    [Fact]
    public async Task Push_DurableWithFilter_ConsumedAndAcked_ThenUnbound()
    {
        var (s, p) = Unique("PUSH");
        await StreamAsync(s, p);
        var consumer = await Js.CreateOrUpdatePushConsumerAsync(
            s,
            new NatsJSPushConsumerOpts { DurableName = "printer", DeliverSubject = $"deliver.{p}", FilterSubject = $"{p}.events", AckPolicy = ConsumerConfigAckPolicy.Explicit },
            Ct);
        consumer.Info.Config.DeliverSubject.Should().Be($"deliver.{p}");
        await Js.PublishAsync($"{p}.events", "signed-up", cancellationToken: Ct);
        await Js.PublishAsync($"{p}.other", "ignored", cancellationToken: Ct);
        await Js.PublishAsync($"{p}.events", "logged-in", cancellationToken: Ct);

        var got = new List<(string? Data, string Subject, ulong Seq)>();
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            stop.CancelAfter(TimeSpan.FromSeconds(30)); // a hang guard, not a timing assumption
            await foreach (var m in consumer.ConsumeAsync<string>(cancellationToken: stop.Token))
            {
                got.Add((m.Data, m.Subject, m.Metadata!.Value.Sequence.Stream));
                await m.AckAsync(cancellationToken: stop.Token);
                if (got.Count == 2)
                {
                    break;
                }
            }
        }

        got.Should().Equal(("signed-up", $"{p}.events", 1UL), ("logged-in", $"{p}.events", 3UL));
        var info = await T.EventuallyAsync(async () => (await Js.GetConsumerAsync(s, "printer", Ct)).Info, i => i.NumAckPending == 0 && !i.PushBound);
        (info.Delivered!.ConsumerSeq, info.AckFloor!.StreamSeq, info.NumAckPending, info.NumPending).Should().Be((2UL, 3UL, 0, 0UL));
        info.PushBound.Should().BeFalse("the consume loop ended, and with it its subscription");
    }

    [Fact]
    public async Task Push_PullRequestToAPushConsumer_Answered409()
    {
        var (s, p) = Unique("PUSH409");
        await StreamAsync(s, p);
        await Js.CreateOrUpdatePushConsumerAsync(s, new NatsJSPushConsumerOpts { DurableName = "pushed", DeliverSubject = $"deliver.{p}", AckPolicy = ConsumerConfigAckPolicy.Explicit }, Ct);

        var reply = await Client.Connection.RequestAsync<byte[], byte[]>($"$JS.API.CONSUMER.MSG.NEXT.{s}.pushed", Encoding.UTF8.GetBytes("{\"batch\":1}"), cancellationToken: Ct);

        reply.Headers!.Code.Should().Be(409);
        reply.Headers.MessageText.Should().Be("Consumer is push based");
    }

    [Fact]
    public async Task Push_IdleHeartbeats_ReachTheDeliverSubject()
    {
        var (s, p) = Unique("PUSHHB");
        await StreamAsync(s, p);
        await Js.CreateOrUpdatePushConsumerAsync(s, new NatsJSPushConsumerOpts { DurableName = "beating", DeliverSubject = $"deliver.{p}", AckPolicy = ConsumerConfigAckPolicy.Explicit, IdleHeartbeat = TimeSpan.FromMilliseconds(200) }, Ct);
        await Js.PublishAsync($"{p}.a", "one", cancellationToken: Ct);

        // Heartbeats run on the wall clock on both: NATS.Net checks them with its own wall-clock timer.
        await using var sub = await Client.Connection.SubscribeCoreAsync<byte[]>($"deliver.{p}", cancellationToken: Ct);
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        guard.CancelAfter(TimeSpan.FromSeconds(15)); // a hang guard: several heartbeat periods on a loaded machine
        var seen = new List<NatsMsg<byte[]>>();
        await foreach (var m in sub.Msgs.ReadAllAsync(guard.Token))
        {
            seen.Add(m);
            if (m.Headers?.Code == 100)
            {
                break;
            }
        }

        var delivery = seen[0];
        delivery.ReplyTo.Should().StartWith($"$JS.ACK.{s}.beating.");
        var beat = seen[^1];
        beat.Headers!.MessageText.Should().Be("Idle Heartbeat");
        beat.Headers["Nats-Last-Consumer"].ToString().Should().Be("1");
        beat.Headers["Nats-Last-Stream"].ToString().Should().Be("1");
        T.LeaveUnsettled();
    }
}
