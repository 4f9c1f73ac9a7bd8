using System.Text;
using FluentAssertions;
using Goflux.InMemory;
using Goflux.InMemory.Internal;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests.Engine;

/// <summary>
/// The subject indexes that route a publish to its stream and a stored message to the consumers whose filters match:
/// they must answer exactly what matching every pattern one by one answers, and follow every change of the topology.
/// </summary>
public sealed class SubjectIndexTests
{
    private static readonly string[] Tokens = ["a", "b", "c", "ab"];
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("x");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Match_RandomPatternsAndSubjects_FindsExactlyWhatSubjectsMatchesFinds()
    {
        var random = new Random(1234);
        for (var round = 0; round < 300; round++)
        {
            var index = new SubjectIndex<string>();
            var patterns = Enumerable.Range(0, random.Next(1, 12)).Select(_ => Draw(random, wildcards: true)).ToList();
            foreach (var p in patterns)
            {
                index.Add(p, p);
            }

            index.Count.Should().Be(patterns.Count);
            for (var i = 0; i < 40; i++)
            {
                var subject = Draw(random, wildcards: false);
                var found = new List<string>();
                index.Match(subject, found);
                found.Should().BeEquivalentTo(patterns.Where(p => Subjects.Matches(p, subject)), "pattern set {0}, subject {1}", string.Join(' ', patterns), subject);
            }
        }
    }

    [Fact]
    public async Task Publish_ManyStreams_EachSubjectReachesItsStream_AndFollowsDeleteAndUpdate()
    {
        await using var engine = new InMemoryJetStream();
        for (var i = 0; i < 50; i++)
        {
            await engine.CreateOrUpdateStreamAsync(new StreamConfig($"S{i}", [$"s.{i}.>"]), Ct);
        }

        for (var i = 0; i < 50; i++)
        {
            var ack = await engine.PublishAsync($"s.{i}.x", Payload, cancellationToken: Ct);
            ack.Stream.Should().Be($"S{i}");
        }

        await engine.DeleteStreamAsync("S7", Ct);
        var gone = async () => await engine.PublishAsync("s.7.x", Payload, cancellationToken: Ct);
        (await gone.Should().ThrowAsync<GofluxException>()).Which.PublishOutcome.Should().Be(PublishOutcome.NoStream);

        // S8 takes over S7's subjects by an update; its own old ones no longer route.
        await engine.CreateOrUpdateStreamAsync(new StreamConfig("S8", ["s.7.>"]), Ct);
        (await engine.PublishAsync("s.7.y", Payload, cancellationToken: Ct)).Stream.Should().Be("S8");
        var old = async () => await engine.PublishAsync("s.8.x", Payload, cancellationToken: Ct);
        (await old.Should().ThrowAsync<GofluxException>()).Which.PublishOutcome.Should().Be(PublishOutcome.NoStream);
    }

    [Fact]
    public async Task Publish_ManyFilteredConsumers_EachMessageCountsForTheConsumersWhoseFiltersMatch()
    {
        await using var engine = new InMemoryJetStream();
        await engine.CreateOrUpdateStreamAsync(new StreamConfig("S", ["s.>"]), Ct);
        for (var i = 0; i < 40; i++)
        {
            await engine.CreateOrUpdateConsumerAsync("S", new ConsumerConfig($"c{i}") { FilterSubject = $"s.{i}" }, Ct);
        }

        await engine.CreateOrUpdateConsumerAsync("S", new ConsumerConfig("two") { FilterSubjects = ["s.1", "s.3"] }, Ct);
        await engine.CreateOrUpdateConsumerAsync("S", new ConsumerConfig("all"), Ct);
        for (var i = 0; i < 40; i++)
        {
            for (var k = 0; k <= i % 3; k++)
            {
                await engine.PublishAsync($"s.{i}", Payload, cancellationToken: Ct);
            }
        }

        for (var i = 0; i < 40; i++)
        {
            var info = await engine.GetConsumerInfoAsync("S", $"c{i}", Ct);
            info.NumPending.Should().Be((ulong)((i % 3) + 1), "consumer c{0}", i);
        }

        var total = (ulong)Enumerable.Range(0, 40).Sum(i => (i % 3) + 1);
        (await engine.GetConsumerInfoAsync("S", "all", Ct)).NumPending.Should().Be(total);
        var two = await engine.FetchAsync("S", "two", 1000, cancellationToken: Ct);
        two.Select(d => d.Subject).Should().Equal("s.1", "s.1", "s.3");

        // A filter changed by an update routes new messages by the new filter.
        await engine.CreateOrUpdateConsumerAsync("S", new ConsumerConfig("c5") { FilterSubject = "s.6" }, Ct);
        await engine.PublishAsync("s.6", Payload, cancellationToken: Ct);
        await engine.PublishAsync("s.5", Payload, cancellationToken: Ct);
        var c5 = await engine.FetchAsync("S", "c5", 100, cancellationToken: Ct);
        c5.Select(d => d.Subject).Should().EndWith("s.6").And.NotContain("s.5");
    }

    private static string Draw(Random random, bool wildcards)
    {
        var n = random.Next(1, 4);
        var tokens = new List<string>();
        for (var i = 0; i < n; i++)
        {
            var roll = random.Next(10);
            if (wildcards && roll == 0 && i == n - 1)
            {
                tokens.Add(">");
            }
            else if (wildcards && roll <= 2)
            {
                tokens.Add("*");
            }
            else
            {
                tokens.Add(Tokens[random.Next(Tokens.Length)]);
            }
        }

        return string.Join('.', tokens);
    }
}
