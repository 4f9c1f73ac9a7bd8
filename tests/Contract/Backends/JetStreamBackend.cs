using System.Diagnostics.CodeAnalysis;
using Goflux.InMemory;
using Goflux.Testing;
using Goflux.Testing.Internal;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.Contract.Tests.Backends;

/// <summary>A real nats-server through NATS.Net, from the test kit's JetStream backend: the oracle.</summary>
public sealed class JetStreamBackend : KitBackend
{
    private static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(15);
    private readonly JetStreamDriver _driver;
    private readonly List<string> _streams = [];

    private JetStreamBackend(TestBackend kit)
        : base(kit)
    {
        _driver = (JetStreamDriver)kit.Driver;
        Js = _driver.Js;
    }

    public override string Name => "JetStream";

    public override bool RealTime => true;

    public INatsJSContext Js { get; }

    public INatsConnection Connection => Js.Connection;

    /// <summary>The kit's JetStream backend: a connection to the fixture's server (started on first use), listening to its advisories.</summary>
    public static async Task<JetStreamBackend> StartAsync(NatsServerFixture server)
        => new(await TestBackend.StartAsync(TestBackendKind.JetStream, new TestBackendOptions { Server = server }));

    public override Task<StreamInfo> CreateStreamAsync(StreamConfig config) => Map(async () =>
    {
        var s = await Js.CreateStreamAsync(config);
        lock (_streams)
        {
            _streams.Add(config.Name!);
        }

        return s.Info;
    });

    public override Task<StreamInfo> UpdateStreamAsync(StreamConfig config) => Map(async () => (await Js.UpdateStreamAsync(config)).Info);

    public override Task PurgeStreamAsync(string stream) => Map(async () => await Js.PurgeStreamAsync(stream, new StreamPurgeRequest()));

    public override Task<long> PurgeStreamAsync(string stream, StreamPurgeRequest request) => Map(async () => (await Js.PurgeStreamAsync(stream, request)).Purged);

    public override Task DeleteMessageAsync(string stream, ulong sequence) => Map(async () => await Js.DeleteMessageAsync(stream, new StreamMsgDeleteRequest { Seq = sequence, NoErase = true }));

    public override Task<InMemoryStoredMessage> GetMessageAsync(string stream, StreamMsgGetRequest request) => Map(async () =>
    {
        var s = await Js.GetStreamAsync(stream);
        var m = (await s.GetAsync(request)).Message;
        return new InMemoryStoredMessage(m.Seq, m.Subject, m.Data, null, m.Time);
    });

    public override Task<ConsumerInfo> CreateConsumerAsync(string stream, ConsumerConfig config) => Map(async () => (await Js.CreateConsumerAsync(stream, config)).Info);

    public override Task<ConsumerInfo> UpdateConsumerAsync(string stream, ConsumerConfig config) => Map(async () => (await Js.UpdateConsumerAsync(stream, config)).Info);

    public override async Task<PublishResult> PublishAsync(string subject, byte[] data, MessageHeaders? headers = null)
    {
        Subjects.ValidatePublishSubject(subject);
        PubAckResponse ack;
        try
        {
            ack = await Js.PublishAsync(subject, data, headers: ToNats(headers));
        }
        catch (NatsJSPublishNoResponseException ex)
        {
            throw new GofluxException(GofluxStage.Publish, $"no stream captures subject '{subject}' (no responders)", ex, subject);
        }
        catch (NatsJSApiException ex)
        {
            throw new GofluxException(GofluxStage.Publish, ex.Error.Description ?? ex.Message, ex, subject, ex.Error.ErrCode);
        }

        if (ack.Error is { } error)
        {
            throw new GofluxException(GofluxStage.Publish, error.Description ?? "publish failed", null, subject, error.ErrCode);
        }

        return new PublishResult(ack.Stream, ack.Seq, ack.Duplicate);
    }

    public override async Task<IReadOnlyList<BackendMessage>> FetchAsync(string stream, string consumer, int batch, TimeSpan? expires = null)
    {
        var c = await Map(async () => await Js.GetConsumerAsync(stream, consumer));
        var list = new List<BackendMessage>();
        var opts = new NatsJSFetchOpts { MaxMsgs = batch, Expires = expires };
        var source = expires is null
            ? c.FetchNoWaitAsync<byte[]>(opts)
            : c.FetchAsync<byte[]>(opts);
        await foreach (var m in source)
        {
            list.Add(new Msg(m));
        }

        return list;
    }

