using Goflux.Hosting.Internal;

namespace Goflux.Hosting;

/// <summary>
/// Configures one hosted consumer: its middleware, how its messages are settled, its concurrency and pull window.
/// Values set here are defaults that the configuration section <c>Goflux:Consumers:{stream}:{consumer}</c> overrides.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <remarks>
/// Messages are settled by the outermost step: by default auto-ack (the handler returns: ack; it throws: nak; a message
/// the handler settled itself is left alone); with <see cref="RetryAck"/>, by the retry policy. The transport itself never
/// settles, so there is no separate manual-ack flag to keep in agreement.
/// </remarks>
public sealed class GofluxHandlerBuilder<T>
{
    private readonly List<Middleware<T>> _middlewares = [];
    private RetryPolicy? _retry;
    private int? _maxConcurrency;
    private int? _maxMessages;
    private string? _subject;

    internal GofluxHandlerBuilder()
    {
    }

    /// <summary>Adds a middleware around the handler; the first added is the outermost (inside the settlement step).</summary>
    /// <param name="middleware">The middleware.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="middleware"/> is <see langword="null"/>.</exception>
    public GofluxHandlerBuilder<T> Use(Middleware<T> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        _middlewares.Add(middleware);
        return this;
    }

    /// <summary>
    /// Settles messages with <see cref="Middleware.RetryAck{T}(RetryPolicy)"/>: the handler returns → ack; a
    /// non-retryable error or the last attempt → term; any other error → nak with the policy's delay.
    /// </summary>
    /// <param name="policy">The policy, or <see langword="null"/> for <see cref="RetryPolicy.Default"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The policy is invalid.</exception>
    public GofluxHandlerBuilder<T> RetryAck(RetryPolicy? policy = null)
    {
        var p = policy ?? RetryPolicy.Default;
        p.Validate();
        _retry = p;
        return this;
    }

    /// <summary>Sets how many messages are handled at once (see <see cref="GofluxHandlerOptions.MaxConcurrency"/>).</summary>
    /// <param name="maxConcurrency">Between 1 and <see cref="GofluxHandlerOptions.MaxConcurrencyLimit"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxConcurrency"/> is out of range.</exception>
    public GofluxHandlerBuilder<T> WithMaxConcurrency(int maxConcurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxConcurrency, GofluxHandlerOptions.MaxConcurrencyLimit);
        _maxConcurrency = maxConcurrency;
        return this;
    }

    /// <summary>Sets the pull window (see <see cref="GofluxHandlerOptions.MaxMessages"/>).</summary>
    /// <param name="maxMessages">At least 1.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxMessages"/> is less than 1.</exception>
    public GofluxHandlerBuilder<T> WithMaxMessages(int maxMessages)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        _maxMessages = maxMessages;
        return this;
    }

    /// <summary>Sets the subject that names the subscription in telemetry (see <see cref="GofluxHandlerOptions.Subject"/>).</summary>
    /// <param name="subject">A subject or pattern.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is not a valid subject pattern.</exception>
    public GofluxHandlerBuilder<T> WithSubject(string subject)
    {
        Subjects.ValidatePattern(subject);
        _subject = subject;
        return this;
    }

    internal HandlerPipeline Build() => new([.. _middlewares], _retry);

    internal void ApplyTo(GofluxHandlerOptions options)
    {
        if (_maxConcurrency is { } c)
        {
            options.MaxConcurrency = c;
        }

        if (_maxMessages is { } m)
        {
            options.MaxMessages = m;
        }

        if (_subject is { } s)
        {
            options.Subject = s;
        }
    }

    internal sealed record HandlerPipeline(Middleware<T>[] Middlewares, RetryPolicy? Retry);
}
