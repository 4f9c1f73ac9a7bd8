using System.Buffers;
using System.Globalization;
using System.Text.Json;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Server;

/// <summary>
/// The engine as a NATS server for in-process clients: connections, core subject routing (wildcards, queue groups,
/// no responders), JetStream publishes, the JetStream API, pull requests, acks and advisories. Protocol translation
/// only: it calls the engine's facade and never reaches into its state.
/// </summary>
/// <remarks>
/// Lock rules: the server's own locks (router, pull requests, settle tracker, each outbox) never call out while held,
/// and none is held while calling the engine. The engine calls back only through its effects (deliveries, request
/// endings, advisories), which run outside the engine lock.
/// </remarks>
internal sealed class NatsServer : IDisposable
{
    /// <summary>The URL in-process clients are given (the socket factory ignores it).</summary>
    public const string Url = "nats://goflux-in-memory:4222";

    private static readonly TimeSpan TickPeriod = TimeSpan.FromMilliseconds(100);
    private readonly Lock _gate = new();
    private readonly HashSet<ServerConnection> _connections = [];
    private readonly ITimer _ticker;
    private readonly string _serverId = "NGOFLUX" + Guid.NewGuid().ToString("N")[..22].ToUpperInvariant();
    private readonly List<(string Stream, string Consumer, TaskCompletionSource Signal)> _pullWaiters = [];
    private long _nextClientId;
    private int _disposed;

    public NatsServer(InMemoryJetStream engine)
    {
        Engine = engine;
        MaxPayload = engine.Options.MaxPayload > 0 ? engine.Options.MaxPayload : int.MaxValue;
        SocketFactory = new InProcessSocketFactory(this);
        Settle = new SettleTracker(engine, engine.Options.UnsettledGrace);
        Pulls = new PullService(this);
        Pushes = new PushService(this);
        Acks = new AckService(this);
        Api = new JetStreamApi(this);
        Advisories = new AdvisoryPublisher(this);

        // Wall-clock work only: idle heartbeats and the unsettled grace (both answer NATS.Net's wall-clock timers).
        _ticker = TimeProvider.System.CreateTimer(static s => ((NatsServer)s!).Tick(), this, TickPeriod, TickPeriod);
    }

    public InMemoryJetStream Engine { get; }

    public InProcessSocketFactory SocketFactory { get; }

    public SubjectRouter Router { get; } = new();

    public SettleTracker Settle { get; }

    public PullService Pulls { get; }

    public PushService Pushes { get; }

    public AckService Acks { get; }

    public JetStreamApi Api { get; }

    public AdvisoryPublisher Advisories { get; }

