namespace Goflux.JetStream.Internal;

/// <summary>
/// Reads the delivery metadata JetStream encodes in a message's reply subject (ADR-15):
/// <c>$JS.ACK.&lt;stream&gt;.&lt;consumer&gt;.&lt;delivered&gt;.&lt;stream seq&gt;.&lt;consumer seq&gt;.&lt;timestamp ns&gt;.&lt;pending&gt;</c>,
/// or the newer form with <c>&lt;domain&gt;.&lt;account hash&gt;</c> after <c>$JS.ACK</c> and an optional trailing token.
/// </summary>
/// <remarks>
/// NATS.Net's own <c>Metadata</c> splits the subject into fresh strings for every message and truncates the timestamp to
/// milliseconds. This parser scans the subject once, reuses the consumer's stream and consumer names, and keeps the
/// timestamp to 100 ns. It runs for every delivered message, so it avoids general-purpose splitting and number parsing.
/// </remarks>
internal static class AckSubject
{
    private const string Prefix = "$JS.ACK.";
    private const int MaxTokens = 10; // after the prefix: domain, hash, 7 fields, trailing token

    internal static bool TryParse(string? reply, string stream, string consumer, out DeliveryInfo delivery)
    {
        delivery = default;
        if (reply is null || !reply.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        // Token boundaries after the prefix: starts[i] .. ends[i].
        Span<int> starts = stackalloc int[MaxTokens];
        Span<int> ends = stackalloc int[MaxTokens];
        var count = 0;
        var start = Prefix.Length;
        for (var i = start; i <= reply.Length; i++)
        {
            if (i < reply.Length && reply[i] != '.')
            {
                continue;
            }

            if (count == MaxTokens)
            {
                return false;
            }

            starts[count] = start;
            ends[count] = i;
            count++;
            start = i + 1;
        }

        var first = count switch
        {
            7 => 0,
            9 or 10 => 2,
            _ => -1,
        };
        if (first < 0)
        {
            return false;
        }

        var span = reply.AsSpan();
        if (!TryNumber(span[starts[first + 2]..ends[first + 2]], out var delivered)
            || !TryNumber(span[starts[first + 3]..ends[first + 3]], out var streamSequence)
            || !TryNumber(span[starts[first + 4]..ends[first + 4]], out var consumerSequence)
            || !TryNumber(span[starts[first + 5]..ends[first + 5]], out var nanos)
            || !TryNumber(span[starts[first + 6]..ends[first + 6]], out var pending)
            || nanos > long.MaxValue)
        {
            return false;
        }

        var streamToken = span[starts[first]..ends[first]];
        var consumerToken = span[starts[first + 1]..ends[first + 1]];
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

    private static bool TryNumber(ReadOnlySpan<char> token, out ulong value)
    {
        value = 0;
        if (token.IsEmpty || token.Length > 20)
        {
            return false;
        }

        foreach (var c in token)
        {
            var digit = (uint)(c - '0');
            if (digit > 9)
            {
                return false;
            }

            if (value > (ulong.MaxValue - digit) / 10)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }
}
