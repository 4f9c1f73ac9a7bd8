using System.Buffers.Binary;
using Goflux.JetStream;
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
    public static async Task<NatsConnection> ConnectAsync(string urls, string name, CancellationToken cancellationToken, bool inOrder = false)
    {
        var connection = new NatsConnection(new NatsOpts
        {
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
    public static async Task<INatsJSStream> FileStreamAsync(INatsJSContext js, string name, int replicas, CancellationToken cancellationToken) =>
        await JetStreamSetup.EnsureStreamAsync(
            js,
            new StreamConfig(name, [name.ToLowerInvariant() + ".>"])
            {
                Storage = StreamConfigStorage.File,
                NumReplicas = replicas,
                DuplicateWindow = TimeSpan.FromMinutes(10),
            },
            cancellationToken);

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

    /// <summary>Reads every stored message of <paramref name="stream"/> back and counts each id (index = id).</summary>
    public static async Task<int[]> StoredIdsAsync(INatsJSContext js, string stream, int maxId, CancellationToken cancellationToken)
    {
        var counts = new int[maxId + 1];
        var info = await js.GetStreamAsync(stream, cancellationToken: cancellationToken);
        var total = info.Info.State.Messages;
        if (total == 0)
        {
            return counts;
        }

        var consumer = await js.CreateOrderedConsumerAsync(stream, cancellationToken: cancellationToken);
        long read = 0;
        await foreach (var msg in consumer.ConsumeAsync<byte[]>(cancellationToken: cancellationToken))
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

            if (++read >= total)
            {
                break;
            }
        }

        return counts;
    }
}
