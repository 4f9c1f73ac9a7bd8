using Microsoft.Extensions.Logging;

namespace Goflux.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Decoding a message on '{Subject}' failed; terminating it")]
    internal static partial void DecodeFailed(ILogger logger, string subject, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Handler for a message on '{Subject}' failed")]
    internal static partial void HandlerFailed(ILogger logger, string subject, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Settling a message on '{Subject}' failed")]
    internal static partial void SettleFailed(ILogger logger, string subject, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Publishing to '{Subject}' failed on attempt {Attempt}; retrying in {Delay}")]
    internal static partial void PublishRetry(ILogger logger, string subject, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "A message on '{Subject}' was already settled; {Action} ignored")]
    internal static partial void AlreadySettled(ILogger logger, string subject, string action);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Publishing to '{Subject}' has an unknown outcome on attempt {Attempt} (the message may have been stored); retrying in {Delay} {Idempotency}")]
    internal static partial void PublishRetryOutcomeUnknown(ILogger logger, string subject, int attempt, TimeSpan delay, string idempotency, Exception exception);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "A listener of SubscriptionStatus.StateChanged threw when the state changed to {State}; the subscription goes on")]
    internal static partial void StatusListenerFailed(ILogger logger, SubscriptionState state, Exception exception);
}
