using System.Buffers.Text;
using System.Text;

namespace Goflux.InMemory.Server;

/// <summary>
/// The bytes the server has written to one client and the client has not read yet: what a socket's send buffer and
/// the network hold for a real server. Any thread may write; NATS.Net's one reader loop reads.
/// </summary>
/// <remarks>
/// <para>NATS.Net's reader asks for more bytes only once it has dispatched every complete protocol message it already
/// has (to its subscriptions' channels). So when <see cref="ReceiveAsync"/> is called again, everything handed out
/// before has been read: <see cref="WhenRead"/> callbacks for those positions run then.</para>
/// <para>Writes never block and never call out while holding the lock.</para>
/// </remarks>
internal sealed class Outbox
{
    private const int InitialSize = 16 * 1024;
    private readonly Lock _gate = new();
    private readonly Queue<(long End, Action Read)> _watchers = new();
    private byte[] _buf = new byte[InitialSize];
    private int _head;
    private int _tail;
    private long _consumed; // absolute position of _head
    private long _handedOut; // absolute position handed to the reader (== _consumed)
    private TaskCompletionSource<bool>? _reader;
    private bool _closed;

    /// <summary>Gets the absolute position up to which bytes were handed to the reader (the client may still be
    /// dispatching them).</summary>
    public long HandedOut
    {
        get
        {
            lock (_gate)
            {
                return _handedOut;
            }
        }
    }

    /// <summary>Gets a value indicating whether the outbox was closed (the connection is gone).</summary>
    public bool Closed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>Writes protocol text (a control line, INFO, PONG, -ERR).</summary>
    /// <returns>The absolute position after the write, or -1 when closed.</returns>
    public long WriteText(string text)
    {
        TaskCompletionSource<bool>? wake;
        long end;
        lock (_gate)
        {
            if (_closed)
            {
                return -1;
            }

            var n = Encoding.UTF8.GetByteCount(text);
            var span = Reserve(n);
            Encoding.UTF8.GetBytes(text, span);
            _tail += n;
            end = _consumed + (_tail - _head);
            wake = TakeReader();
        }

        wake?.TrySetResult(true);
        return end;
    }

    /// <summary>Writes one <c>MSG</c> (no headers) or <c>HMSG</c> to a subscription.</summary>
    /// <returns>The absolute position after the message, or -1 when closed.</returns>
    public long WriteMessage(string subject, string sid, string? reply, ReadOnlySpan<byte> headers, ReadOnlySpan<byte> payload)
    {
        TaskCompletionSource<bool>? wake;
        long end;
        lock (_gate)
        {
            if (_closed)
            {
                return -1;
            }

            var hdr = headers.Length;
            var total = hdr + payload.Length;
            var subjectBytes = Encoding.UTF8.GetByteCount(subject);
            var sidBytes = Encoding.UTF8.GetByteCount(sid);
            var replyBytes = reply is null ? 0 : Encoding.UTF8.GetByteCount(reply) + 1;

            // "HMSG " + subject + " " + sid + [" " + reply] + " " + hdr + " " + total + "\r\n" + data + "\r\n"
            var max = 5 + subjectBytes + 1 + sidBytes + replyBytes + 1 + 11 + 1 + 11 + 2 + total + 2;
            var span = Reserve(max);
            var i = 0;
            if (hdr > 0)
            {
                "HMSG "u8.CopyTo(span);
                i = 5;
            }
            else
            {
                "MSG "u8.CopyTo(span);
                i = 4;
            }

            i += Encoding.UTF8.GetBytes(subject, span[i..]);
            span[i++] = (byte)' ';
            i += Encoding.UTF8.GetBytes(sid, span[i..]);
            if (reply is not null)
            {
                span[i++] = (byte)' ';
                i += Encoding.UTF8.GetBytes(reply, span[i..]);
            }

            span[i++] = (byte)' ';
            if (hdr > 0)
            {
                Utf8Formatter.TryFormat(hdr, span[i..], out var w);
                i += w;
                span[i++] = (byte)' ';
            }

            Utf8Formatter.TryFormat(total, span[i..], out var written);
            i += written;
            span[i++] = (byte)'\r';
            span[i++] = (byte)'\n';
            headers.CopyTo(span[i..]);
            i += hdr;
            payload.CopyTo(span[i..]);
            i += payload.Length;
            span[i++] = (byte)'\r';
            span[i++] = (byte)'\n';
            _tail += i;
            end = _consumed + (_tail - _head);
            wake = TakeReader();
        }

        wake?.TrySetResult(true);
        return end;
    }

    /// <summary>
    /// Runs <paramref name="read"/> once the client has read everything up to <paramref name="end"/> (at once when it
    /// already has, or when the outbox is closed).
    /// </summary>
    public void WhenRead(long end, Action read)
    {
        lock (_gate)
        {
            if (!_closed && end > _handedOut)
            {
                _watchers.Enqueue((end, read));
                return;
            }
        }

        read();
    }

    /// <summary>Closes the outbox: the reader gets what is left, then the end of the stream; watchers run.</summary>
    public void Close()
    {
        TaskCompletionSource<bool>? wake;
        List<Action> read = [];
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            wake = TakeReader();
            while (_watchers.Count > 0)
            {
                read.Add(_watchers.Dequeue().Read);
            }
        }

        wake?.TrySetResult(false);
        foreach (var r in read)
        {
            r();
        }
    }

    /// <summary>The client's read: copies what is waiting, or waits for something to be written.</summary>
    /// <returns>The number of bytes copied; 0 once the outbox is closed and drained.</returns>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        while (true)
        {
            Task<bool>? wait = null;
            List<Action>? read = null;
            var n = 0;
            lock (_gate)
            {
                // Everything handed out before this call has been dispatched by the client.
                while (_watchers.Count > 0 && _watchers.Peek().End <= _handedOut)
                {
                    (read ??= []).Add(_watchers.Dequeue().Read);
                }

                var available = _tail - _head;
                if (available > 0 || _closed)
                {
                    n = Math.Min(available, buffer.Length);
                    _buf.AsSpan(_head, n).CopyTo(buffer.Span);
                    _head += n;
                    _consumed += n;
                    _handedOut = _consumed;
                    if (_head == _tail)
                    {
                        _head = _tail = 0;
                    }
                }
                else
                {
                    _reader = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _reader.Task;
                }
            }

            RunAll(read);
            if (wait is null)
            {
                return n;
            }

            await wait.ConfigureAwait(false);
        }
    }

    private static void RunAll(List<Action>? actions)
    {
        if (actions is null)
        {
            return;
        }

        foreach (var a in actions)
        {
            a();
        }
    }

    private TaskCompletionSource<bool>? TakeReader()
    {
        var r = _reader;
        _reader = null;
        return r;
    }

    private Span<byte> Reserve(int size)
    {
        if (_buf.Length - _tail >= size)
        {
            return _buf.AsSpan(_tail);
        }

        var used = _tail - _head;
        if (_buf.Length - used >= size && _head > 0)
        {
            _buf.AsSpan(_head, used).CopyTo(_buf);
        }
        else
        {
            var bigger = new byte[Math.Max(_buf.Length * 2, used + size)];
            _buf.AsSpan(_head, used).CopyTo(bigger);
            _buf = bigger;
        }

        _head = 0;
        _tail = used;
        return _buf.AsSpan(_tail);
    }
}
