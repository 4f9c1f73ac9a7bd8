using System.Diagnostics;
using Goflux.InMemory;

namespace Goflux.Testing;

/// <summary>The waits on the ledger and the advisories: virtual time on the engine, deadline polling on a server.</summary>
public sealed partial class TestBackend
{
    /// <summary>
    /// Waits until <paramref name="condition"/> holds for the ledger. On the engine: after the engine is idle, then moving
    /// virtual time on step by step (every deadline fires at its exact time) up to <see cref="TestBackendOptions.VirtualPatience"/>;
    /// no wall-clock window is involved. On a server: polling until <see cref="TestBackendOptions.Patience"/>.
    /// </summary>
    /// <param name="condition">The condition.</param>
    /// <param name="because">What is awaited, for the failure message.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The ledger.</returns>
    /// <exception cref="TimeoutException">The condition did not hold in time; the message lists the ledger.</exception>
    public async Task<OutcomeLedger> WaitForAsync(Func<OutcomeLedger, bool> condition, string? because = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        await WaitUntilAsync(() => condition(Ledger), because ?? "the condition", cancellationToken).ConfigureAwait(false);
        return Ledger;
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> messages of type <typeparamref name="T"/> that match
    /// <paramref name="predicate"/> were published through this backend (see <see cref="Published{T}"/>), and returns them,
    /// moving virtual time on the engine and polling on a server as <see cref="WaitForAsync"/> does.
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="predicate">Which messages count, or <see langword="null"/> for all.</param>
    /// <param name="count">How many.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The matching messages.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is less than 1.</exception>
    /// <exception cref="TimeoutException">They were not published in time; the message lists what was published and the ledger.</exception>
    public async Task<IReadOnlyList<PublishedMessage<T>>> WaitForPublishedAsync<T>(Func<PublishedMessage<T>, bool>? predicate = null, int count = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        IReadOnlyList<PublishedMessage<T>> Matching() => [.. Published<T>().Where(p => predicate is null || predicate(p))];
        await WaitUntilAsync(() => Matching().Count >= count, $"{count} published {typeof(T).Name} message(s)", cancellationToken).ConfigureAwait(false);
        return Matching();
    }

    /// <summary>Waits until a delivery of message <paramref name="messageId"/> is settled as <paramref name="outcome"/>, and returns the message's history.</summary>
    /// <param name="messageId">The message id the publisher set.</param>
    /// <param name="outcome">The outcome to wait for.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The message's history up to then.</returns>
    /// <exception cref="TimeoutException">It did not happen in time; the message lists the ledger.</exception>
    public async Task<MessageHistory> WaitForOutcomeAsync(string messageId, AckOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        bool Done(OutcomeLedger ledger)
        {
            var history = ledger.History(messageId);

            // Also wait for the consumer spans of its deliveries to end, so a test can assert on them at once.
            return history.Any(d => d.Outcome == outcome)
                && history.All(d => d.ConsumerSpanId is not { } span || Telemetry.Span(span) is not null);
        }

        await WaitForAsync(Done, $"message {messageId} to be {outcome}", cancellationToken).ConfigureAwait(false);
        return Ledger.History(messageId);
    }

    /// <summary>Waits until at least <paramref name="count"/> advisories of <paramref name="type"/> were seen, and returns them.</summary>
    /// <param name="type">The advisory type (e.g. <see cref="JetStreamAdvisory.MaxDeliverType"/>), or <see langword="null"/> for any.</param>
    /// <param name="count">How many.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The advisories of that type.</returns>
    /// <exception cref="TimeoutException">They did not arrive in time.</exception>
    public async Task<IReadOnlyList<JetStreamAdvisory>> WaitForAdvisoriesAsync(string? type, int count = 1, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<JetStreamAdvisory> Matching() => [.. Advisories.Where(a => type is null || a.Type == type)];
        await WaitForAsync(_ => Matching().Count >= count, $"{count} advisories of type {type ?? "any"} (seen: {Advisories.Count})", cancellationToken).ConfigureAwait(false);
        return Matching();
    }

    private async Task WaitUntilAsync(Func<bool> condition, string because, CancellationToken cancellationToken)
    {
        var wall = Stopwatch.StartNew();
        var moved = TimeSpan.Zero;
        while (true)
        {
            await Driver.SettleAsync(cancellationToken).ConfigureAwait(false);
            await Owned.ThrowIfSubscriptionFailedAsync().ConfigureAwait(false);
            if (condition())
            {
                return;
            }

            if (IsVirtualTime)
            {
                if (moved >= _options.VirtualPatience)
                {
                    throw new TimeoutException($"Waited {_options.VirtualPatience} of virtual time for {because}; it never held.{Environment.NewLine}{Ledger}{Environment.NewLine}{PublishLog}");
                }

                await Driver.LetTimePassAsync(_options.VirtualStep, cancellationToken).ConfigureAwait(false);
                moved += _options.VirtualStep;
            }
            else
            {
                if (wall.Elapsed >= _options.Patience)
                {
                    throw new TimeoutException($"Waited {_options.Patience.TotalSeconds:0.#} s for {because}; it never held.{Environment.NewLine}{Ledger}{Environment.NewLine}{PublishLog}");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
