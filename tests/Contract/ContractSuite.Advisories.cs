using FluentAssertions;
using Goflux.InMemory;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>Section 12: consumer advisories (S-106 to S-109).</summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task S108_Terminated_Payload()
    {
        var (stream, prefix) = Unique("S108");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);
        await ConsumerAsync(stream, "c");
        var msgs = await B.FetchAsync(stream, "c", 2);
        await msgs[1].NakAsync();
        var again = (await B.FetchAsync(stream, "c", 1)).Single();
        await again.TermAsync("poison");
        await msgs[0].TermAsync();

        var terms = (await B.AdvisoriesAsync(stream, 3)).Where(a => a.Type == JetStreamAdvisory.TerminatedType).ToList();
        terms.Should().HaveCount(2);
        terms[0].Subject.Should().Be($"$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.{stream}.c");
        (terms[0].Stream, terms[0].Consumer, terms[0].StreamSequence, terms[0].ConsumerSequence, terms[0].Deliveries, terms[0].Reason)
            .Should().Be((stream, "c", (ulong?)2UL, (ulong?)3UL, (ulong?)2UL, "poison"));
        (terms[1].StreamSequence, terms[1].ConsumerSequence, terms[1].Deliveries, terms[1].Reason)
            .Should().Be(((ulong?)1UL, (ulong?)1UL, (ulong?)1UL, (string?)null));
    }

    [Fact]
    public async Task S109_Naked_Payload_ForNaksWithAndWithoutDelay()
    {
        var (stream, prefix) = Unique("S109");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);
        await ConsumerAsync(stream, "c");
        var msgs = await B.FetchAsync(stream, "c", 2);
        await msgs[0].NakAsync();
        await msgs[1].NakAsync(TimeSpan.FromSeconds(30));

        var naks = await B.AdvisoriesAsync(stream, 2);
        naks.Should().HaveCount(2).And.OnlyContain(a => a.Type == JetStreamAdvisory.NakType && a.Reason == null);
        naks.Select(a => a.Subject).Should().AllBe($"$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.{stream}.c");
        naks.OrderBy(a => a.StreamSequence).Select(a => (a.StreamSequence, a.ConsumerSequence, a.Deliveries))
            .Should().Equal(((ulong?)1UL, (ulong?)1UL, (ulong?)1UL), ((ulong?)2UL, (ulong?)2UL, (ulong?)1UL));
    }
}
