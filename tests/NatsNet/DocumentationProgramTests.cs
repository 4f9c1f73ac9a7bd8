using System.Text;
using FluentAssertions;
using Goflux.InMemory;
using Goflux.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>
/// Code written the way NATS.Net's documentation writes it — create a stream, publish, consume with a durable pull
/// consumer, ack / nak with delay / term, fetch batches, get messages back, a filtered consumer, work-queue retention,
/// dedupe — prints the same transcript on nats-server 2.10.27 and on the engine. Only the client's construction differs;
/// the engine runs on the system clock here, like the server, so the program needs nothing else.
/// </summary>
public abstract class DocumentationProgramTests
{
    public static readonly string[] Transcript =
    [
        "stream ORDERS with subjects orders.>",
        "published orders.new seq 1",
        "published orders.new seq 2",
        "published orders.new seq 3",
        "published orders.eu seq 4",
        "published orders.us seq 5",
        "again order-1: duplicate True seq 1",
        "consumed order-1 (delivery 1): ack",
        "consumed order-2 (delivery 1): nak 1s",
        "consumed order-3 (delivery 1): term bad order",
        "consumed order-4 (delivery 1): ack",
        "consumed order-5 (delivery 1): ack",
        "consumed order-2 (delivery 2): ack",
        "processor: ack pending 0, redelivered 0, pending 0",
        "batch: order-1 order-2",
        "batch: order-3 order-4",
        "batch: order-5",
        "stored #1: orders.new {\"Id\":\"order-1\",\"Amount\":10}",
        "eu only: order-4",
        "work queue: 3 stored",
        "work queue: 0 stored after acks",
    ];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DocumentationStyleProgram_PrintsTheTranscript()
    {
        await using var client = await CreateClientAsync();
        var output = new List<string>();

        await RunAsync(client, output.Add, Guid.NewGuid().ToString("N")[..6]);

        output.Should().Equal(Transcript);
    }

    protected abstract Task<NatsClient> CreateClientAsync();

