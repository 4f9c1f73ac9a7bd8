using FluentAssertions;
using FluentAssertions.Execution;
using FluentAssertions.Primitives;

namespace Goflux.Testing;

/// <summary>
/// Assertions on a <see cref="MessageHistory"/>. The settlement assertions read the deliveries in order:
/// <c>history.Should().BeNakedWithDelay(30.Seconds()).Then.BeAcked()</c> says the first delivery was naked with a
/// 30-second delay and the next one acked. Every failure message shows the message's whole history.
/// </summary>
public sealed class MessageHistoryAssertions : ReferenceTypeAssertions<MessageHistory, MessageHistoryAssertions>
{
    private int _next;

    /// <summary>Initializes a new instance of the <see cref="MessageHistoryAssertions"/> class.</summary>
    /// <param name="subject">The history.</param>
    public MessageHistoryAssertions(MessageHistory subject)
        : base(subject)
    {
    }

    /// <summary>Gets this object, to read the next delivery: <c>.BeNaked().Then.BeAcked()</c>.</summary>
    public MessageHistoryAssertions Then => this;

    /// <inheritdoc />
    protected override string Identifier => "message history";

    /// <summary>Asserts the next delivery was acked.</summary>
    /// <param name="because">Why, with <paramref name="becauseArgs"/> as its format arguments.</param>
    /// <param name="becauseArgs">The format arguments.</param>
    /// <returns>This object, for the next delivery.</returns>
    public MessageHistoryAssertions BeAcked(string because = "", params object[] becauseArgs) =>
        Next(AckOutcome.Acked, null, null, "acked", because, becauseArgs);

    /// <summary>Asserts the next delivery was naked without a delay.</summary>
    /// <param name="because">Why, with <paramref name="becauseArgs"/> as its format arguments.</param>
    /// <param name="becauseArgs">The format arguments.</param>
    /// <returns>This object, for the next delivery.</returns>
    public MessageHistoryAssertions BeNaked(string because = "", params object[] becauseArgs) =>
        Next(AckOutcome.Naked, null, null, "naked", because, becauseArgs);

    /// <summary>Asserts the next delivery was naked with <paramref name="delay"/>.</summary>
    /// <param name="delay">The expected delay.</param>
    /// <param name="because">Why, with <paramref name="becauseArgs"/> as its format arguments.</param>
    /// <param name="becauseArgs">The format arguments.</param>
    /// <returns>This object, for the next delivery.</returns>
    public MessageHistoryAssertions BeNakedWithDelay(TimeSpan delay, string because = "", params object[] becauseArgs) =>
        Next(AckOutcome.NakedWithDelay, delay, null, $"naked with a delay of {delay}", because, becauseArgs);

    /// <summary>Asserts the next delivery was terminated, with <paramref name="reason"/> when one is given.</summary>
    /// <param name="reason">The expected reason, or <see langword="null"/> for any.</param>
    /// <param name="because">Why, with <paramref name="becauseArgs"/> as its format arguments.</param>
    /// <param name="becauseArgs">The format arguments.</param>
    /// <returns>This object, for the next delivery.</returns>
    public MessageHistoryAssertions BeTerminated(string? reason = null, string because = "", params object[] becauseArgs) =>
        Next(AckOutcome.Terminated, null, reason, reason is null ? "terminated" : $"terminated with reason \"{reason}\"", because, becauseArgs);

    /// <summary>Asserts the message was redelivered exactly <paramref name="times"/> times (delivered <paramref name="times"/> + 1 times).</summary>
    /// <param name="times">The expected number of redeliveries.</param>
    /// <param name="because">Why, with <paramref name="becauseArgs"/> as its format arguments.</param>
    /// <param name="becauseArgs">The format arguments.</param>
    /// <returns>This object.</returns>
    public MessageHistoryAssertions HaveBeenRedelivered(int times, string because = "", params object[] becauseArgs)
    {
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(Subject is not null && Subject.Redeliveries == times && Subject.Select((d, i) => d.NumDelivered == (ulong)(i + 1)).All(ok => ok))
            .FailWith("Expected {context:message} to be redelivered {0} time(s) with delivery counts 1, 2, …{reason}, but it was not:{1}", times, Describe());
        return this;
    }

    /// <summary>Asserts the message was delivered exactly <paramref name="count"/> times.</summary>
    /// <param name="count">The expected number of deliveries.</param>
    /// <param name="because">Why, with <paramref name="becauseArgs"/> as its format arguments.</param>
    /// <param name="becauseArgs">The format arguments.</param>
    /// <returns>This object.</returns>
    public MessageHistoryAssertions HaveDeliveries(int count, string because = "", params object[] becauseArgs)
    {
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(Subject is not null && Subject.Count == count)
            .FailWith("Expected {context:message} to have {0} deliveries{reason}, but it has {1}:{2}", count, Subject?.Count, Describe());
        return this;
    }

    /// <summary>Asserts the handler threw <typeparamref name="TException"/> on the delivery the next settlement assertion reads.</summary>
    /// <typeparam name="TException">The exception type.</typeparam>
    /// <param name="because">Why, with <paramref name="becauseArgs"/> as its format arguments.</param>
    /// <param name="becauseArgs">The format arguments.</param>
    /// <returns>This object.</returns>
    public MessageHistoryAssertions HaveThrown<TException>(string because = "", params object[] becauseArgs)
        where TException : Exception
    {
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(Subject is not null && _next < Subject.Count && Subject[_next].Exception is TException)
            .FailWith("Expected the handler to throw {0} on delivery #{1} of {context:message}{reason}, but it did not:{2}", typeof(TException).Name, _next + 1, Describe());
        return this;
    }

    /// <summary>Asserts there are no deliveries after the ones read so far.</summary>
    /// <param name="because">Why, with <paramref name="becauseArgs"/> as its format arguments.</param>
    /// <param name="becauseArgs">The format arguments.</param>
    /// <returns>This object.</returns>
    public MessageHistoryAssertions AndNoMore(string because = "", params object[] becauseArgs)
    {
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(Subject is not null && Subject.Count == _next)
            .FailWith("Expected {context:message} to have {0} deliveries{reason}, but it has more:{1}", _next, Describe());
        return this;
    }

    private MessageHistoryAssertions Next(AckOutcome outcome, TimeSpan? delay, string? reason, string what, string because, object[] becauseArgs)
    {
        var index = _next++;
        var ok = Subject is not null && index < Subject.Count;
        if (ok)
        {
            var d = Subject![index];
            ok = d.Outcome == outcome
                && (delay is null || d.NakDelay == delay)
                && (reason is null || d.TermReason == reason);
        }

        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(ok)
            .FailWith("Expected delivery #{0} of {context:message} to be " + what.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal) + "{reason}, but it was not:{1}", index + 1, Describe());
        return this;
    }

    private RawHistory Describe() => new(Subject?.ToString() ?? "<null>");

    /// <summary>Shown verbatim in failure messages (not quoted like a string).</summary>
    private sealed class RawHistory(string text)
    {
        public override string ToString() => Environment.NewLine + text;
    }
}
