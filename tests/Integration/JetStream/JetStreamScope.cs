using Goflux.JetStream;
using Goflux.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Goflux.Integration.Tests.JetStream;

/// <summary>
/// One test's own connection, stream (unique name, memory storage) and subject prefix; deletes the stream afterwards.
/// </summary>
internal sealed class JetStreamScope : IAsyncDisposable
{
    private JetStreamScope(NatsServerFixture server, NatsConnection connection, string id)
    {
        Server = server;
        Connection = connection;
        Js = connection.CreateJetStreamContext();
        Backend = new JetStreamBackend(Js);
        Stream = "S" + id;
        Prefix = "t" + id;
    }

    public NatsServerFixture Server { get; }

    public NatsConnection Connection { get; }

    public INatsJSContext Js { get; }

    public JetStreamBackend Backend { get; }

    public string Stream { get; }

    public string Prefix { get; }

    public static async Task<JetStreamScope> CreateAsync(NatsServerFixture server, CancellationToken cancellationToken, Action<StreamConfig>? configure = null)
    {
        var connection = await server.CreateConnectionAsync(cancellationToken);
        var scope = new JetStreamScope(server, connection, Guid.NewGuid().ToString("N")[..12]);
        var config = scope.StreamConfig();
        configure?.Invoke(config);
        await scope.Backend.CreateOrUpdateStreamAsync(config, cancellationToken);
        return scope;
    }

    public StreamConfig StreamConfig() => new(Stream, [Prefix + ".>"]) { Storage = StreamConfigStorage.Memory };

    public string Subject(string tail = "events") => Prefix + "." + tail;

    public async Task<INatsJSConsumer> ConsumerAsync(string name = "c", TimeSpan? ackWait = null, CancellationToken cancellationToken = default)
    {
        var config = new ConsumerConfig(name);
        if (ackWait is { } wait)
        {
            config.AckWait = wait;
        }

        await Backend.CreateOrUpdateConsumerAsync(Stream, config, cancellationToken);
        return await Js.GetConsumerAsync(Stream, name, cancellationToken);
    }

    public async Task<long> MessageCountAsync(CancellationToken cancellationToken)
    {
        var stream = await Js.GetStreamAsync(Stream, cancellationToken: cancellationToken);
        return stream.Info.State.Messages;
    }

    public async Task<ConsumerInfo> ConsumerInfoAsync(string name, CancellationToken cancellationToken)
    {
        var consumer = await Js.GetConsumerAsync(Stream, name, cancellationToken);
        return consumer.Info;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Js.DeleteStreamAsync(Stream);
        }
        catch (NatsJSApiException)
        {
            // Some tests delete the stream themselves.
        }

        await Connection.DisposeAsync();
    }
}
