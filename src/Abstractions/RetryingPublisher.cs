using Goflux.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Goflux;

/// <summary>
/// A publisher that retries failed publishes with a backoff. Invalid input (<see cref="ArgumentException"/>), encoding
/// failures, permanent failures (<see cref="GofluxException.IsPermanent"/>) and cancellation are never retried; other
/// transport and publish failures are, including those whose outcome is unknown
/// (<see cref="GofluxException.IsOutcomeUnknown"/>).
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <remarks>
/// <para>
/// A publish whose outcome is unknown was sent but not acknowledged: it may have been stored. Retrying it is harmless
/// when the message has a <see cref="PublishOptions.MessageId"/> and the inner publisher sends it for deduplication
/// (<see cref="PublisherOptions.DeduplicateByMessageId"/>): inside the stream's duplicate window the server stores it once,
/// and the retry returns the original sequence with <see cref="PublishResult.Duplicate"/> set. Without a message id (or
/// without deduplication) such a retry can store the message twice; each such retry is logged at Warning.
/// </para>
/// <para>
/// When the caller's token is cancelled, the last failure is thrown as it is, so an unknown outcome is never reported as
/// a plain cancellation. When all attempts fail and any of them had an unknown outcome, the exception thrown says so
/// (<see cref="PublishOutcome.Unknown"/>), whatever the last attempt answered.
/// </para>
/// <para>Waits run on the given <see cref="TimeProvider"/>.</para>
/// </remarks>
public sealed class RetryingPublisher<T> : IPublisher<T>
{
    private readonly IPublisher<T> _inner;
    private readonly int _maxAttempts;
    private readonly Func<int, TimeSpan> _backoff;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="RetryingPublisher{T}"/> class.</summary>
    /// <param name="inner">The publisher to retry; owned: disposed with this one.</param>
    /// <param name="maxAttempts">The number of attempts in all, at least 1.</param>
    /// <param name="backoff">The delay after failed attempt <c>n</c> (starting at 1).</param>
    /// <param name="timeProvider">The clock for the delays, or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">A logger for retries, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxAttempts"/> is less than 1.</exception>
    public RetryingPublisher(IPublisher<T> inner, int maxAttempts, Func<int, TimeSpan> backoff, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(backoff);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        _inner = inner;
        _maxAttempts = maxAttempts;
        _backoff = backoff;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public async ValueTask<PublishResult> PublishAsync(string subject, T value, PublishOptions? options = null, CancellationToken cancellationToken = default)
    {
        GofluxException? unknown = null;
        for (var attempt = 1; ; attempt++)
        {
            GofluxException failure;
            try
            {
                return await _inner.PublishAsync(subject, value, options, cancellationToken).ConfigureAwait(false);
            }
            catch (GofluxException ex) when (unknown is not null && ex.PublishOutcome != PublishOutcome.Unknown && (attempt >= _maxAttempts || !IsRetryable(ex) || cancellationToken.IsCancellationRequested))
            {
                throw EarlierOutcomeUnknown(subject, ex);
            }
            catch (GofluxException ex) when (attempt < _maxAttempts && IsRetryable(ex) && !cancellationToken.IsCancellationRequested)
            {
                failure = ex;
            }
            catch (OperationCanceledException ex) when (unknown is not null)
            {
                // Cancelled before this attempt sent anything, but an earlier attempt may have stored the message.
                throw new GofluxException(unknown.Stage, $"{unknown.Message} The publish was then cancelled before a retry.", ex, subject)
                {
                    PublishOutcome = PublishOutcome.Unknown,
                };
            }

            var delay = _backoff(attempt);
            if (failure.IsOutcomeUnknown)
            {
                unknown = failure;
                var idempotency = options?.MessageId is { } id
                    ? $"with message id '{id}': deduplication keeps it stored once when the publisher sends the id as Nats-Msg-Id"
                    : "without a message id: the message may be stored twice";
                Log.PublishRetryOutcomeUnknown(_logger, subject, attempt, delay, idempotency, failure);
            }
            else
            {
                Log.PublishRetry(_logger, subject, attempt, delay, failure);
            }

            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (unknown is not null)
                {
                    // A cancellation would tell the caller nothing was stored; an earlier attempt may have been.
                    throw unknown == failure ? failure : EarlierOutcomeUnknown(subject, failure);
                }
            }
        }
    }

    private static bool IsRetryable(GofluxException ex) => !ex.IsPermanent && ex.Stage is GofluxStage.Publish or GofluxStage.Transport;

    private static GofluxException EarlierOutcomeUnknown(string subject, GofluxException last) => new(
        last.Stage,
        $"{last.Message} An earlier attempt had an unknown outcome, so the message may have been stored.",
        last,
        subject,
        last.ErrorCode)
    {
        IsPermanent = last.IsPermanent,
        PublishOutcome = PublishOutcome.Unknown,
    };

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
