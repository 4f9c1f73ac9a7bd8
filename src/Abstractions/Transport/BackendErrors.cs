namespace Goflux.Transport;

/// <summary>
/// The one way an <see cref="IGofluxBackend"/> reports a failed call (a stream or consumer that does not exist, a
/// configuration or change the server refuses, a server that does not answer), so both backends report the same failure
/// alike.
/// </summary>
/// <remarks>
/// The stage is <see cref="GofluxStage.Transport"/> for a call about a stream and <see cref="GofluxStage.Subscribe"/> for a
/// call about a consumer or a subscriber. Messages read <c>{operation} failed: {answer}</c>, for example
/// <c>Creating or updating consumer 'billing' on stream 'ORDERS' failed: stream 'ORDERS' does not exist (err_code 10059).</c>
/// </remarks>
public static class BackendErrors
{
    /// <summary>Describes a call, for example <c>Creating or updating stream 'ORDERS'</c>.</summary>
    /// <param name="operation">The call.</param>
    /// <param name="stream">The stream it was about.</param>
    /// <param name="consumer">The consumer it was about, or <see langword="null"/>.</param>
    /// <returns>The description, starting with a capital letter.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operation"/> is not a defined value.</exception>
    public static string Describe(BackendOperation operation, string stream, string? consumer) => operation switch
    {
        BackendOperation.CreateOrUpdateStream => $"Creating or updating stream '{stream}'",
        BackendOperation.GetStreamInfo => $"Reading stream '{stream}'",
        BackendOperation.DeleteStream => $"Deleting stream '{stream}'",
        BackendOperation.CreateOrUpdateConsumer => $"Creating or updating consumer '{consumer}' on stream '{stream}'",
        BackendOperation.GetConsumerInfo => $"Reading consumer '{consumer}' of stream '{stream}'",
        BackendOperation.DeleteConsumer => $"Deleting consumer '{consumer}' of stream '{stream}'",
        BackendOperation.CreateSubscriber => $"Subscribing to consumer '{consumer}' of stream '{stream}'",
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "Not a backend operation."),
    };

    /// <summary>The stage a failed call is reported at: <see cref="GofluxStage.Transport"/> for streams, else <see cref="GofluxStage.Subscribe"/>.</summary>
    /// <param name="operation">The call.</param>
    /// <returns>The stage.</returns>
    public static GofluxStage StageOf(BackendOperation operation)
        => operation is BackendOperation.CreateOrUpdateStream or BackendOperation.GetStreamInfo or BackendOperation.DeleteStream
            ? GofluxStage.Transport
            : GofluxStage.Subscribe;

    /// <summary>
    /// Builds the exception for a JetStream API error: <see cref="GofluxException.ErrorCode"/> is the server's
    /// <c>err_code</c>, and the answer names a missing stream (10059) or consumer (10014); any other answer is the server's
    /// description.
    /// </summary>
    /// <param name="operation">The call.</param>
    /// <param name="stream">The stream it was about.</param>
    /// <param name="consumer">The consumer it was about, or <see langword="null"/> for a call about the stream.</param>
    /// <param name="errorCode">The server's JetStream <c>err_code</c>.</param>
    /// <param name="description">The server's description of the error.</param>
    /// <param name="innerException">The error as the backend raised it, or <see langword="null"/>.</param>
    /// <returns>The exception to throw.</returns>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is empty.</exception>
    public static GofluxException ApiError(BackendOperation operation, string stream, string? consumer, int errorCode, string? description, Exception? innerException)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        var answer = errorCode switch
        {
            JetStreamErrorCodes.StreamNotFound => $"stream '{stream}' does not exist",
            JetStreamErrorCodes.ConsumerNotFound when consumer is not null => $"consumer '{consumer}' does not exist on stream '{stream}'",
            _ => string.IsNullOrWhiteSpace(description) ? "the server refused it" : description,
        };
        return new GofluxException(StageOf(operation), $"{Describe(operation, stream, consumer)} failed: {answer} (err_code {errorCode}).", innerException, errorCode: errorCode);
    }

    /// <summary>Builds the exception for a call the server did not answer in time.</summary>
    /// <param name="operation">The call.</param>
    /// <param name="stream">The stream it was about.</param>
    /// <param name="consumer">The consumer it was about, or <see langword="null"/>.</param>
    /// <param name="timeout">How long the call waited.</param>
    /// <param name="innerException">The timeout as the backend raised it, or <see langword="null"/>.</param>
    /// <returns>The exception to throw.</returns>
    public static GofluxException TimedOut(BackendOperation operation, string stream, string? consumer, TimeSpan timeout, Exception? innerException)
        => new(StageOf(operation), $"{Describe(operation, stream, consumer)} timed out: the server did not answer within {timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} s.", innerException);

    /// <summary>Builds the exception for a call that failed for another reason (a lost connection, for example).</summary>
    /// <param name="operation">The call.</param>
    /// <param name="stream">The stream it was about.</param>
    /// <param name="consumer">The consumer it was about, or <see langword="null"/>.</param>
    /// <param name="innerException">The failure.</param>
    /// <returns>The exception to throw.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="innerException"/> is <see langword="null"/>.</exception>
    public static GofluxException Failed(BackendOperation operation, string stream, string? consumer, Exception innerException)
    {
        ArgumentNullException.ThrowIfNull(innerException);
        return new(StageOf(operation), $"{Describe(operation, stream, consumer)} failed: {innerException.Message}", innerException);
    }
}