    /// <summary>The program. Names get a suffix so runs on a shared server do not meet; the transcript leaves it out.</summary>
    private static async Task RunAsync(NatsClient client, Action<string> print, string id)
    {
        var js = client.CreateJetStreamContext();
        var name = $"ORDERS_{id}";
        string Show(string s) => s.Replace($"_{id}", string.Empty, StringComparison.Ordinal).Replace($".{id}", string.Empty, StringComparison.Ordinal);

        // Create a stream.
        var stream = await js.CreateStreamAsync(new StreamConfig(name, [$"orders.{id}.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        print(Show($"stream {stream.Info.Config.Name} with subjects {string.Join(',', stream.Info.Config.Subjects!)}"));

        // Publish (with a message id for dedupe).
        var orders = new[] { ("new", 1, 10), ("new", 2, 20), ("new", 3, 30), ("eu", 4, 40), ("us", 5, 50) };
        foreach (var (region, n, amount) in orders)
        {
            var ack = await js.PublishAsync($"orders.{id}.{region}", new Order($"order-{n}", amount), opts: new NatsJSPubOpts { MsgId = $"order-{n}" }, cancellationToken: Ct);
            ack.EnsureSuccess();
            print(Show($"published orders.{id}.{region} seq {ack.Seq}"));
        }

        var again = await js.PublishAsync($"orders.{id}.new", new Order("order-1", 10), opts: new NatsJSPubOpts { MsgId = "order-1" }, cancellationToken: Ct);
        print($"again order-1: duplicate {again.Duplicate} seq {again.Seq}");

        // Consume with a durable pull consumer: ack, nak with a delay, term.
        var consumer = await js.CreateOrUpdateConsumerAsync(name, new ConsumerConfig("processor"), Ct);
        var handled = 0;
        await foreach (var msg in consumer.ConsumeAsync<Order>(cancellationToken: Ct))
        {
            var order = msg.Data!;
            var delivery = msg.Metadata!.Value.NumDelivered;
            string outcome;
            if (order.Id == "order-2" && delivery == 1)
            {
                await msg.NakAsync(new AckOpts { NakDelay = TimeSpan.FromSeconds(1) }, Ct);
                outcome = "nak 1s";
            }
            else if (order.Id == "order-3")
            {
                await msg.AckTerminateAsync(new AckOpts { TerminateReason = "bad order" }, Ct);
                outcome = "term bad order";
            }
            else
            {
                await msg.AckAsync(new AckOpts { DoubleAck = true }, Ct);
                outcome = "ack";
            }

            print($"consumed {order.Id} (delivery {delivery}): {outcome}");
            if (++handled == 6)
            {
                break;
            }
        }

        var info = (await js.GetConsumerAsync(name, "processor", Ct)).Info;
        print($"processor: ack pending {info.NumAckPending}, redelivered {info.NumRedelivered}, pending {info.NumPending}");

        // Fetch in batches with a second consumer.
        var batcher = await js.CreateOrUpdateConsumerAsync(name, new ConsumerConfig("batcher"), Ct);
        for (var fetched = 0; fetched < 5;)
        {
            var batch = new List<string>();
            await foreach (var msg in batcher.FetchAsync<Order>(new NatsJSFetchOpts { MaxMsgs = Math.Min(2, 5 - fetched) }, cancellationToken: Ct))
            {
                batch.Add(msg.Data!.Id);
                await msg.AckAsync(cancellationToken: Ct);
            }

            fetched += batch.Count;
            print($"batch: {string.Join(' ', batch)}");
        }

        // Get a message back.
        var stored = await stream.GetAsync(new StreamMsgGetRequest { Seq = 1 }, Ct);
        print(Show($"stored #1: {stored.Message.Subject} {Encoding.UTF8.GetString(stored.Message.Data.Span)}"));

        // A filtered consumer.
        var eu = await js.CreateOrUpdateConsumerAsync(name, new ConsumerConfig("eu") { FilterSubject = $"orders.{id}.eu" }, Ct);
        var euMsg = await eu.NextAsync<Order>(cancellationToken: Ct);
        print($"eu only: {euMsg!.Data!.Id}");
        await euMsg.AckAsync(cancellationToken: Ct);

        // Work-queue retention: an ack removes the message.
        var wqName = $"JOBS_{id}";
        var wq = await js.CreateStreamAsync(new StreamConfig(wqName, [$"jobs.{id}.>"]) { Storage = StreamConfigStorage.Memory, Retention = StreamConfigRetention.Workqueue }, Ct);
        for (var i = 0; i < 3; i++)
        {
            await js.PublishAsync($"jobs.{id}.work", i, cancellationToken: Ct);
        }

        await wq.RefreshAsync(Ct);
        print($"work queue: {wq.Info.State.Messages} stored");
        var worker = await js.CreateOrUpdateConsumerAsync(wqName, new ConsumerConfig("worker"), Ct);
        await foreach (var job in worker.FetchAsync<int>(new NatsJSFetchOpts { MaxMsgs = 3 }, cancellationToken: Ct))
        {
            await job.AckAsync(new AckOpts { DoubleAck = true }, Ct);
        }

        await wq.RefreshAsync(Ct);
        print($"work queue: {wq.Info.State.Messages} stored after acks");

        await js.DeleteStreamAsync(name, Ct);
        await js.DeleteStreamAsync(wqName, Ct);
    }

    public sealed record Order(string Id, int Amount);
}

/// <summary>The program on nats-server 2.10.27.</summary>
public sealed class ServerDocumentationProgramTests(NatsServerFixture server) : DocumentationProgramTests
{
    protected override async Task<NatsClient> CreateClientAsync() => new(new NatsOpts { Url = await server.StartAsync(Ct) });
}

/// <summary>The program on the engine, on the system clock: the only line that differs is where the client comes from.</summary>
public sealed class EngineDocumentationProgramTests : DocumentationProgramTests, IAsyncDisposable
{
    private readonly InMemoryJetStream _engine = new();

    public ValueTask DisposeAsync() => _engine.DisposeAsync();

    protected override Task<NatsClient> CreateClientAsync() => Task.FromResult(_engine.CreateClient());
}
