using System.Diagnostics;
using FluentAssertions;
using FluentAssertions.Execution;
using FluentAssertions.Primitives;

namespace Goflux.Testing;

/// <summary>Assertions on a span (<see cref="Activity"/>): links, parents, roots.</summary>
public sealed class SpanAssertions : ReferenceTypeAssertions<Activity, SpanAssertions>
{
    /// <summary>Initializes a new instance of the <see cref="SpanAssertions"/> class.</summary>
    /// <param name="subject">The span.</param>
    public SpanAssertions(Activity subject)
        : base(subject)
    {
    }

    /// <inheritdoc />
    protected override string Identifier => "span";

    /// <summary>Asserts the span links to <paramref name="producer"/> (same trace and span id).</summary>
    /// <param name="producer">The span it should link to.</param>
    /// <param name="because">Why, with <paramref name="becauseArgs"/> as its format arguments.</param>
    /// <param name="becauseArgs">The format arguments.</param>
    /// <returns>A constraint to chain more assertions with <c>And</c>.</returns>
    public AndConstraint<SpanAssertions> BeLinkedTo(Activity producer, string because = "", params object[] becauseArgs)
    {
        ArgumentNullException.ThrowIfNull(producer);
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(Subject is not null && Subject.Links.Any(l => l.Context.TraceId == producer.TraceId && l.Context.SpanId == producer.SpanId))
            .FailWith("Expected {context:span} {0} to link to {1} ({2}/{3}){reason}, but its links are {4}.", Subject?.DisplayName, producer.DisplayName, producer.TraceId, producer.SpanId, Links());
        return new AndConstraint<SpanAssertions>(this);
    }

    /// <summary>Asserts the span is a root: it has no parent.</summary>
    /// <param name="because">Why, with <paramref name="becauseArgs"/> as its format arguments.</param>
    /// <param name="becauseArgs">The format arguments.</param>
    /// <returns>A constraint to chain more assertions with <c>And</c>.</returns>
    public AndConstraint<SpanAssertions> BeRoot(string because = "", params object[] becauseArgs)
    {
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(Subject is not null && Subject.ParentSpanId == default && Subject.Parent is null)
            .FailWith("Expected {context:span} {0} to be a root span{reason}, but its parent is {1}.", Subject?.DisplayName, Subject?.ParentSpanId);
        return new AndConstraint<SpanAssertions>(this);
    }

    /// <summary>Asserts the span is not a child of <paramref name="other"/> (nor in its trace).</summary>
    /// <param name="other">The span it must not descend from.</param>
    /// <param name="because">Why, with <paramref name="becauseArgs"/> as its format arguments.</param>
    /// <param name="becauseArgs">The format arguments.</param>
    /// <returns>A constraint to chain more assertions with <c>And</c>.</returns>
    public AndConstraint<SpanAssertions> NotBeParentedBy(Activity other, string because = "", params object[] becauseArgs)
    {
        ArgumentNullException.ThrowIfNull(other);
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(Subject is not null && Subject.ParentSpanId != other.SpanId && Subject.TraceId != other.TraceId)
            .FailWith("Expected {context:span} {0} not to be parented by {1}{reason}, but it is in trace {2} with parent {3}.", Subject?.DisplayName, other.DisplayName, Subject?.TraceId, Subject?.ParentSpanId);
        return new AndConstraint<SpanAssertions>(this);
    }

    private string Links() =>
        Subject is null || !Subject.Links.Any()
            ? "none"
            : string.Join(", ", Subject.Links.Select(l => $"{l.Context.TraceId}/{l.Context.SpanId}"));
}
