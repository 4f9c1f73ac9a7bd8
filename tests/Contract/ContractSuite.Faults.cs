using System.Collections.Concurrent;
using FluentAssertions;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// Hostile input and faults through the typed publisher and subscriber: one set of input rules, applied in the shared
/// pipeline, so both backends accept and reject the same things and what they accept arrives unchanged.
/// </summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task F1_PublishWithTokenCancelledBeforeSending_OperationCanceledAndNothingStored()
    {
        var (stream, prefix) = Unique("F1");
        await StreamAsync(stream, prefix);
        await using var publisher = B.CreatePublisher(Codec);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var act = async () => await publisher.PublishAsync(prefix + ".a", new Event("1", "never"), cancellationToken: cancelled.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(0, "a publish cancelled before sending stores nothing, so a retry cannot duplicate it");
    }

    [Fact]
    public async Task F2_SubjectOverTheMaxLength_RejectedBeforeSending_TheLongestAllowedRoundTrips()
    {
        var (stream, prefix) = Unique("F2");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");
        await using var publisher = B.CreatePublisher(Codec);
        var longest = prefix + "." + new string('x', Subjects.MaxLength - prefix.Length - 1);
        var huge = prefix + "." + new string('x', 5_000);

        var act = async () => await publisher.PublishAsync(huge, new Event("1", "huge"), cancellationToken: Ct);
        var rejected = (await act.Should().ThrowAsync<ArgumentException>()).Which;
        var stored = await publisher.PublishAsync(longest, new Event("2", "longest"), cancellationToken: Ct);
        var fetched = await B.FetchAsync(stream, "c", 1, TimeSpan.FromSeconds(5));

        rejected.ParamName.Should().Be("subject");
        rejected.Message.Should().Contain($"over the limit of {Subjects.MaxLength} bytes").And.Contain("Nothing was sent");
        stored.Sequence.Should().Be(1, "the connection survived the rejected publish and nothing else was stored");
        fetched.Should().ContainSingle().Which.Subject.Should().Be(longest).And.HaveLength(Subjects.MaxLength);
    }

    [Theory]
    [InlineData("caf\u00e9 \u00fc")]
    [InlineData(" leading")]
    [InlineData("trailing ")]
    [InlineData("tab\tinside")]
    public async Task F3_HeaderValueTheWireWouldChange_RejectedBeforeAnythingIsSent(string value)
    {
        var (stream, prefix) = Unique("F3");
        await StreamAsync(stream, prefix);
        await using var publisher = B.CreatePublisher(Codec);

        var act = async () => await publisher.PublishAsync(
            prefix + ".a",
            new Event("1", "h"),
            new PublishOptions { Headers = new MessageHeaders().Add("Note", value) },
            cancellationToken: Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("'Note'");
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(0);
    }

    [Fact]
    public async Task F4_HeaderEdgesTheRulesAccept_ArriveUnchanged_NamesDifferingOnlyInCaseRejected()
    {
        var (stream, prefix) = Unique("F4");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");
        await using var publisher = B.CreatePublisher(Codec);
        const string punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
        var headers = new MessageHeaders()
            .Add("Empty", string.Empty)
            .Add("Spaced", "inner  two  spaces")
            .Add("Punctuation", punctuation)
            .Add("Multi", "one")
            .Add("Multi", "two")
            .Add("Multi", "one")
            .Add("camelCase-Name", "kept");
        var caseVariant = () => headers.Add("multi", "three");

        caseVariant.Should().Throw<ArgumentException>().WithMessage("*differs only in case*");
        await publisher.PublishAsync(prefix + ".a", new Event("1", "h"), new PublishOptions { Headers = headers, MessageId = "id-~!" }, cancellationToken: Ct);
        var got = new ConcurrentQueue<Message<Event>>();
        await using (await SubscribeAsync(stream, "c", prefix + ".>", (m, _) =>
        {
            got.Enqueue(m);
            return ValueTask.CompletedTask;
        }))
        {
            await B.EventuallyAsync(() => Task.FromResult(got.Count), n => n >= 1);
        }

        var message = got.Single();
        message.MessageId.Should().Be("id-~!");
        message.Headers.Names.Should().Equal("Empty", "Spaced", "Punctuation", "Multi", "camelCase-Name");
        message.Headers["Empty"].Should().Be(string.Empty);
        message.Headers["Spaced"].Should().Be("inner  two  spaces");
        message.Headers["Punctuation"].Should().Be(punctuation);
        message.Headers.TryGetValues("Multi", out var multi).Should().BeTrue();
        multi.Should().Equal("one", "two", "one");
        message.Headers["camelCase-Name"].Should().Be("kept");
        message.Headers["camelcase-name"].Should().BeNull("lookups are exact on both backends");
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("   ")]
    [InlineData(" id ")]
    public async Task F5_MessageIdBlankOrPadded_RejectedOnBothBackends(string id)
    {
        var (stream, prefix) = Unique("F5");
        await StreamAsync(stream, prefix);
        await using var publisher = B.CreatePublisher(Codec, PublisherOptions.Default with { DeduplicateByMessageId = true });

        var act = async () => await publisher.PublishAsync(prefix + ".a", new Event("1", "id"), new PublishOptions { MessageId = id }, cancellationToken: Ct);

        await act.Should().ThrowAsync<ArgumentException>();
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(0);
    }

    [Fact]
    public async Task F6_TermReasonTheWireWouldChange_RejectedAndTheMessageStaysUnsettled()
    {
        var (stream, prefix) = Unique("F6");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromSeconds(30));
        await using var publisher = B.CreatePublisher(Codec);
        await publisher.PublishAsync(prefix + ".a", new Event("1", "bad"), cancellationToken: Ct);
        var rejected = new ConcurrentQueue<Exception>();
        var outcomes = new ConcurrentQueue<AckOutcome>();

        await using (await SubscribeAsync(
            stream,
            "c",
            prefix + ".>",
            async (m, ct) =>
            {
                foreach (var reason in new[] { "caf\u00e9", " padded", "line\nbreak" })
                {
                    try
                    {
                        await m.TermAsync(reason, ct);
                    }
                    catch (ArgumentException ex)
                    {
                        rejected.Enqueue(ex);
                    }
                }

                outcomes.Enqueue(m.Outcome);
                await m.TermAsync("bad input", ct);
            },
            SubscriberOptions.Default with { ManualAck = true }))
        {
            await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumAckPending == 0 && i.Delivered?.StreamSeq == 1);
        }

        rejected.Should().HaveCount(3).And.AllSatisfy(e => e.Message.Should().Contain("term reason"));
        outcomes.Should().Equal([AckOutcome.None], "a rejected reason leaves the message unsettled");
        var advisories = await B.AdvisoriesAsync(stream, atLeast: 1);
        advisories.Should().ContainSingle(a => a.Type == Goflux.InMemory.JetStreamAdvisory.TerminatedType).Which.Reason.Should().Be("bad input");
    }
}
