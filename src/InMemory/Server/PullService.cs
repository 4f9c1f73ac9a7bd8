using System.Globalization;
using System.Text;
using System.Text.Json;
using Goflux.InMemory.Internal;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Server;

/// <summary>
/// Pull requests from clients (<c>CONSUMER.MSG.NEXT</c>): the request's limits checked as the server checks them, the
/// request handed to the engine's consumer, its messages written to the reply subject with their <c>$JS.ACK</c>
/// reply, and its end reported with the server's status messages (404 No Messages, 408 Request Timeout, 409 Consumer
/// Deleted, 100 Idle Heartbeat).
/// </summary>
/// <remarks>
/// Request expiry runs on the engine's clock, as every engine deadline does. Idle heartbeats run on the wall clock: they
/// only tell NATS.Net that the server is alive, and NATS.Net checks them with its own wall-clock timer, so a test that
/// holds virtual time still for a minute does not make NATS.Net's consume loop see missed heartbeats.
/// </remarks>
internal sealed class PullService(NatsServer server)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<ClientPullRequest>> _open = new(StringComparer.Ordinal);

    /// <summary>Pull requests that arrived on a reply subject and are not open yet (by reply subject).</summary>
    private readonly Dictionary<string, int> _arriving = new(StringComparer.Ordinal);

    private InMemoryJetStream Engine => server.Engine;

    /// <summary>Serves <c>$JS.API.CONSUMER.MSG.NEXT.&lt;stream&gt;.&lt;consumer&gt;</c>.</summary>
    /// <returns><see langword="false"/> when the consumer does not exist (nobody listens on the subject).</returns>
    public bool Next(string stream, string consumer, string? reply, ReadOnlySpan<byte> body)
    {
        ConsumerInfo info;
        try
        {
            info = Engine.GetConsumerInfoAsync(stream, consumer).AsTask().GetAwaiter().GetResult();
        }
        catch (GofluxException)
        {
            return false;
        }

        if (reply is null)
        {
            return true; // the server ignores a pull request it cannot answer
        }

        // The subscription asked again: what the engine waited for is answered, but only released once the new request
        // took what it could (each hand-off counted first), so the engine is never idle in between. Counted as arriving
        // first: a request of the same subscription that ends meanwhile owes no further request (End).
        lock (_gate)
        {
            _arriving[reply] = _arriving.GetValueOrDefault(reply) + 1;
        }

        var answered = server.Settle.DetachRepulls(reply);
        var arrival = new Arrival(reply);
        try
        {
            return Open(stream, consumer, reply, body, info, ref arrival);
        }
        finally
        {
            if (!arrival.Done)
            {
                lock (_gate)
                {
                    Arrived(ref arrival);
                }
            }

            server.Settle.Release(answered);
        }
    }

    /// <summary>A pull request arrived and is now open, or was answered at once: it no longer counts as arriving.
    /// Under <see cref="_gate"/>.</summary>
    private void Arrived(ref Arrival arrival)
    {
        arrival.Done = true;
        var left = _arriving.GetValueOrDefault(arrival.Reply) - 1;
        if (left > 0)
        {
            _arriving[arrival.Reply] = left;
        }
        else
        {
            _arriving.Remove(arrival.Reply);
        }
    }

    private bool Open(string stream, string consumer, string reply, ReadOnlySpan<byte> body, ConsumerInfo info, ref Arrival arrival)
    {
        if (!TryParse(body, out var request, out var problem))
        {
            Status(reply, 400, "Bad Request - " + problem);
            return true;
        }

        var config = info.Config;
        if (!string.IsNullOrEmpty(config.DeliverSubject))
        {
            Status(reply, 409, "Consumer is push based"); // S-133
            return true;
        }

        var batch = request.Batch <= 0 ? 1 : request.Batch;
        if (config.MaxBatch > 0 && batch > config.MaxBatch)
        {
            Status(reply, 409, string.Create(CultureInfo.InvariantCulture, $"Exceeded MaxRequestBatch of {config.MaxBatch}"));
            return true;
        }

        if (request.Expires > TimeSpan.Zero && config.MaxExpires > TimeSpan.Zero && request.Expires > config.MaxExpires)
        {
            Status(reply, 409, "Exceeded MaxRequestExpires of " + GoDuration.Format(config.MaxExpires));
            return true;
        }

        if (request.MaxBytes > 0 && config.MaxBytes > 0 && request.MaxBytes > config.MaxBytes)
        {
            Status(reply, 409, string.Create(CultureInfo.InvariantCulture, $"Exceeded MaxRequestMaxBytes of {config.MaxBytes}"));
            return true;
        }

        var maxWaiting = config.MaxWaiting > 0 ? config.MaxWaiting : 512;
        if (info.NumWaiting >= maxWaiting)
        {
            Status(reply, 409, "Exceeded MaxWaiting");
            return true;
        }

        var r = new ClientPullRequest(
            this,
            stream,
            consumer,
            reply,
            (int)Math.Min(batch, int.MaxValue),
            request.NoWait,
            request.MaxBytes,
            request.IdleHeartbeat,
            config.AckPolicy == ConsumerConfigAckPolicy.None,
            config.AckPolicy == ConsumerConfigAckPolicy.All);
        lock (_gate)
        {
            if (!_open.TryGetValue(reply, out var list))
            {
                _open[reply] = list = [];
            }

            list.Add(r);
            Arrived(ref arrival);
        }

        try
        {
            Engine.OpenPull(stream, consumer, r, request.Expires > TimeSpan.Zero ? request.Expires : null);
            server.PullOpened(stream, consumer);
        }
        catch (GofluxException)
        {
            Forget(r);
            return false;
        }
        catch (ObjectDisposedException)
        {
            Forget(r);
        }

        return true;
    }

    /// <summary>Writes one delivery (an effect of the engine, outside its lock).</summary>
    public void Deliver(ClientPullRequest r, InMemoryDelivery d)
    {
        var ack = d.ReplyTo;
        var epoch = server.Settle.LeaveEpoch;
        var end = server.Send(r.Reply, d.Subject, ack, WireHeaders.Write(d.Headers), d.Data.Span, out var receiver);
        r.Wrote(receiver, end);
        server.Settle.Delivered(ack, r.Reply, d.Metadata, receiver, end, r.AckNone, r.AckAll, epoch);
    }

    /// <summary>Reports the end of a request with the server's status (an effect of the engine, outside its lock).</summary>
    public void End(ClientPullRequest r, Exception? error)
    {
        Forget(r);
        if (r.Withdrawn || error is ObjectDisposedException)
        {
            return;
        }

        if (error is not null || r.Ending == PullEnding.ConsumerDeleted)
        {
            Status(r.Reply, 409, "Consumer Deleted");
            return;
        }

        // The subscription is expected to ask again (a consume loop) or to go away (a fetch): count that answer as owed
        // before the client can see the end. Unless it already asked again: a consume loop sends its next request
        // before the last one is filled, and then owes nothing more (the engine would wait for a request that only comes
        // once the client has used up the one it sent).
        var receiver = r.LastReceiver ?? server.FirstListener(r.Reply);
        object? owed = null;
        if (receiver is not null)
        {
            lock (_gate)
            {
                if (!_open.ContainsKey(r.Reply) && !_arriving.ContainsKey(r.Reply))
                {
                    owed = server.Settle.AwaitRepull(r.Reply, receiver);
                }
            }
        }
        var pending = new[] { ("Nats-Pending-Messages", (long)r.Remaining), ("Nats-Pending-Bytes", r.MaxBytes) };
        var end = r.Ending switch
        {
            PullEnding.Expired or PullEnding.NoWaitDone => Status(r.Reply, 408, "Request Timeout", pending),
            PullEnding.NoMessages => Status(r.Reply, 404, "No Messages"),
            PullEnding.RequestsPending => Status(r.Reply, 408, "Requests Pending"),
            PullEnding.MaxBytesExceeded => Status(r.Reply, 409, "Message Size Exceeds MaxBytes", pending),
            _ => r.LastEnd, // filled: the server says nothing more
        };

        if (owed is not null)
        {
            server.Settle.ReadAt(owed, receiver!, end);
            if (!server.Router.HasInterest(r.Reply))
            {
                server.Settle.Repulled(r.Reply); // the subscription is already gone
            }
        }
    }

    /// <summary>Nobody listens on <paramref name="reply"/> any more: its requests are withdrawn, as the server drops a
    /// request whose reply subject lost interest.</summary>
    public void InterestGone(string reply)
    {
        List<ClientPullRequest>? gone;
        lock (_gate)
        {
            _open.Remove(reply, out gone);
        }

        server.Settle.Repulled(reply);
        if (gone is null or { Count: 0 })
        {
            return;
        }

        server.Settle.Abandoned(reply);

        foreach (var r in gone)
        {
            if (r.MarkWithdrawn())
            {
                try
                {
                    Engine.Cancel(r);
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }
    }

    /// <summary>The reply subjects of open requests that <paramref name="pattern"/> matches.</summary>
    public List<string> RepliesMatching(string pattern, bool wildcard)
    {
        lock (_gate)
        {
            if (!wildcard)
            {
                return _open.ContainsKey(pattern) ? [pattern] : [];
            }

            return [.. _open.Keys.Where(k => Subjects.Matches(pattern, k))];
        }
    }

    /// <summary>Sends idle heartbeats, on the wall clock, to requests that heard nothing for their heartbeat interval.</summary>
    public void Tick(long now)
    {
        List<ClientPullRequest> due;
        lock (_gate)
        {
            due = [.. _open.Values.SelectMany(l => l).Where(r => r.Heartbeat > TimeSpan.Zero && TimeProvider.System.GetElapsedTime(r.LastWrite, now) >= r.Heartbeat)];
        }

        foreach (var r in due)
        {
            ConsumerInfo info;
            try
            {
                info = Engine.GetConsumerInfoAsync(r.Stream, r.ConsumerName).AsTask().GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is GofluxException or ObjectDisposedException)
            {
                continue;
            }

            Status(r.Reply, 100, "Idle Heartbeat", ("Nats-Last-Consumer", (long)(info.Delivered?.ConsumerSeq ?? 0)), ("Nats-Last-Stream", (long)(info.Delivered?.StreamSeq ?? 0)));
            r.Touched();
        }
    }

    private static bool TryParse(ReadOnlySpan<byte> body, out ConsumerGetnextRequest request, out string problem)
    {
        problem = string.Empty;
        var text = Encoding.UTF8.GetString(body).Trim();
        if (text.Length == 0)
        {
            request = new ConsumerGetnextRequest { Batch = 1 };
            return true;
        }

        if (text[0] != '{')
        {
            request = new ConsumerGetnextRequest { Batch = long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 1 };
            return true;
        }

        try
        {
            request = ApiJson.Read<ConsumerGetnextRequest>(body) ?? new ConsumerGetnextRequest();
        }
        catch (JsonException ex)
        {
            request = new ConsumerGetnextRequest();
            problem = ex.Message;
            return false;
        }

        if (request.IdleHeartbeat > TimeSpan.Zero && request.IdleHeartbeat * 2 > request.Expires)
        {
            problem = "heartbeat value too large";
            return false;
        }

        return true;
    }

    private void Forget(ClientPullRequest r)
    {
        lock (_gate)
        {
            if (_open.TryGetValue(r.Reply, out var list))
            {
                list.Remove(r);
                if (list.Count == 0)
                {
                    _open.Remove(r.Reply);
                }
            }
        }
    }

    /// <summary>A pull request on its way from arriving to open.</summary>
    private struct Arrival(string reply)
    {
        public string Reply { get; } = reply;

        public bool Done { get; set; }
    }

    private long Status(string reply, int code, string description, params (string Name, long Value)[] headers)
        => server.Send(reply, reply, null, WireHeaders.Status(code, description, headers), [], out _);

}
