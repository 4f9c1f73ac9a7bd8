using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using NATS.Client.Core;

namespace Goflux.JetStream.Internal;

/// <summary>Converts between goflux's case-sensitive <see cref="MessageHeaders"/> and NATS.Net's <see cref="NatsHeaders"/>.</summary>
internal static class HeaderConversion
{
    /// <summary>
    /// Builds wire headers for a publish. The store compares names ordinally, so names that differ only in case stay
    /// distinct and each is written with its own spelling.
    /// </summary>
    internal static NatsHeaders? ToNats(MessageHeaders? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return null;
        }

        var store = new Dictionary<string, StringValues>(headers.Count, StringComparer.Ordinal);
        foreach (var (name, values) in headers)
        {
            store[name] = values.Count == 1 ? new StringValues(values[0]) : new StringValues([.. values]);
        }

        return new NatsHeaders(store);
    }

    /// <summary>
    /// Copies received wire headers into <see cref="MessageHeaders"/>, keeping each name's spelling and every value.
    /// A header goflux cannot represent (for example a non-ASCII name) is logged and dropped rather than failing the
    /// delivery.
    /// </summary>
    internal static MessageHeaders? FromNats(NatsHeaders? headers, string subject, ILogger logger)
    {
        if (headers is null || headers.Count == 0)
        {
            return null;
        }

        var result = new MessageHeaders();
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                try
                {
                    result.Add(name, value ?? string.Empty);
                }
                catch (ArgumentException ex)
                {
                    Log.HeaderDropped(logger, subject, name, ex.Message);
                    break;
                }
            }
        }

        return result;
    }
}