    /// <summary>
    /// A pull request sent as NATS.Net sends one, but with any expiry (NATS.Net's own fetch requires more than a
    /// second): collects the deliveries until the server ends the request with a status (404, 408, 409) or the batch
    /// is full. For the differential tests, whose expiring pulls would otherwise cost a second each.
    /// </summary>
    public async Task<IReadOnlyList<BackendMessage>> PullAsync(string stream, string consumer, int batch, TimeSpan? expires)
    {
        var inbox = "_DIFFPULL." + Guid.NewGuid().ToString("N"); // not under the connection's inbox prefix, which NATS.Net multiplexes
        await using var sub = await Connection.SubscribeCoreAsync<byte[]>(inbox);
        var request = expires is { } e
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{{\"batch\":{batch},\"expires\":{e.Ticks * 100}}}")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{{\"batch\":{batch},\"no_wait\":true}}");
        await Connection.PublishAsync($"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}", System.Text.Encoding.UTF8.GetBytes(request), replyTo: inbox);
        var list = new List<BackendMessage>();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(45)); // a hang guard, not a timing assumption
        await foreach (var msg in sub.Msgs.ReadAllAsync(guard.Token).WithHangReport(list, request))
        {
            if (msg.Headers is { Code: >= 100 } status)
            {
                if (status.Code == 100)
                {
                    continue; // an idle heartbeat
                }

                break; // 404 No Messages, 408 Request Timeout, 409 ...: the request is over
            }

            list.Add(new RawMsg(Connection, msg));
            if (list.Count == batch)
            {
                break;
            }
        }

        return list;
    }

    public override Task<string?> ApiRequestAsync(string subject, string json, TimeSpan patience) => RequestAsync(Connection, subject, json, patience);

    public override async Task<PushReceiver> ListenAsync(string deliverSubject, string? queueGroup = null)
        => await CorePushReceiver.StartAsync(Connection, deliverSubject, queueGroup);

    public override Task LetTimePassAsync(TimeSpan duration) => Task.Delay(duration);

    public override async Task<IReadOnlyList<JetStreamAdvisory>> AdvisoriesAsync(string stream, int atLeast = 0)
    {
        return await EventuallyAsync(
            () => Task.FromResult(Seen(stream, a => a.Type is JetStreamAdvisory.MaxDeliverType or JetStreamAdvisory.TerminatedType or JetStreamAdvisory.NakType)),
            list => list.Count >= atLeast,
            atLeast == 0 ? TimeSpan.FromMilliseconds(300) : null);
    }

    public override async Task<IReadOnlyList<JetStreamAdvisory>> ConsumerActionAdvisoriesAsync(string stream, int atLeast = 0)
    {
        return await EventuallyAsync(
            () => Task.FromResult(Seen(stream, a => a.Type == JetStreamAdvisory.ConsumerActionType)),
            list => list.Count >= atLeast,
            atLeast == 0 ? TimeSpan.FromMilliseconds(300) : null);
    }

    public override async Task<TResult> EventuallyAsync<TResult>(Func<Task<TResult>> probe, Func<TResult, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? DefaultPatience);
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTimeOffset.UtcNow >= deadline)
            {
                return value;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    public override async ValueTask DisposeAsync()
    {
        List<string> streams;
        lock (_streams)
        {
            streams = [.. _streams];
        }

        foreach (var s in streams)
        {
            try
            {
                await Shared.DeleteStreamAsync(s);
            }
            catch (GofluxException)
            {
                // Deleted by the scenario.
            }
        }

        await Kit.DisposeAsync();
    }

    internal static NatsHeaders? ToNats(MessageHeaders? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return null;
        }

        var h = new NatsHeaders();
        foreach (var (name, values) in headers)
        {
            h.Add(name, new Microsoft.Extensions.Primitives.StringValues([.. values]));
        }

        return h;
    }

    internal static MessageHeaders? FromNats(NatsHeaders? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return null;
        }

        var h = new MessageHeaders();
        foreach (var (name, values) in headers)
        {
            foreach (var v in values)
            {
                h.Add(name, v ?? string.Empty);
            }
        }

