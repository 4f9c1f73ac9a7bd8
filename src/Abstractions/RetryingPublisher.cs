using Goflux.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Goflux;

/// <summary>
/// A publisher that retries failed publishes with a backoff. Invalid input (<see cref="ArgumentException"/>), encoding
/// failures and permanent failures (<see cref="GofluxException.IsPermanent"/>) are never retried; other transport and
/// publish failures are.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <remarks>
/// A retried publish may reach the server twice. Set a <see cref="PublishOptions.MessageId"/> and
/// <see cref="PublisherOptions.DeduplicateByMessageId"/> so the server's duplicate window keeps it idempotent.
/// Waits run on the given <see cref="TimeProvider"/>.
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
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _inner.PublishAsync(subject, value, options, cancellationToken).ConfigureAwait(false);
            }
            catch (GofluxException ex) when (attempt < _maxAttempts && !ex.IsPermanent && ex.Stage is GofluxStage.Publish or GofluxStage.Transport)
            {
                var delay = _backoff(attempt);
                Log.PublishRetry(_logger, subject, attempt, delay, ex);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