    public long MaxPayload { get; }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>A client connects: the server's INFO goes out first, as over TCP.</summary>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public ServerConnection Accept()
    {
        var c = new ServerConnection(this, (ulong)Interlocked.Increment(ref _nextClientId));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, Engine);
            _connections.Add(c);
        }

        c.SendInfo(Info(c.Id));
        return c;
    }

    /// <summary>
    /// Routes a client's publish as the server does: to every matching subscription (one member per queue group), to the
    /// JetStream API, to a consumer's ack subject, or to the stream that captures the subject (then the PubAck goes to
    /// the reply). A request nobody can answer gets the 503 no-responders status when the client asked for it.
    /// </summary>
    public void Publish(ServerConnection from, string subject, string? reply, ReadOnlySpan<byte> headers, ReadOnlySpan<byte> payload)
    {
        var interest = Deliver(Router.Match(subject, from.Echo ? null : from), subject, subject, reply, headers, payload, out _) >= 0;
        if (subject.StartsWith(JetStreamApi.Prefix, StringComparison.Ordinal))
        {
            interest |= Api.Handle(subject, reply, headers, payload);
        }
        else if (subject.StartsWith("$JS.ACK.", StringComparison.Ordinal))
        {
            interest |= Acks.Handle(subject, reply, payload);
        }
        else if (Engine.StreamCapturing(subject) is { } stream)
        {
            interest |= JetStreamPublish(stream, subject, reply, headers, payload);
        }

        if (!interest && reply is not null && from.NoResponders)
        {
            var status = WireHeaders.Status(503, null);
            foreach (var s in Router.Match(reply, null) ?? [])
            {
                if (s.Connection == from)
                {
                    from.Deliver(s, reply, null, status, []);
                }
            }
        }
    }

    /// <summary>
    /// Sends a message the server originates (a delivery, a status, an API response, an advisory) to whoever subscribes
    /// to <paramref name="to"/>, written with <paramref name="subject"/> as its subject.
    /// </summary>
    /// <returns>The outbox position after the message at the first receiver, or -1 when nobody received it.</returns>
    public long Send(string to, string subject, string? reply, ReadOnlySpan<byte> headers, ReadOnlySpan<byte> payload, out ServerConnection? receiver)
        => Deliver(Router.Match(to, null), to, subject, reply, headers, payload, out receiver);

    /// <summary>The connection of the first subscription on <paramref name="subject"/>, or <see langword="null"/>.</summary>
    public ServerConnection? FirstListener(string subject) => Router.Match(subject, null) is [var first, ..] ? first.Connection : null;

    /// <summary>A subscription ended: pull requests whose reply subject nobody listens on any more are withdrawn, and push
    /// consumers delivering to its subject look at their interest again.</summary>
    public void OnUnsubscribed(Subscription sub)
    {
        foreach (var reply in Pulls.RepliesMatching(sub.Subject, sub.Wildcard).Union(Settle.AwaitingMatching(sub.Subject, sub.Wildcard)))
        {
            if (!Router.HasInterest(reply))
            {
                Pulls.InterestGone(reply);
            }
        }

        Pushes.Unsubscribed(sub);
    }

    /// <summary>A connection closed: its subscriptions are gone (see <see cref="OnUnsubscribed"/>) and whatever it owed
    /// the engine is answered.</summary>
    public void OnClosed(ServerConnection connection, List<Subscription> subs)
    {
        lock (_gate)
        {
            _connections.Remove(connection);
        }

        foreach (var s in subs)
        {
            OnUnsubscribed(s);
        }

        Settle.Closed(connection);
    }

    /// <summary>Registers a wait for the next client pull request on a consumer.</summary>
    public TaskCompletionSource WaitForPull(string stream, string consumer)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pullWaiters)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, Engine);
            _pullWaiters.Add((stream, consumer, signal));
        }

        return signal;
    }

    /// <summary>Forgets a wait registered with <see cref="WaitForPull"/>.</summary>
    public void StopWaitingForPull(TaskCompletionSource signal)
    {
        lock (_pullWaiters)
        {
            _pullWaiters.RemoveAll(w => w.Signal == signal);
        }
    }

    /// <summary>A client pull request was opened on a consumer.</summary>
    public void PullOpened(string stream, string consumer)
    {
        List<TaskCompletionSource> due;
        lock (_pullWaiters)
        {
            due = [.. _pullWaiters.Where(w => w.Stream == stream && w.Consumer == consumer).Select(w => w.Signal)];
            _pullWaiters.RemoveAll(w => w.Stream == stream && w.Consumer == consumer);
        }

        foreach (var d in due)
        {
            d.TrySetResult();
        }
    }

    /// <summary>A client subscribed: waits for a push consumer that now delivers to a client end.</summary>
    public void Subscribed()
    {
        List<(string Stream, string Consumer, TaskCompletionSource Signal)> waiting;
        lock (_pullWaiters)
        {
            if (_pullWaiters.Count == 0)
            {
                return;
            }

            waiting = [.. _pullWaiters];
        }

        foreach (var (stream, consumer, signal) in waiting)
        {
            try
            {
                if (Engine.GetConsumerInfoAsync(stream, consumer).AsTask().GetAwaiter().GetResult().PushBound)
                {
                    StopWaitingForPull(signal);
                    signal.TrySetResult();
                }
            }
            catch (Exception ex) when (ex is GofluxException or ObjectDisposedException)
            {
                // not created yet, or the engine is going away
            }
        }
    }

    /// <summary>See <see cref="InMemoryJetStream.LeaveUnsettled()"/>.</summary>
    public int LeaveUnsettled() => Settle.LeaveRead();

    /// <summary>See <see cref="InMemoryJetStream.LeaveUnsettled(string, string)"/>.</summary>
    public int LeaveUnsettled(string stream, string consumer) => Settle.LeaveRead(stream, consumer);

    /// <summary>Closes every connection: clients read the end of the stream and, with no server to reconnect to, close.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _ticker.Dispose();
        Advisories.Dispose();
        List<TaskCompletionSource> waiters;
        lock (_pullWaiters)
        {
            waiters = [.. _pullWaiters.Select(w => w.Signal)];
            _pullWaiters.Clear();
        }

        foreach (var w in waiters)
        {
            w.TrySetException(new ObjectDisposedException(nameof(InMemoryJetStream), "The engine was disposed while waiting for a pull request."));
        }

        List<ServerConnection> all;
        lock (_gate)
        {
            all = [.. _connections];
        }

        foreach (var c in all)
        {
            c.Close();
        }
    }

    private static long Deliver(List<Subscription>? subs, string to, string subject, string? reply, ReadOnlySpan<byte> headers, ReadOnlySpan<byte> payload, out ServerConnection? receiver)
    {
        _ = to;
        receiver = null;
        if (subs is null)
        {
            return -1;
        }

        long first = -1;
        foreach (var s in subs)
        {
            var end = s.Connection.Deliver(s, subject, reply, headers, payload);
            if (receiver is null && end >= 0)
            {
                receiver = s.Connection;
                first = end;
            }
        }

        return first;
    }

    /// <summary>Stores a publish in the stream that captures its subject; the PubAck (or its error) goes to the reply.</summary>
    /// <returns><see langword="false"/> when no stream captured it after all (deleted meanwhile).</returns>
    private bool JetStreamPublish(string stream, string subject, string? reply, ReadOnlySpan<byte> headers, ReadOnlySpan<byte> payload)
    {
        byte[] ack;
        try
        {
            var stored = headers.IsEmpty ? null : WireHeaders.Parse(headers);
            var result = Engine.Publish(subject, payload, stored);
            ack = ApiJson.Plain(new PubAckResponse { Stream = result.Stream, Seq = result.Sequence, Duplicate = result.Duplicate });
        }
        catch (GofluxException ex) when (ex.PublishOutcome == PublishOutcome.NoStream)
        {
            return false;
        }
        catch (GofluxException ex) when (ex.PublishOutcome == PublishOutcome.Unknown)
        {
            return true; // an injected lost acknowledgement: stored, but no PubAck arrives
        }
        catch (GofluxException ex)
        {
            ack = PubAckError(stream, ex.ErrorCode is { } code ? ApiErrors.Of(code, ex.Message) : ApiErrors.From(ex));
        }
        catch (FormatException ex)
        {
            ack = PubAckError(stream, ApiErrors.NotModeled(ex.Message));
        }
        catch (ObjectDisposedException)
        {
            return true;
        }

        if (reply is not null)
        {
            Send(reply, reply, null, [], ack, out _);
        }

        return true;
    }

    /// <summary>A PubAck error as the server writes it: the error, the stream, and <c>seq</c> 0 (S-19).</summary>
    private static byte[] PubAckError(string stream, NATS.Client.JetStream.Models.ApiError error)
    {
        var w = new ArrayBufferWriter<byte>(256);
        using (var j = new Utf8JsonWriter(w))
        {
            j.WriteStartObject();
            ApiJson.WriteError(j, error);
            j.WriteString("stream", stream);
            j.WriteNumber("seq", 0);
            j.WriteEndObject();
        }

        return w.WrittenSpan.ToArray();
    }

    private string Info(ulong clientId)
    {
        var w = new ArrayBufferWriter<byte>(256);
        using (var j = new Utf8JsonWriter(w))
        {
            j.WriteStartObject();
            j.WriteString("server_id", _serverId);
            j.WriteString("server_name", "goflux-in-memory");
            j.WriteString("version", InMemoryJetStream.ServerVersion);
            j.WriteNumber("proto", 1);
            j.WriteString("go", "none (in-process)");
            j.WriteString("host", "0.0.0.0");
            j.WriteNumber("port", 4222);
            j.WriteBoolean("headers", true);
            j.WriteNumber("max_payload", MaxPayload > int.MaxValue ? int.MaxValue : MaxPayload);
            j.WriteBoolean("jetstream", true);
            j.WriteNumber("client_id", clientId);
            j.WriteString("client_ip", "127.0.0.1");
            j.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(w.WrittenSpan);
    }

    private void Tick()
    {
        if (IsDisposed)
        {
            return;
        }

        var now = TimeProvider.System.GetTimestamp();
        try
        {
            Pulls.Tick(now);
            Pushes.Tick(now);
            Settle.Tick(now);
        }
#pragma warning disable CA1031 // A timer thread must never die of a failed heartbeat; the next tick tries again.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Formats a number the way the server writes it.</summary>
    internal static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
