using Goflux.Internal;

namespace Goflux;

/// <summary>
/// Marks an error as not worth retrying: <see cref="Middleware.RetryAck{T}(RetryPolicy)"/> terminates the message instead
/// of naking it. Throw it directly, derive a domain exception from it, or wrap a cause with <see cref="Wrap(Exception)"/>.
/// A domain exception that already has a base class says the same by implementing <see cref="INonRetryable"/>.
/// </summary>
public class NonRetryableException : Exception, INonRetryable
{
    /// <summary>Initializes a new instance of the <see cref="NonRetryableException"/> class.</summary>
    public NonRetryableException()
        : base("The error is not retryable.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NonRetryableException"/> class with a message.</summary>
    /// <param name="message">The message.</param>
    public NonRetryableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NonRetryableException"/> class with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public NonRetryableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Wraps <paramref name="cause"/> as non-retryable, keeping its message.</summary>
    /// <param name="cause">The error.</param>
    /// <returns>The wrapping exception.</returns>
    public static NonRetryableException Wrap(Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        return new NonRetryableException(FailureText.MessageOf(cause), cause);
    }
}
