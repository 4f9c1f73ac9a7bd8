using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Goflux.InMemory.Server;

/// <summary>The client protocol's operations on one connection: reading an operation's arguments, and what
/// <c>PUB</c>, <c>HPUB</c>, <c>SUB</c>, <c>UNSUB</c> and <c>CONNECT</c> do.</summary>
internal sealed partial class ServerConnection
{
    private static string Op(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> args)
    {
        var i = 0;
        while (i < line.Length && line[i] is (byte)' ' or (byte)'\t')
        {
            i++;
        }

        var start = i;
        while (i < line.Length && line[i] is not ((byte)' ' or (byte)'\t'))
        {
            i++;
        }

        var word = line[start..i];
        args = i < line.Length ? line[(i + 1)..] : [];
        if (word.Length > 7)
        {
            return "?";
        }

        Span<char> upper = stackalloc char[word.Length];
        for (var k = 0; k < word.Length; k++)
        {
            upper[k] = (char)(word[k] is >= (byte)'a' and <= (byte)'z' ? word[k] - 32 : word[k]);
        }

        return upper switch
        {
            "PUB" => "PUB",
            "HPUB" => "HPUB",
            "SUB" => "SUB",
            "UNSUB" => "UNSUB",
            "PING" => "PING",
            "PONG" => "PONG",
            "CONNECT" => "CONNECT",
            "" => "",
            _ => "?",
        };
    }

    private static List<string> Split(ReadOnlySpan<byte> args)
    {
        var parts = new List<string>(4);
        var i = 0;
        while (i < args.Length)
        {
            while (i < args.Length && args[i] is (byte)' ' or (byte)'\t')
            {
                i++;
            }

            var start = i;
            while (i < args.Length && args[i] is not ((byte)' ' or (byte)'\t'))
            {
                i++;
            }

            if (i > start)
            {
                parts.Add(Encoding.UTF8.GetString(args[start..i]));
            }
        }

        return parts;
    }

    private static long Size(string s)
        => Utf8Parser.TryParse(Encoding.ASCII.GetBytes(s), out long v, out var used) && used == s.Length && v >= 0 ? v : -1;

    /// <summary>Handles PUB/HPUB once its payload is complete.</summary>
    /// <returns>Bytes used after the control line, or -1 when the payload is incomplete.</returns>
    private int Publish(bool withHeaders, ReadOnlySpan<byte> args, ReadOnlySpan<byte> after)
    {
        var a = Split(args);
        string subject;
        string? reply = null;
        long hdr = 0;
        long total;
        switch (withHeaders ? a.Count - 1 : a.Count)
        {
            case 2:
                subject = a[0];
                if (withHeaders)
                {
                    hdr = Size(a[1]);
                }

                total = Size(a[^1]);
                break;
            case 3:
                subject = a[0];
                reply = a[1];
                if (withHeaders)
                {
                    hdr = Size(a[2]);
                }

                total = Size(a[^1]);
                break;
            default:
                BadArguments(args);
                return 0;
        }

        if (hdr < 0 || total < 0 || hdr > total)
        {
            BadArguments(args);
            return 0;
        }

        if (total > Server.MaxPayload)
        {
            SendError("Maximum Payload Violation", close: true);
            return 0;
        }

        if (after.Length < total + 2)
        {
            return -1;
        }

        if (after[(int)total] != (byte)'\r' || after[(int)total + 1] != (byte)'\n')
        {
            SendError("Unknown Protocol Operation", close: true);
            return 0;
        }

        var data = after[..(int)total];
        Server.Publish(this, subject, reply, data[..(int)hdr], data[(int)hdr..]);
        if (Verbose && !IsClosed)
        {
            Outbox.WriteText("+OK\r\n");
        }

        return (int)total + 2;
    }

    private void Subscribe(ReadOnlySpan<byte> args)
    {
        var a = Split(args);
        if (a.Count is not (2 or 3))
        {
            BadArguments(args);
            return;
        }

        var subject = a[0];
        var queue = a.Count == 3 ? a[1] : null;
        var sid = a[^1];
        if (!Subjects.IsValidPattern(subject) || (queue is not null && queue.Length == 0))
        {
            SendError("Invalid Subject", close: false);
            return;
        }

        var sub = new Subscription(this, subject, queue, sid);
        lock (_subs)
        {
            if (!_subs.TryAdd(sid, sub))
            {
                return; // the server keeps the first subscription of a sid
            }
        }

        Server.Router.Add(sub);
        Server.Pushes.Subscribed(sub);
    }

    private void Unsubscribe(ReadOnlySpan<byte> args)
    {
        var a = Split(args);
        if (a.Count is not (1 or 2))
        {
            BadArguments(args);
            return;
        }

        Subscription? sub;
        lock (_subs)
        {
            _subs.TryGetValue(a[0], out sub);
        }

        if (sub is null)
        {
            return;
        }

        if (a.Count == 2 && Size(a[1]) is > 0 and var max && sub.Delivered < max)
        {
            sub.Max = max;
            return;
        }

        RemoveSub(sub.Sid);
    }

    /// <summary>
    /// An operation with arguments the server cannot use. As nats-server 2.10.27 does (measured): an operation with no
    /// arguments at all is a parser error ("Unknown Protocol Operation"); wrong arguments close the connection without a
    /// word.
    /// </summary>
    private void BadArguments(ReadOnlySpan<byte> args)
    {
        if (args.Trim((byte)' ').IsEmpty)
        {
            SendError("Unknown Protocol Operation", close: true);
        }
        else
        {
            Close();
        }
    }

    private void RemoveSub(string sid)
    {
        Subscription? sub;
        lock (_subs)
        {
            if (!_subs.Remove(sid, out sub))
            {
                return;
            }
        }

        Server.Router.Remove(sub);
        Server.OnUnsubscribed(sub);
    }

    private void Connect(ReadOnlySpan<byte> args)
    {
        try
        {
            using var doc = JsonDocument.Parse(args.ToArray());
            var r = doc.RootElement;
            Verbose = Flag(r, "verbose", false);
            Echo = Flag(r, "echo", true);
            NoResponders = Flag(r, "no_responders", false) && Flag(r, "headers", false);
        }
        catch (JsonException)
        {
            BadArguments(args);
        }

        static bool Flag(JsonElement r, string name, bool otherwise)
            => r.ValueKind == JsonValueKind.Object && r.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? v.GetBoolean()
                : otherwise;
    }
}
