using NATS.Client.Core;

namespace Goflux.JetStream.Internal;

/// <summary>What the connected server supports, read from its INFO.</summary>
internal static class ServerVersion
{
    /// <summary>The first release that reads a reason after <c>+TERM</c> (older servers redeliver the message).</summary>
    internal static readonly Version TermReasonMinimum = new(2, 10, 4);

    /// <summary>Parses <c>major.minor.patch</c>, ignoring a pre-release suffix such as <c>-beta.1</c>.</summary>
    internal static Version? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var span = text.AsSpan().TrimStart('v');
        var parts = new int[3];
        var index = 0;
        var value = -1;
        foreach (var c in span)
        {
            if (c is >= '0' and <= '9')
            {
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 100_000)
                {
                    return null;
                }

                continue;
            }

            if (value < 0)
            {
                return null;
            }

            parts[index++] = value;
            value = -1;
            if (c != '.' || index == 3)
            {
                break;
            }
        }

        if (value >= 0 && index < 3)
        {
            parts[index++] = value;
        }

        return index >= 2 ? new Version(parts[0], parts[1], parts[2]) : null;
    }

    /// <summary>Returns whether the server behind <paramref name="info"/> understands a terminate reason.</summary>
    internal static bool SupportsTermReason(INatsServerInfo? info) => Parse(info?.Version) is { } v && v >= TermReasonMinimum;
}
