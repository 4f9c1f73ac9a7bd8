namespace Goflux;

/// <summary>
/// How <see cref="Middleware.RetryAck{T}(RetryPolicy)"/> treats a failed message: which errors are worth retrying, how long
/// to wait before each retry, and when to give up.
/// </summary>
/// <remarks>
/// The delay for attempt <c>n</c> (the delivery count, starting at 1) is <c>InitialDelay × Multiplier^(n−1)</c>, capped
/// at <see cref="MaxDelay"/>, unless <see cref="DelayGenerator"/> is set.
/// </remarks>
public sealed record RetryPolicy
{
    /// <summary>Gets the default policy: 1 s, doubling, capped at 1 min, 5 attempts.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>Gets the delay before the first retry.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets the factor applied to the delay after each attempt.</summary>
    /// <value>The default value is 2.</value>
    public double Multiplier { get; init; } = 2;

    /// <summary>Gets the largest delay.</summary>
    /// <value>The default value is 1 minute.</value>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets the number of deliveries after which a failing message is terminated; 0 for no limit.</summary>
    /// <value>The default value is 5.</value>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Gets a delay function of the attempt number, overriding the exponential schedule.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Func<int, TimeSpan>? DelayGenerator { get; init; }

    /// <summary>
    /// Gets a predicate that decides whether an error is worth retrying. Whatever it says, an exception implementing
    /// <see cref="INonRetryable"/> (such as <see cref="NonRetryableException"/>) anywhere in the exception chain is never
    /// retried. When the predicate throws, <see cref="Middleware.RetryAck{T}(RetryPolicy)"/> treats the error as
    /// retryable, so the attempt limit still ends it.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (every other error is retryable).</value>
    public Func<Exception, bool>? ShouldRetry { get; init; }

    /// <summary>Returns the delay before retrying after attempt <paramref name="attempt"/>.</summary>
    /// <param name="attempt">The delivery count of the failed attempt, starting at 1.</param>
    /// <returns>The delay.</returns>
    public TimeSpan GetDelay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        if (DelayGenerator is not null)
        {
            var d = DelayGenerator(attempt);
            return d < TimeSpan.Zero ? TimeSpan.Zero : d;
        }

        if (InitialDelay <= TimeSpan.Zero)
        {
            // 0 × Multiplier^(n−1) overflows to 0 × ∞ = NaN for large n; zero stays zero.
            return TimeSpan.Zero;
        }

        var ticks = InitialDelay.Ticks * Math.Pow(Multiplier, attempt - 1);
        return ticks >= MaxDelay.Ticks || double.IsNaN(ticks) ? MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Returns whether <paramref name="exception"/> should be retried.</summary>
    /// <param name="exception">The error.</param>
    /// <returns><see langword="false"/> for non-retryable errors.</returns>
    public bool IsRetryable(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is INonRetryable)
            {
                return false;
            }
        }

        return ShouldRetry?.Invoke(exception) ?? true;
    }

    /// <summary>Throws when the policy is invalid, listing every problem.</summary>
    /// <exception cref="ArgumentException">One or more settings are invalid.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (InitialDelay < TimeSpan.Zero)
        {
            errors.Add($"InitialDelay must not be negative (was {InitialDelay}).");
        }

        if (Multiplier < 1 || double.IsNaN(Multiplier))
        {
            errors.Add($"Multiplier must be at least 1 (was {Multiplier}).");
        }

        if (MaxDelay < InitialDelay)
        {
            errors.Add($"MaxDelay ({MaxDelay}) must not be less than InitialDelay ({InitialDelay}).");
        }

        if (MaxAttempts < 0)
        {
            errors.Add($"MaxAttempts must be 0 (no limit) or positive (was {MaxAttempts}).");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid retry policy: " + string.Join(" ", errors), "policy");
        }
    }
}
