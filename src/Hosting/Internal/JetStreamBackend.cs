using Goflux.Codecs;
using Goflux.JetStream;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.Hosting.Internal;

/// <summary>JetStream through the connection registered with NATS.Net's <c>AddNatsClient</c>; the connection is not owned.</summary>
internal sealed class JetStreamBackend(INatsConnection connection) : IGofluxBackend
{
    private readonly NatsJSContext _js = new(connection);

    public string Name => "JetStream";

    public async ValueTask CreateOrUpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken)
    {
        try
        {
            await _js.CreateOrUpdateStreamAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex)
        {
            throw new GofluxException(GofluxStage.Transport, $"{ex.Error.Description} (err_code {ex.Error.ErrCode})", ex, errorCode: ex.Error.ErrCode);
        }
    }

    public async ValueTask CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken)
    {
        try
        {
            await _js.CreateOrUpdateConsumerAsync(stream, config, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex)
        {
            throw new GofluxException(GofluxStage.Subscribe, $"{ex.Error.Description} (err_code {ex.Error.ErrCode})", ex, errorCode: ex.Error.ErrCode);
        }
    }

    public IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions options)
        => new JetStreamPublisher<T>(_js, encoder, options);

    public async ValueTask<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions options, CancellationToken cancellationToken)
    {
        INatsJSConsumer c;
        try
        {
            c = await _js.GetConsumerAsync(stream, consumer, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex)
        {
            throw new GofluxException(GofluxStage.Subscribe, $"{ex.Error.Description} (err_code {ex.Error.ErrCode})", ex, errorCode: ex.Error.ErrCode);
        }

        return new JetStreamSubscriber<T>(c, decoder, options);
    }
}
