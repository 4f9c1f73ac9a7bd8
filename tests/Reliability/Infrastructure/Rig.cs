using System.Buffers.Binary;
using Goflux.JetStream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Goflux.Reliability.Tests.Infrastructure;

/// <summary>Connections, streams and read-back shared by the real-server scenarios.</summary>
public static class Rig
{
    /// <summary>The bound within which a subscriber resumes once a server is reachable again.</summary>
    public static readonly TimeSpan ResumeBound = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A connection to <paramref name="urls"/> (one URL or a comma-separated list) that keeps reconnecting quickly, so the
    /// time a subscriber takes to resume is its own and not the client's reconnect backoff.
    /// </summary>
    /// <param name="inOrder">Connect to the first URL first (no shuffling), e.g. to sit on the node a test is about to kill.</param>
    /// <param name="loggerFactory">Where NATS.Net logs, e.g. a <see cref="TraceLog"/> printed when a scenario fails.</param>
    public static async Task<NatsConnection> ConnectAsync(string urls, string name, CancellationToken cancellationToken, bool inOrder = false, ILoggerFactory? loggerFactory = null)
    {
        var connection = new NatsConnection(new NatsOpts
        {
            LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance,
            Url = urls,
            NoRandomize = inOrder,
            Name = name,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
            ReconnectWaitMax = TimeSpan.FromMilliseconds(500),
            ReconnectJitter = TimeSpan.FromMilliseconds(50),
            MaxReconnectRetry = -1,
        });
        try
        {
            await Poll.WithinAsync(async _ => await connection.ConnectAsync(), TimeSpan.FromSeconds(15), $"connecting to {urls}", cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A file-storage stream <paramref name="name"/> on subjects <c>name.&gt;</c> with <paramref name="replicas"/> replicas.</summary>
    public static async Task FileStreamAsync(INatsJSContext js, string name, int replicas, CancellationToken cancellationToken) =>
        await new JetStreamBackend(js).CreateOrUpdateStreamAsync(
            new StreamConfig(name, [name.ToLowerInvariant() + ".>"])
            {
                Storage = StreamConfigStorage.File,
                NumReplicas = replicas,
                DuplicateWindow = TimeSpan.FromMinutes(10),
            },
            cancellationToken);

    /// <summary>Creates or updates the consumer through the shared backend, and returns NATS.Net's handle on it for a subscriber.</summary>
    public static async Task<INatsJSConsumer> ConsumerAsync(INatsJSContext js, string stream, ConsumerConfig config, CancellationToken cancellationToken)
    {
        await new JetStreamBackend(js).CreateOrUpdateConsumerAsync(stream, config, cancellationToken);
        var name = config.DurableName ?? config.Name!;
        return string.IsNullOrEmpty(config.DeliverSubject)
            ? await js.GetConsumerAsync(stream, name, cancellationToken)
            : await js.GetPushConsumerAsync(stream, name, cancellationToken);
    }

    /// <summary>Publishes ids 1..<paramref name="count"/> as fast as the server takes them (raw NATS.Net, 256 in flight).</summary>
    public static async Task FillAsync(INatsJSContext js, string subject, int count, CancellationToken cancellationToken)
    {
        const int window = 256;
        for (var start = 1; start <= count; start += window)
        {
            var batch = new List<Task>(window);
            for (var id = start; id < start + window && id <= count; id++)
            {
                batch.Add(PublishOneAsync(js, subject, id, cancellationToken));
            }

            await Task.WhenAll(batch);
        }

        static async Task PublishOneAsync(INatsJSContext js, string subject, long id, CancellationToken cancellationToken)
        {
            var body = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(body, id);
            var ack = await js.PublishAsync(subject, body, cancellationToken: cancellationToken);
            ack.EnsureSuccess();
        }
    }

    /// <summary>The bound on reading a stream back.</summary>
    public static readonly TimeSpan ReadBackTimeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Reads every stored message of <paramref name="stream"/> back and counts each id (index = id; index 0 counts
    /// messages that are not one of ours).
    /// </summary>
    /// <remarks>
    /// The stream's state comes from its leader: on a cluster, a replica that does not know the leader yet (one just
    /// restarted, still catching up) answers stream info with its own, shorter state, so an answer that names no leader is
    /// asked again. The read goes on until the leader's last sequence has been seen, so a consumer placed on a replica
    /// still catching up makes the read slower, never shorter; a read that cannot finish within
    /// <see cref="ReadBackTimeout"/> fails with what it saw instead of returning a partial count.
    /// </remarks>
    public static async Task<int[]> StoredIdsAsync(INatsJSContext js, string stream, int maxId, CancellationToken cancellationToken)
    {
        var counts = new int[maxId + 1];
        StreamState? state = null;
        await Poll.UntilAsync(
            async () =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var info = (await js.GetStreamAsync(stream, cancellationToken: timeout.Token)).Info;
                var fromLeader = info.Cluster is null || info.Cluster.Leader is { Length: > 0 };
                state = fromLeader ? info.State : null;
                return fromLeader;
            },
            TimeSpan.FromSeconds(30),
            $"stream {stream}'s leader answering stream info",
            cancellationToken);
        var total = state!.Messages;
        var lastSeq = state.LastSeq;
        if (total == 0)
        {
            return counts;
        }

        long read = 0;
        ulong seen = 0;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ReadBackTimeout);
        try
        {
            var consumer = await js.CreateOrderedConsumerAsync(stream, cancellationToken: deadline.Token);
            await foreach (var msg in consumer.ConsumeAsync<byte[]>(cancellationToken: deadline.Token))
            {
                var id = msg.Data is { Length: 8 } data ? BinaryPrimitives.ReadInt64BigEndian(data) : -1;
                if (id >= 1 && id <= maxId)
                {
                    counts[id]++;
                }
                else
                {
                    counts[0]++; // something that is not one of ours
                }

                read++;
                seen = msg.Metadata?.Sequence.Stream ?? seen;
                if (seen >= lastSeq)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"Reading stream {stream} back did not finish within {ReadBackTimeout.TotalSeconds:0} s: read {read:N0} of the {total:N0} messages its leader reports (last stream sequence seen {seen:N0} of {lastSeq:N0}).");
        }

        if (read != total)
        {
            throw new InvalidOperationException(
                $"Reading stream {stream} back up to its last sequence {lastSeq:N0} gave {read:N0} messages, but its leader reports {total:N0}: the stream changed during the read-back.");
        }

        return counts;
    }
}
