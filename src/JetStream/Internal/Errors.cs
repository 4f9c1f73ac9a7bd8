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
        NatsJSPublishNoResponseException or NatsNoRespondersException => new GofluxException(
            GofluxStage.Publish,
            $"No stream captures subject '{subject}': the server had no responder for the publish, so nothing was stored.",
            ex,
            subject),
        NatsJSApiException api => Rejected(subject, api.Error, ex),
        NatsPayloadTooLargeException => new GofluxException(
            GofluxStage.Publish,
            $"The message for '{subject}' is over the server's max payload; nothing was sent: {ex.Message}",
            ex,
            subject)
        {
            IsPermanent = true,
        },
        _ => new GofluxException(GofluxStage.Transport, $"Publishing to '{subject}' failed: {ex.Message}", ex, subject),
    };

    internal static GofluxException Rejected(string subject, ApiError error, Exception? inner = null) => new(
        GofluxStage.Publish,
        $"The server rejected the publish to '{subject}': {error.Description} (err_code {error.ErrCode}).",
        inner,
        subject,
        error.ErrCode)
    {
        // Over the stream's max message size: the same message can never be stored.
        IsPermanent = error.ErrCode == JetStreamErrorCodes.MessageExceedsMaximum,
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
