using Microsoft.Extensions.Logging;

namespace Goflux.InMemory.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "An AdvisoryRaised listener failed on advisory {Type} for {Stream}/{Consumer} (stream sequence {Sequence}); the engine carries on")]
    internal static partial void AdvisoryListenerFailed(ILogger logger, string type, string stream, string consumer, ulong? sequence, Exception exception);
}
