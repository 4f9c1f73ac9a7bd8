using FluentAssertions;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// Consumer lifecycle: inactive thresholds and the CREATED/DELETED advisories (S-47, S-106), and what a goflux subscription
/// reports when its consumer or stream goes away (S-15, S-74, S-111, S-112): the same stage, code and names on both backends.
/// </summary>
public abstract partial class ContractSuite
{
    private static readonly TimeSpan EndPatience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task S47_InactiveThreshold_RemovesIdleEphemeralAndDurable_WithADeletedAdvisory()
    {
        var (stream, prefix) = Unique("S47i");
        await StreamAsync(stream, prefix);
        var threshold = TimeSpan.FromSeconds(1);
        await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { Name = "eph", InactiveThreshold = threshold });
        await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("dur") { InactiveThreshold = threshold });
        await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("keep"));

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(500));
        (await B.GetConsumerInfoAsync(stream, "eph")).Name.Should().Be("eph", "half the threshold has passed");
        (await B.GetConsumerInfoAsync(stream, "dur")).Name.Should().Be("dur");

        // The server deletes an idle consumer after the threshold plus up to about a second of jitter; on 2.10 durables too.
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1700));
        var gone = await B.EventuallyAsync(() => CountMissingAsync(stream, "eph", "dur"), n => n == 2);
        gone.Should().Be(2, "both idle consumers are removed");
        (await ApiFailureAsync(() => B.GetConsumerInfoAsync(stream, "eph"))).ErrorCode.Should().Be(10014);
        (await ApiFailureAsync(() => B.GetConsumerInfoAsync(stream, "dur"))).ErrorCode.Should().Be(10014);
        (await B.GetConsumerInfoAsync(stream, "keep")).Name.Should().Be("keep", "a durable without a threshold stays");

        var actions = await B.ConsumerActionAdvisoriesAsync(stream, atLeast: 5);
        actions.Select(a => a.Subject).Should().BeEquivalentTo(
            $"$JS.EVENT.ADVISORY.CONSUMER.CREATED.{stream}.eph",
            $"$JS.EVENT.ADVISORY.CONSUMER.CREATED.{stream}.dur",
            $"$JS.EVENT.ADVISORY.CONSUMER.CREATED.{stream}.keep",
            $"$JS.EVENT.ADVISORY.CONSUMER.DELETED.{stream}.eph",
            $"$JS.EVENT.ADVISORY.CONSUMER.DELETED.{stream}.dur");
        actions.Should().OnlyContain(a => a.Type == JetStreamAdvisory.ConsumerActionType && a.Stream == stream);
    }

    [Fact]
    public async Task S47_InactiveThreshold_ActivityKeepsTheConsumer()
    {
        var (stream, prefix) = Unique("S47a");
        await StreamAsync(stream, prefix);
        await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { Name = "eph", InactiveThreshold = TimeSpan.FromSeconds(1) });

        // A pull request every 600 ms is activity: the consumer outlives its threshold several times over.
        for (var i = 0; i < 4; i++)
        {
            await B.LetTimePassAsync(TimeSpan.FromMilliseconds(600));
            (await B.FetchAsync(stream, "eph", 1)).Should().BeEmpty();
        }

        (await B.GetConsumerInfoAsync(stream, "eph")).Name.Should().Be("eph");
    }

    [Fact]
    public async Task S106_ConsumerAdvisories_CreatedOnce_DeletedOnDeleteAndWithTheStream()
    {
        var (stream, prefix) = Unique("S106");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "a");
        await ConsumerAsync(stream, "a"); // identical: no second CREATED
        await ConsumerAsync(stream, "a", c => c.Description = "updated"); // an update: no CREATED either
        await ConsumerAsync(stream, "b");
        await B.DeleteConsumerAsync(stream, "a");
        await B.DeleteStreamAsync(stream);

        var actions = await B.ConsumerActionAdvisoriesAsync(stream, atLeast: 4);
        actions.Select(a => (a.Subject, a.Consumer)).Should().BeEquivalentTo(new[]
        {
            ($"$JS.EVENT.ADVISORY.CONSUMER.CREATED.{stream}.a", "a"),
            ($"$JS.EVENT.ADVISORY.CONSUMER.CREATED.{stream}.b", "b"),
            ($"$JS.EVENT.ADVISORY.CONSUMER.DELETED.{stream}.a", "a"),
            ($"$JS.EVENT.ADVISORY.CONSUMER.DELETED.{stream}.b", "b"),
        });
        actions.Should().OnlyContain(a => a.Type == JetStreamAdvisory.ConsumerActionType);
        actions.Select(a => (a.StreamSequence, a.ConsumerSequence, a.Deliveries)).Should()
            .AllBeEquivalentTo(((ulong?)null, (ulong?)null, (ulong?)null), "a consumer_action advisory is about no message: the server's JSON has none of these");
    }

    [Fact]
    public async Task S112_ConsumerDeletedWhileSubscribed_EndsTheSubscriptionWith10014_AtStageSubscribe()
    {
        var (stream, prefix) = Unique("S112");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");
        var (subscriber, task) = await StartAsync(stream, "c", prefix + ".>");

        await B.DeleteConsumerAsync(stream, "c");

        var ended = await EndedAsync(task);
        (ended.Stage, ended.ErrorCode).Should().Be((GofluxStage.Subscribe, 10014));
        ended.Message.Should().Contain("'c'").And.Contain($"'{stream}'");
        subscriber.Status.State.Should().Be(SubscriptionState.Faulted);
        await subscriber.DisposeAsync();
    }

    [Fact]
    public async Task S111_StreamDeletedWhileSubscribed_EndsTheSubscriptionWith10059_AtStageSubscribe()
    {
        var (stream, prefix) = Unique("S111");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");
        var (subscriber, task) = await StartAsync(stream, "c", prefix + ".>");

        await B.DeleteStreamAsync(stream);

        var ended = await EndedAsync(task);
        (ended.Stage, ended.ErrorCode).Should().Be((GofluxStage.Subscribe, 10059));
        ended.Message.Should().Contain($"'{stream}'");
        await subscriber.DisposeAsync();
    }

    [Fact]
    public async Task S111_SubscribingAfterTheStreamWasDeleted_FailsWith10059_AtStageSubscribe()
    {
        var (stream, prefix) = Unique("S111b");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");
        await using var subscriber = await B.CreateSubscriberAsync(stream, "c", Codec);
        await B.DeleteStreamAsync(stream);

        var ended = await EndedAsync(subscriber.SubscribeAsync(prefix + ".>", (_, _) => ValueTask.CompletedTask, Ct));
        (ended.Stage, ended.ErrorCode).Should().Be((GofluxStage.Subscribe, 10059));
        ended.Message.Should().Contain($"'{stream}'");
    }

    [Fact]
    public async Task S111_ConsumerOnAMissingStream_FailsWith10059_AtStageSubscribe()
    {
        var (stream, _) = Unique("S111c");

        var thrown = await ApiFailureAsync(() => B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("c")));
        (thrown.Stage, thrown.ErrorCode).Should().Be((GofluxStage.Subscribe, 10059));
        thrown.Message.Should().Contain($"'{stream}'");
    }

    private async Task<int> CountMissingAsync(string stream, params string[] consumers)
    {
        var missing = 0;
        foreach (var c in consumers)
        {
            try
            {
                await B.GetConsumerInfoAsync(stream, c);
            }
            catch (GofluxException ex) when (ex.ErrorCode == 10014)
            {
                missing++;
            }
        }

        return missing;
    }

    /// <summary>Starts a subscription that acks everything and waits until it is listening.</summary>
    private async Task<(ISubscriber<Event> Subscriber, Task Task)> StartAsync(string stream, string consumer, string subject)
    {
        var subscriber = await B.CreateSubscriberAsync(stream, consumer, Codec);
        var task = subscriber.SubscribeAsync(subject, (_, _) => ValueTask.CompletedTask, Ct);
        var state = await B.EventuallyAsync(() => Task.FromResult(subscriber.Status.State), s => s == SubscriptionState.Listening);
        state.Should().Be(SubscriptionState.Listening);
        return (subscriber, task);
    }

    /// <summary>Waits (with a generous deadline) for a subscription to end with a <see cref="GofluxException"/>.</summary>
    private static async Task<GofluxException> EndedAsync(Task subscription)
    {
        var finished = await Task.WhenAny(subscription, Task.Delay(EndPatience, Ct));
        finished.Should().BeSameAs(subscription, "the subscription ends when its consumer or stream goes away");
        return (await FluentActions.Awaiting(() => subscription).Should().ThrowAsync<GofluxException>()).Which;
    }
}