        return h;
    }

    /// <summary>A raw request on <paramref name="connection"/>: the reply's body, or <see langword="null"/> when none comes within <paramref name="patience"/>.</summary>
    internal static async Task<string?> RequestAsync(INatsConnection connection, string subject, string json, TimeSpan patience)
    {
        try
        {
            var reply = await connection.RequestAsync<byte[], byte[]>(subject, System.Text.Encoding.UTF8.GetBytes(json), replyOpts: new NatsSubOpts { Timeout = patience });
            return reply.Data is { } data ? System.Text.Encoding.UTF8.GetString(data) : string.Empty;
        }
        catch (NatsNoReplyException)
        {
            return null;
        }
    }

    /// <summary>Maps the raw NATS.Net calls only the contract makes (create-only, update-only, purge, fetch) as the shared backend maps its own.</summary>
    internal static async Task<TResult> Map<TResult>(Func<Task<TResult>> op)
    {
        try
        {
            return await op();
        }
        catch (NatsJSApiException ex)
        {
            throw new GofluxException(GofluxStage.Transport, ex.Error.Description ?? ex.Message, ex, null, ex.Error.ErrCode);
        }
    }

    internal static Task Map(Func<Task> op) => Map<bool>(async () =>
    {
        await op();
        return true;
    });

    // The kit's subscription to $JS.EVENT.ADVISORY.> sees every stream's advisories; the scenario's streams are its own.
    private IReadOnlyList<JetStreamAdvisory> Seen(string stream, Func<JetStreamAdvisory, bool> type)
        => [.. _driver.AllAdvisories.Where(a => a.Stream == stream && type(a))];

    /// <summary>A delivery received by <see cref="PullAsync"/>: metadata from its ack subject, acks sent and confirmed.</summary>
    internal sealed class RawMsg : BackendMessage
    {
        private readonly INatsConnection _connection;
        private readonly string _reply;

        [SetsRequiredMembers]
        public RawMsg(INatsConnection connection, NatsMsg<byte[]> m)
        {
            _connection = connection;
            _reply = m.ReplyTo ?? throw new InvalidOperationException("A JetStream delivery without an ack subject.");
            Subject = m.Subject;
            Data = m.Data ?? [];
            Headers = FromNats(m.Headers);
            var t = _reply.Split('.'); // $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
            static ulong U(string s) => ulong.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
            Metadata = new DeliveryInfo(t[2], t[3], U(t[5]), U(t[6]), U(t[4]), U(t[8]), DateTimeOffset.UnixEpoch.AddTicks(long.Parse(t[7], System.Globalization.CultureInfo.InvariantCulture) / 100));
        }

        public override Task AckAsync() => SendAsync("+ACK");

        public override Task NakAsync(TimeSpan? delay = null) => SendAsync(delay is { } d
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"-NAK {{\"delay\":{d.Ticks * 100}}}")
            : "-NAK");

        public override Task InProgressAsync() => SendAsync("+WPI");

        public override Task TermAsync(string? reason = null) => SendAsync(string.IsNullOrEmpty(reason) ? "+TERM" : "+TERM " + reason);

        private async Task SendAsync(string body)
        {
            // Sent as a request: the server answers once it has applied the acknowledgement (a double ack). An ack it
            // ignores gets no answer; the short wait then stands for "applied as far as it goes".
            try
            {
                await _connection.RequestAsync<byte[], byte[]>(_reply, System.Text.Encoding.ASCII.GetBytes(body), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(2) });
            }
            catch (NatsNoReplyException)
            {
            }
            catch (NatsNoRespondersException)
            {
            }
        }
    }

    internal sealed class Msg : BackendMessage
    {
        private readonly INatsJSMsg<byte[]> _m;

        [SetsRequiredMembers]
        public Msg(INatsJSMsg<byte[]> m)
        {
            _m = m;
            Subject = m.Subject;
            Data = m.Data ?? [];
            Headers = FromNats(m.Headers);
            var md = m.Metadata ?? throw new InvalidOperationException("A JetStream message without metadata.");
            Metadata = new DeliveryInfo(md.Stream, md.Consumer, md.Sequence.Stream, md.Sequence.Consumer, md.NumDelivered, md.NumPending, md.Timestamp);
        }

        public override Task AckAsync() => _m.AckAsync(new AckOpts { DoubleAck = true }).AsTask();

        public override Task NakAsync(TimeSpan? delay = null) => _m.NakAsync(new AckOpts { DoubleAck = true, NakDelay = delay }).AsTask();

        public override Task InProgressAsync() => _m.AckProgressAsync(new AckOpts { DoubleAck = true }).AsTask();

        public override Task TermAsync(string? reason = null) => _m.AckTerminateAsync(new AckOpts { DoubleAck = true, TerminateReason = reason }).AsTask();
    }
}

/// <summary>Turns a pull the server never ended into a report of what it delivered.</summary>
internal static class PullGuard
{
    public static async IAsyncEnumerable<NatsMsg<byte[]>> WithHangReport(this IAsyncEnumerable<NatsMsg<byte[]>> source, List<BackendMessage> got, string request)
    {
        await using var e = source.GetAsyncEnumerator();
        while (true)
        {
            try
            {
                if (!await e.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (OperationCanceledException ex)
            {
                throw new TimeoutException($"The server kept the pull {request} open for 45 s after delivering {got.Count} message(s).", ex);
            }

            yield return e.Current;
        }
    }
}
