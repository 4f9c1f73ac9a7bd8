using Microsoft.Extensions.Logging;

namespace Goflux.JetStream.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Subscription '{Subscription}' started on consumer '{Consumer}' of stream '{Stream}'")]
    internal static partial void SubscriptionStarted(ILogger logger, string subscription, string consumer, string stream);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Subscription '{Subscription}' on consumer '{Consumer}' stopped")]
    internal static partial void SubscriptionStopped(ILogger logger, string subscription, string consumer);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "Subscription '{Subscription}' on consumer '{Consumer}' failed")]
    internal static partial void SubscriptionFailed(ILogger logger, string subscription, string consumer, Exception exception);

    [LoggerMessage(EventId = 104, Level = LogLevel.Debug, Message = "Consumer '{Consumer}' reported {Notification}")]
    internal static partial void ConsumeNotification(ILogger logger, string consumer, string notification);

    [LoggerMessage(EventId = 105, Level = LogLevel.Debug, Message = "Checking consumer '{Consumer}' after a no-responders notification failed; assuming a transient error")]
    internal static partial void ConsumerCheckFailed(ILogger logger, string consumer, Exception exception);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Dropping wire header '{Name}' of a message on '{Subject}': {Reason}")]
    internal static partial void HeaderDropped(ILogger logger, string subject, string name, string reason);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Subscription '{Subscription}' on consumer '{Consumer}' is interrupted: no heartbeat for {Silence} and the server does not answer ({Reason}); pulling again once it is reachable")]
    internal static partial void SubscriptionInterrupted(ILogger logger, string subscription, string consumer, TimeSpan silence, string reason);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "Subscription '{Subscription}' on consumer '{Consumer}' resumed: pulls flow again after {Interrupted} interrupted")]
    internal static partial void SubscriptionResumed(ILogger logger, string subscription, string consumer, TimeSpan interrupted);
}
