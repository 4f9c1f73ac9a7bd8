using System.Globalization;

namespace Goflux.JetStream.Internal;

/// <summary>
/// Reads the delivery metadata JetStream encodes in a message's reply subject (ADR-15):
/// <c>$JS.ACK.&lt;stream&gt;.&lt;consumer&gt;.&lt;delivered&gt;.&lt;stream seq&gt;.&lt;consumer seq&gt;.&lt;timestamp ns&gt;.&lt;pending&gt;</c>,
/// or the newer form with <c>&lt;domain&gt;.&lt;account hash&gt;</c> after <c>$JS.ACK</c> and a trailing token.
/// </summary>
/// <remarks>
/// NATS.Net's own <c>Metadata</c> splits the subject into fresh strings for every message and truncates the timestamp to
/// milliseconds. This parser works on spans, reuses the consumer's stream and consumer names, and keeps the timestamp to
/// 100 ns.
/// </remarks>
internal static class AckSubject
{
    private const string Prefix = "$JS.ACK.";

    internal static bool TryParse(string? reply, string stream, string consumer, out DeliveryInfo delivery)
    {
        delivery = default;
        if (reply is null || !reply.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var span = reply.AsSpan();
        Span<Range> tokens = stackalloc Range[13];
        var count = span.Split(tokens, '.');
        var first = count switch
        {
            9 => 2,
            11 or 12 => 4,
            _ => -1,
        };
        if (first < 0
            || !TryNumber(span[tokens[first + 2]], out var delivered)
            || !TryNumber(span[tokens[first + 3]], out var streamSequence)
            || !TryNumber(span[tokens[first + 4]], out var consumerSequence)
            || !TryNumber(span[tokens[first + 5]], out var nanos)
            || !TryNumber(span[tokens[first + 6]], out var pending)
            || nanos > long.MaxValue)
        {
            return false;
        }

        var streamToken = span[tokens[first]];
        var consumerToken = span[tokens[first + 1]];
        delivery = new DeliveryInfo(
            streamToken.SequenceEqual(stream) ? stream : streamToken.ToString(),
            consumerToken.SequenceEqual(consumer) ? consumer : consumerToken.ToString(),
            streamSequence,
            consumerSequence,
            delivered,
            pending,
            DateTimeOffset.UnixEpoch.AddTicks((long)nanos / 100));
        return true;
    }

    private static bool TryNumber(ReadOnlySpan<char> token, out ulong value) =>
        ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
