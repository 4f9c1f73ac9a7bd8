using Goflux.Internal;

namespace Goflux;

/// <summary>
/// Wraps a handler with behaviour that runs around it.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <param name="next">The handler to wrap.</param>
/// <returns>The wrapping handler.</returns>
public delegate MessageHandler<T> Middleware<T>(MessageHandler<T> next);

/// <summary>
/// Middleware composition and the middlewares goflux ships.
/// </summary>
public static class Middleware
{
    /// <summary>Composes middlewares; the first one is the outermost.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="middlewares">The middlewares, outermost first.</param>
    /// <returns>One middleware applying all of them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="middlewares"/> or one of its items is <see langword="null"/>.</exception>
    public static Middleware<T> Chain<T>(params Middleware<T>[] middlewares)
    {
        ArgumentNullException.ThrowIfNull(middlewares);
        var frozen = middlewares.ToArray();
        for (var i = 0; i < frozen.Length; i++)
        {
            if (frozen[i] is null)
            {
                throw new ArgumentNullException(nameof(middlewares), $"Middleware at index {i} is null.");
            }
        }

        return next =>
        {
            ArgumentNullException.ThrowIfNull(next);
            for (var i = frozen.Length - 1; i >= 0; i--)
            {
                next = frozen[i](next) ?? throw new InvalidOperationException($"Middleware at index {i} returned a null handler.");
            }

            return next;
        };
    }

    /// <summary>Applies middlewares to a handler; the first middleware is the outermost.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="handler">The handler.</param>
    /// <param name="middlewares">The middlewares, outermost first.</param>
    /// <returns>The wrapped handler.</returns>
    public static MessageHandler<T> Apply<T>(MessageHandler<T> handler, params Middleware<T>[] middlewares)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Chain(middlewares)(handler);
    }

    /// <summary>
    /// Settles each message by the handler's result: returns → ack; throws → nak (then rethrows). A message the handler
    /// already settled is left alone. Use with <see cref="SubscriberOptions.ManualAck"/>.
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <returns>The middleware.</returns>
    public static Middleware<T> AutoAck<T>() => next =>
    {
        ArgumentNullException.ThrowIfNull(next);
        return async (message, cancellationToken) =>
        {
            try
            {
                await next(message, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                if (!message.IsSettled)
                {
                    await message.NakAsync(CancellationToken.None).ConfigureAwait(false);
                }

                throw;
            }

            if (!message.IsSettled)
            {
                await message.AckAsync(CancellationToken.None).ConfigureAwait(false);
            }
        };
    };

    /// <summary>
    /// Settles each message by the handler's result and a <see cref="RetryPolicy"/>: returns → ack; a non-retryable
    /// error (see <see cref="RetryPolicy.IsRetryable"/>) or the last allowed attempt → term; any other error → nak with
    /// the policy's delay for this attempt. Errors are not rethrown. Use with <see cref="SubscriberOptions.ManualAck"/>.
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="policy">The retry policy.</param>
    /// <returns>The middleware.</returns>
    /// <exception cref="ArgumentException">The policy is invalid.</exception>
    public static Middleware<T> RetryAck<T>(RetryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        return next =>
        {
            ArgumentNullException.ThrowIfNull(next);
            return async (message, cancellationToken) =>
            {
                try
                {
                    await next(message, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    if (message.IsSettled)
                    {
                        return; // The handler settled it before failing: its decision stands.
                    }

                    var attempt = (int)Math.Min(message.Delivery?.NumDelivered ?? 1, int.MaxValue);
                    if (!IsRetryable(policy, ex))
                    {
                        await message.TermAsync(FailureText.Reason("non-retryable: ", ex), CancellationToken.None).ConfigureAwait(false);
                    }
                    else if (policy.MaxAttempts > 0 && attempt >= policy.MaxAttempts)
                    {
                        await message.TermAsync(FailureText.Reason($"gave up after {attempt} attempts: ", ex), CancellationToken.None).ConfigureAwait(false);
                    }
                    else
                    {
                        await message.NakAsync(DelayFor(policy, attempt), CancellationToken.None).ConfigureAwait(false);
                    }

                    return;
                }

                if (!message.IsSettled)
                {
                    await message.AckAsync(CancellationToken.None).ConfigureAwait(false);
                }
            };
        };
    }

    /// <summary>The policy's verdict; a <see cref="RetryPolicy.ShouldRetry"/> predicate that throws cannot decide, so the
    /// error counts as retryable (the attempt limit still ends it).</summary>
    private static bool IsRetryable(RetryPolicy policy, Exception exception)
    {
        try
        {
            return policy.IsRetryable(exception);
        }
        catch (Exception)
        {
            return true;
        }
    }

    /// <summary>The policy's delay; a <see cref="RetryPolicy.DelayGenerator"/> that throws falls back to the policy's
    /// exponential schedule.</summary>
    private static TimeSpan DelayFor(RetryPolicy policy, int attempt)
    {
        try
        {
            return policy.GetDelay(attempt);
        }
        catch (Exception)
        {
            return (policy with { DelayGenerator = null }).GetDelay(attempt);
        }
    }
}
