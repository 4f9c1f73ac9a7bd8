using FluentAssertions;
using Goflux.InMemory.Internal;
using Xunit;

namespace Goflux.Contract.Tests.Engine;

/// <summary>
/// The map a consumer keeps its pending messages in: against a sorted dictionary, over random adds (mostly ascending,
/// some lower, some re-adds), removals, next-after lookups and ordered walks.
/// </summary>
public sealed class SequenceMapTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomOperations_AgreeWithASortedDictionary(int seed)
    {
        var random = new Random(seed);
        var map = new SequenceMap<string>();
        var model = new SortedDictionary<ulong, string>();
        ulong top = 0;
        for (var step = 0; step < 20_000; step++)
        {
            var roll = random.Next(100);
            if (roll < 45)
            {
                // Mostly the next sequences up, sometimes one below the top (re-added or new).
                var seq = random.Next(10) == 0 && top > 0 ? (ulong)random.NextInt64(1, (long)top + 1) : ++top;
                var value = $"v{step}";
                map.Set(seq, value);
                model[seq] = value;
            }
            else if (roll < 90 && model.Count > 0)
            {
                // Mostly the lowest (in-order acks), sometimes any.
                var seq = random.Next(4) == 0 ? model.Keys.ElementAt(random.Next(model.Count)) : model.Keys.First();
                map.Remove(seq, out var removed).Should().BeTrue();
                removed.Should().Be(model[seq]);
                model.Remove(seq);
                map.Remove(seq, out _).Should().BeFalse("it was removed already");
            }
            else
            {
                var probe = (ulong)random.NextInt64(0, (long)top + 2);
                var expected = model.Keys.Where(k => k > probe).Cast<ulong?>().FirstOrDefault();
                map.TryGetNext(probe, out var next, out var value).Should().Be(expected is not null, "next after {0} at step {1}", probe, step);
                if (expected is { } e)
                {
                    next.Should().Be(e);
                    value.Should().Be(model[e]);
                }
            }

            map.Count.Should().Be(model.Count);
            if (step % 500 == 0)
            {
                var walked = new List<KeyValuePair<ulong, string>>();
                foreach (var entry in map)
                {
                    walked.Add(entry);
                }

                walked.Should().Equal(model);
                map.Should().Equal(model, "the LINQ view walks the same order");
            }
        }

        map.Clear();
        map.Count.Should().Be(0);
        map.TryGetNext(0, out _, out _).Should().BeFalse();
    }

    [Fact]
    public void DeadlineHeap_StaysSizedToWhatIsPending_AfterManyDeliveriesAndAcks()
    {
        var start = DateTimeOffset.UnixEpoch;
        var set = new PendingSet((_, p) => p.Timestamp + TimeSpan.FromSeconds(30));
        for (ulong seq = 1; seq <= 100_000; seq++)
        {
            set.Track(seq, seq, start.AddTicks((long)seq), DeadlineCause.AckWait);
            if (seq > 10)
            {
                set.Remove(seq - 10).Should().BeTrue();
            }
        }

        set.Count.Should().Be(10);
        set.DeadlineCount.Should().BeLessThan(200, "settled deadlines are dropped once they outnumber the live ones");
        var (due, next) = set.TakeDue(start.AddSeconds(31));
        due.Should().BeEquivalentTo(Enumerable.Range(99_991, 10).Select(i => (ulong)i));
        next.Should().BeNull();
    }

    [Fact]
    public void PendingAgainAfterSettled_TheEarlierDeadlineNoLongerCounts()
    {
        var start = DateTimeOffset.UnixEpoch;
        var set = new PendingSet((_, p) => p.Timestamp + TimeSpan.FromSeconds(30));
        set.Track(1, 1, start, DeadlineCause.AckWait);
        set.Remove(1).Should().BeTrue();
        set.Track(1, 5, start.AddSeconds(100), DeadlineCause.AckWait);

        var (due, next) = set.TakeDue(start.AddSeconds(31));
        due.Should().BeEmpty("the deadline of the first time it was pending went with it");
        next.Should().Be(start.AddSeconds(130));
        set.TryGet(1, out var entry).Should().BeTrue();
        entry.Sequence.Should().Be(5UL);
    }
}
