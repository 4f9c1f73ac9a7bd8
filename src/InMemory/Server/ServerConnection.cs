using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Goflux.InMemory.Server;

/// <summary>
/// The server's side of one client connection: it parses what the client sends (the NATS client protocol, as the
/// server's parser does: <c>CONNECT</c>, <c>PING</c>, <c>PONG</c>, <c>PUB</c>, <c>HPUB</c>, <c>SUB</c>, <c>UNSUB</c>)
/// and writes <c>INFO</c>, <c>MSG</c>, <c>HMSG</c>, <c>PONG</c>, <c>+OK</c> and <c>-ERR</c> into its <see cref="Outbox"/>.
/// </summary>
/// <remarks>Protocol errors get what nats-server 2.10.27 answers (measured on a raw connection): <c>-ERR</c> with its
/// text, and a closed connection where the server closes it (unknown operation, maximum payload, maximum control line,
/// arguments it cannot use, silently).</remarks>
internal sealed class ServerConnection
{
    /// <summary>The server's default <c>max_control_line</c>.</summary>
    public const int MaxControlLine = 4096;

    private readonly Lock _feedGate = new();
    private readonly Dictionary<string, Subscription> _subs = new(StringComparer.Ordinal);
    private byte[] _pending = new byte[1024];
    private int _pendingLength;
    private int _closed;
    private long _lastInbound;

    public ServerConnection(NatsServer server, ulong id)
    {
        Server = server;
        Id = id;
        _lastInbound = TimeProvider.System.GetTimestamp();
    }

    public NatsServer Server { get; }

    public ulong Id { get; }

    public Outbox Outbox { get; } = new();

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public bool Verbose { get; private set; }

    public bool Echo { get; private set; } = true;

    public bool NoResponders { get; private set; }

    /// <summary>Gets the wall-clock timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last bytes the client sent.</summary>
    public long LastInbound => Interlocked.Read(ref _lastInbound);

    /// <summary>Takes bytes the client sent: whole protocol messages are served at once, a partial one waits for the rest.</summary>
    public void Receive(ReadOnlySpan<byte> data)
    {
        lock (_feedGate)
        {
            if (IsClosed)
            {
                return;
            }

            Interlocked.Exchange(ref _lastInbound, TimeProvider.System.GetTimestamp());
            if (_pendingLength == 0)
            {
                var used = Process(data);
                Keep(data[used..]);
                return;
            }

            Append(data);
            var consumed = Process(_pending.AsSpan(0, _pendingLength));
            var left = _pendingLength - consumed;
            _pending.AsSpan(consumed, left).CopyTo(_pending);
            _pendingLength = left;
        }
    }

    /// <summary>Writes a message to one of this client's subscriptions; ends the subscription at its <c>UNSUB</c> max.</summary>
    /// <returns>The outbox position after the message, or -1 when the connection is closed.</returns>
    public long Deliver(Subscription sub, string subject, string? reply, ReadOnlySpan<byte> headers, ReadOnlySpan<byte> payload)
    {
        var end = Outbox.WriteMessage(subject, sub.Sid, reply, headers, payload);
        if (sub.CountDelivery())
        {
            RemoveSub(sub.Sid);
        }

        return end;
    }

    /// <summary>Writes the server's INFO line.</summary>
    public void SendInfo(string json) => Outbox.WriteText("INFO " + json + "\r\n");

    /// <summary>Writes <c>-ERR 'text'</c>; closes the connection when <paramref name="close"/> is set.</summary>
    public void SendError(string text, bool close)
    {
        Outbox.WriteText("-ERR '" + text + "'\r\n");
        if (close)
        {
            Close();
        }
    }

    /// <summary>Closes the connection: its subscriptions go, open pull requests are withdrawn, the client reads the end.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        List<Subscription> subs;
        lock (_subs)
        {
            subs = [.. _subs.Values];
            _subs.Clear();
        }

        foreach (var s in subs)
        {
            Server.Router.Remove(s);
        }

        Outbox.Close();
        Server.OnClosed(this, subs);
    }

    private void Keep(ReadOnlySpan<byte> rest)
    {
        if (rest.IsEmpty || IsClosed)
        {
            return;
        }

        Append(rest);
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_pending.Length - _pendingLength < data.Length)
        {
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + data.Length));
        }

        data.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += data.Length;
    }

    /// <summary>Serves every complete protocol message in <paramref name="data"/>.</summary>
    /// <returns>How many bytes were used; the rest is an incomplete message.</returns>
    private int Process(ReadOnlySpan<byte> data)
    {
        var pos = 0;
        while (pos < data.Length && !IsClosed)
        {
            var rest = data[pos..];
            var nl = rest.IndexOf((byte)'\n');
            if (nl < 0)
            {
                if (rest.Length > MaxControlLine)
                {
                    SendError("maximum control line exceeded", close: true);
                }

                return pos;
            }

            var line = rest[..nl];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            var op = Op(line, out var args);
            if (args.Length > MaxControlLine && op != "CONNECT")
            {
                SendError("maximum control line exceeded", close: true);
                return pos;
            }

            switch (op)
            {
                case "PUB":
                case "HPUB":
                    {
                        var used = Publish(op == "HPUB", args, rest[(nl + 1)..]);
                        if (used < 0)
                        {
                            return pos; // the payload has not fully arrived
                        }

                        pos += nl + 1 + used;
                        continue;
                    }

                case "PING":
                    Outbox.WriteText("PONG\r\n");
                    break;
                case "PONG":
                    break;
                case "SUB":
                    Subscribe(args);
                    break;
                case "UNSUB":
                    Unsubscribe(args);
                    break;
                case "CONNECT":
                    Connect(args);
                    break;
                default:
                    if (line.IsEmpty)
                    {
                        break; // a stray line end
                    }

                    SendError("Unknown Protocol Operation", close: true);
                    return pos;
            }

            if (Verbose && op is "SUB" or "UNSUB" or "CONNECT" && !IsClosed)
            {
                Outbox.WriteText("+OK\r\n");
            }

            pos += nl + 1;
        }

        return pos;
    }

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
