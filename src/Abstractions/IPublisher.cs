namespace Goflux;

/// <summary>
/// Publishes typed messages to subjects.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public interface IPublisher<in T> : IAsyncDisposable
{
    /// <summary>Encodes and publishes <paramref name="value"/> to <paramref name="subject"/>.</summary>
    /// <param name="subject">A literal subject: non-empty tokens, no whitespace, no wildcards.</param>
    /// <param name="value">The payload; <see langword="null"/> is rejected.</param>
    /// <param name="options">Per-publish settings (message id, application headers), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">A token to cancel the publish.</param>
    /// <returns>What the transport acknowledged: stream, sequence, and whether it was a duplicate.</returns>
    /// <exception cref="ArgumentException">The subject or a header is invalid.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is <see langword="null"/>.</exception>
    /// <exception cref="GofluxException">Encoding or the transport failed (see <see cref="GofluxException.Stage"/>).</exception>
    ValueTask<PublishResult> PublishAsync(string subject, T value, PublishOptions? options = null, CancellationToken cancellationToken = default);
}
