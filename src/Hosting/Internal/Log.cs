using Microsoft.Extensions.Logging;

namespace Goflux.Hosting.Internal;

/// <summary>The host's log messages. Payloads are never logged: only names of streams, consumers and subjects.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 501, Level = LogLevel.Debug, Message = "Stream '{Stream}' is ready on {Backend}")]
    internal static partial void StreamReady(ILogger logger, string stream, string backend);

    [LoggerMessage(EventId = 502, Level = LogLevel.Debug, Message = "Consumer '{Consumer}' on stream '{Stream}' is ready on {Backend}")]
    internal static partial void ConsumerReady(ILogger logger, string consumer, string stream, string backend);

    [LoggerMessage(EventId = 503, Level = LogLevel.Information, Message = "Hosted consumer '{Consumer}' on stream '{Stream}' listens with {Workers} worker(s) as '{Subscription}'")]
    internal static partial void ConsumerListening(ILogger logger, string consumer, string stream, int workers, string subscription);

    [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Hosted consumer '{Consumer}' on stream '{Stream}' stops pulling; running handlers may finish")]
    internal static partial void ConsumerStopping(ILogger logger, string consumer, string stream);

    [LoggerMessage(EventId = 505, Level = LogLevel.Warning, Message = "Hosted consumer '{Consumer}' on stream '{Stream}': the shutdown timeout elapsed with {InFlight} message(s) still being handled; they are left unsettled and will be redelivered")]
    internal static partial void ShutdownTimedOut(ILogger logger, string consumer, string stream, int inFlight);

    [LoggerMessage(EventId = 506, Level = LogLevel.Error, Message = "Hosted consumer '{Consumer}' on stream '{Stream}' stopped with an error")]
    internal static partial void ConsumerFaulted(ILogger logger, string consumer, string stream, Exception exception);

    [LoggerMessage(EventId = 507, Level = LogLevel.Critical, Message = "goflux could not start")]
    internal static partial void StartFailed(ILogger logger, Exception exception);
}
