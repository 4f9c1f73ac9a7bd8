using Goflux.Transport;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.JetStream.Internal;

/// <summary>Turns NATS.Net failures into <see cref="GofluxException"/>s that say what went wrong.</summary>
internal static class Errors
{
    /// <summary>Whether a publish failure can be mapped (anything NATS.Net raises, and its timeouts).</summary>
    internal static bool IsNatsFailure(Exception ex) => ex is NatsException or TimeoutException;

    internal static GofluxException Publish(string subject, Exception ex) => ex switch
    {
        NatsNoRespondersException => NoStream(subject, ex),
        NatsJSApiException api => Rejected(subject, api.Error, ex),
        NatsPayloadTooLargeException => new GofluxException(
            GofluxStage.Publish,
            $"The message for '{subject}' is over the server's max payload; nothing was sent: {ex.Message}",
            ex,
            subject)
        {
            IsPermanent = true,
            PublishOutcome = PublishOutcome.NotSent,
        },
        _ => OutcomeUnknown(subject, ex.Message, ex),
    };

    /// <summary>A definite no-responders reply (503): nothing listens on the subject, so nothing was stored.</summary>
    internal static GofluxException NoStream(string subject, Exception? ex) => new(
        GofluxStage.Publish,
        $"No stream captures subject '{subject}': the server answered that nothing listens on it (no responders), so nothing was stored.",
        ex,
        subject)
    {
        PublishOutcome = PublishOutcome.NoStream,
    };

    /// <summary>Nothing was handed to the connection.</summary>
    internal static GofluxException NotSent(string subject, string why, Exception? ex = null) => new(
        GofluxStage.Transport,
        $"Publishing to '{subject}' failed: {why}; nothing was sent.",
        ex,
        subject)
    {
        PublishOutcome = PublishOutcome.NotSent,
    };

    /// <summary>The message was handed to the connection, but no acknowledgement arrived.</summary>
    internal static GofluxException OutcomeUnknown(string subject, string why, Exception? ex) => new(
        GofluxStage.Transport,
        $"Publishing to '{subject}' has an unknown outcome: {why}. The message was sent and may have been stored; retry with the same message id (and deduplication) to stay idempotent.",
        ex,
        subject)
    {
        PublishOutcome = PublishOutcome.Unknown,
    };

    internal static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " s";

    internal static GofluxException Rejected(string subject, ApiError error, Exception? inner = null) => new(
        GofluxStage.Publish,
        $"The server rejected the publish to '{subject}': {error.Description} (err_code {error.ErrCode}); nothing was stored.",
        inner,
        subject,
        error.ErrCode)
    {
        // Over the stream's max message size: the same message can never be stored.
        IsPermanent = error.ErrCode == JetStreamErrorCodes.MessageExceedsMaximum,
        PublishOutcome = PublishOutcome.Rejected,
    };

    /// <summary>
    /// Whether a backend call's failure is mapped by <see cref="Backend"/>: anything NATS.Net raises, its timeouts, and a
    /// cancellation the caller did not ask for (the call's own timeout).
    /// </summary>
    internal static bool IsBackendFailure(Exception ex, CancellationToken callerToken)
        => IsNatsFailure(ex) || (ex is OperationCanceledException && !callerToken.IsCancellationRequested);

    /// <summary>Maps a failed backend call (streams, consumers, consumer lookups) through <see cref="BackendErrors"/>, as the engine's backend does.</summary>
    internal static GofluxException Backend(BackendOperation operation, string stream, string? consumer, Exception ex, TimeSpan timeout) => ex switch
    {
        NatsJSApiException api => BackendErrors.ApiError(operation, stream, consumer, api.Error.ErrCode, api.Error.Description, ex),
        OperationCanceledException or TimeoutException or NatsJSApiNoResponseException => BackendErrors.TimedOut(operation, stream, consumer, timeout, ex),
        _ => BackendErrors.Failed(operation, stream, consumer, ex),
    };

    /// <summary>Maps a failure to reach or keep a consumer.</summary>
    internal static GofluxException Subscribe(string subscription, string stream, string consumer, Exception ex)
    {
        if (ex is NatsJSApiException api)
        {
            var what = api.Error.ErrCode switch
            {
                JetStreamErrorCodes.StreamNotFound => $"stream '{stream}' does not exist",
                JetStreamErrorCodes.ConsumerNotFound => $"consumer '{consumer}' does not exist on stream '{stream}'",
                _ => $"the server rejected consumer '{consumer}' on stream '{stream}': {api.Error.Description}",
            };
            return new GofluxException(
                GofluxStage.Subscribe,
                $"Subscription '{subscription}' failed: {what} (err_code {api.Error.ErrCode}).",
                ex,
                subscription,
                api.Error.ErrCode);
        }

        if (ex is NatsConnectionFailedException)
        {
            return new GofluxException(GofluxStage.Transport, $"Subscription '{subscription}' failed: the connection failed permanently: {ex.Message}", ex, subscription);
        }

        return new GofluxException(
            GofluxStage.Subscribe,
            $"Subscription '{subscription}' on consumer '{consumer}' of stream '{stream}' failed: {ex.Message}",
            ex,
            subscription);
    }

    /// <summary>
    /// Maps the end of a pull the server stopped (for example 409 Consumer Deleted). <paramref name="check"/> is the
    /// consumer-info answer when it says the consumer or its stream does not exist.
    /// </summary>
    internal static GofluxException ConsumerGone(string subscription, string stream, string consumer, Exception cause, NatsJSApiException? check)
    {
        var code = check?.Error.ErrCode;
        var what = code switch
        {
            JetStreamErrorCodes.StreamNotFound => $"stream '{stream}' was deleted",
            JetStreamErrorCodes.ConsumerNotFound => $"consumer '{consumer}' was deleted from stream '{stream}'",
            _ => $"the server ended the pull on consumer '{consumer}' of stream '{stream}': {cause.Message}",
        };
        var suffix = code is { } c ? $" (err_code {c})" : string.Empty;
        return new GofluxException(
            GofluxStage.Subscribe,
            $"Subscription '{subscription}' stopped: {what}{suffix}.",
            cause,
            subscription,
            code);
    }
}
