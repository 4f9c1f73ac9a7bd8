namespace Goflux.InMemory.Server;

/// <summary>
/// The server's side of one client connection: it parses what the client sends (the NATS client protocol, as the
/// server's parser does: <c>CONNECT</c>, <c>PING</c>, <c>PONG</c>, <c>PUB</c>, <c>HPUB</c>, <c>SUB</c>, <c>UNSUB</c>)
/// and writes <c>INFO</c>, <c>MSG</c>, <c>HMSG</c>, <c>PONG</c>, <c>+OK</c> and <c>-ERR</c> into its <see cref="Outbox"/>.
/// </summary>
/// <remarks>Protocol errors get what nats-server 2.10.27 answers (measured on a raw connection): <c>-ERR</c> with its
/// text, and a closed connection where the server closes it (unknown operation, maximum payload, maximum control line,
/// arguments it cannot use, silently).</remarks>
internal sealed partial class ServerConnection
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
}
