using System.Diagnostics;

namespace Goflux.Testing;

/// <summary>The entry points of the goflux assertions (FluentAssertions 7), from the Goflux.Testing.FluentAssertions package.</summary>
public static class GofluxAssertionExtensions
{
    /// <summary>Starts assertions on a message's history.</summary>
    /// <param name="history">The history, from <see cref="OutcomeLedger.History"/> or <see cref="TestBackend.WaitForOutcomeAsync"/>.</param>
    /// <returns>The assertions.</returns>
    public static MessageHistoryAssertions Should(this MessageHistory? history) => new(history!);

    /// <summary>Starts assertions on a span.</summary>
    /// <param name="span">The span.</param>
    /// <returns>The assertions.</returns>
    public static SpanAssertions Should(this Activity? span) => new(span!);
}
