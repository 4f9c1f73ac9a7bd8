namespace Goflux;

/// <summary>
/// Marks an exception type as not worth retrying, whatever its base class:
/// <see cref="Middleware.RetryAck{T}(RetryPolicy)"/> terminates a message whose handler threw it (or an exception
/// wrapping it) instead of naking it. <see cref="NonRetryableException"/> implements it.
/// </summary>
/// <example>
/// <code>
/// public sealed class UnknownCustomerException(string id) : DomainException($"Unknown customer {id}"), INonRetryable;
/// </code>
/// </example>
#pragma warning disable CA1040 // A marker interface is the point: exception hierarchies cannot share a base class.
public interface INonRetryable
#pragma warning restore CA1040
{
}
