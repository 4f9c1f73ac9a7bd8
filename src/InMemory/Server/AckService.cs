using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Goflux.InMemory.Server;

/// <summary>
/// Acknowledgements published to a delivery's reply subject,
/// <c>$JS.ACK.&lt;stream&gt;.&lt;consumer&gt;.&lt;delivered&gt;.&lt;stream seq&gt;.&lt;consumer seq&gt;.&lt;timestamp&gt;.&lt;pending&gt;</c>:
/// <c>+ACK</c> (or an empty body), <c>-NAK</c> with an optional delay (<c>{"delay": ns}</c> or a duration such as
/// <c>5s</c>), <c>+WPI</c>, <c>+TERM</c> with an optional reason, and <c>+NXT</c> (ack, then a pull request). An ack
/// sent as a request (NATS.Net's double ack) gets the server's empty reply once applied.
/// </summary>
internal sealed class AckService(NatsServer server)
{
    /// <summary>Serves one message on a <c>$JS.ACK.</c> subject.</summary>
    /// <returns><see langword="false"/> when no consumer listens on the subject (its stream or consumer does not exist).</returns>
    public bool Handle(string subject, string? reply, ReadOnlySpan<byte> body)
    {
        var tokens = subject.Split('.');
        if (tokens.Length < 4)
        {
            return false;
        }

        ulong delivered = 0, sseq = 0, cseq = 0, pending = 0;
        long ts = 0;
        var parsed = tokens.Length == 9
            && ulong.TryParse(tokens[4], NumberStyles.None, CultureInfo.InvariantCulture, out delivered)
            && ulong.TryParse(tokens[5], NumberStyles.None, CultureInfo.InvariantCulture, out sseq)
            && ulong.TryParse(tokens[6], NumberStyles.None, CultureInfo.InvariantCulture, out cseq)
            && long.TryParse(tokens[7], NumberStyles.None, CultureInfo.InvariantCulture, out ts)
            && ulong.TryParse(tokens[8], NumberStyles.None, CultureInfo.InvariantCulture, out pending)
            && sseq > 0;
        if (!parsed)
        {
            // The consumer's ack subscription still takes it, and the server does nothing with it (no reply).
            return server.Engine.ConsumerExists(tokens[2], tokens[3]);
        }

        var metadata = new DeliveryInfo(tokens[2], tokens[3], sseq, cseq, delivered, pending, DateTimeOffset.UnixEpoch.AddTicks(ts / 100));
        var text = Encoding.UTF8.GetString(body);
        var (kind, delay, reason, next) = Parse(text);
        bool known;
        try
        {
            known = kind is { } k
                ? server.Engine.AcknowledgeReply(metadata, k, delay, reason)
                : server.Engine.ConsumerExists(metadata.Stream, metadata.Consumer);
        }
        catch (ObjectDisposedException)
        {
            return true;
        }

        if (!known)
        {
            return false;
        }

        if (next is not null)
        {
            // +NXT: the next request opens (its hand-offs counted) before this delivery stops counting.
            server.Pulls.Next(metadata.Stream, metadata.Consumer, reply, Encoding.UTF8.GetBytes(next));
            server.Settle.Settled(subject, metadata, ack: true);
            return true;
        }

        if (kind is InMemoryDelivery.AckKind.Ack or InMemoryDelivery.AckKind.Nak or InMemoryDelivery.AckKind.Term)
        {
            server.Settle.Settled(subject, metadata, ack: kind == InMemoryDelivery.AckKind.Ack);
        }

        if (reply is not null)
        {
            server.Send(reply, reply, null, [], [], out _); // the ack of the ack
        }

        return true;
    }

    private static (InMemoryDelivery.AckKind? Kind, TimeSpan? Delay, string? Reason, string? Next) Parse(string text)
    {
        if (text.Length == 0 || text == "+ACK" || text == "+OK")
        {
            return (InMemoryDelivery.AckKind.Ack, null, null, null);
        }

        if (text.StartsWith("+NXT", StringComparison.Ordinal))
        {
            return (InMemoryDelivery.AckKind.Ack, null, null, text[4..].Trim());
        }

        if (text.StartsWith("-NAK", StringComparison.Ordinal))
        {
            return (InMemoryDelivery.AckKind.Nak, NakDelay(text[4..].Trim()), null, null);
        }

        if (text == "+WPI")
        {
            return (InMemoryDelivery.AckKind.InProgress, null, null, null);
        }

        if (text.StartsWith("+TERM", StringComparison.Ordinal))
        {
            var reason = text[5..].Trim();
            return (InMemoryDelivery.AckKind.Term, null, reason.Length == 0 ? null : reason, null);
        }

        return (null, null, null, null); // not an ack the server knows: it only answers a request for it
    }

    /// <summary>The delay of a <c>-NAK</c>; a bad one makes it a plain nak, as on the server.</summary>
    private static TimeSpan? NakDelay(string arg)
    {
        if (arg.Length == 0)
        {
            return null;
        }

        if (arg[0] == '{')
        {
            try
            {
                using var doc = JsonDocument.Parse(arg);
                if (doc.RootElement.ValueKind == JsonValueKind.Object
                    && doc.RootElement.TryGetProperty("delay", out var d)
                    && d.ValueKind == JsonValueKind.Number
                    && d.TryGetInt64(out var ns))
                {
                    return TimeSpan.FromTicks(ns / 100);
                }

                return null;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        return GoDuration.TryParse(arg, out var delay) ? delay : null;
    }
}
