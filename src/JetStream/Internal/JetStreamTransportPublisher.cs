using Goflux.Transport;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Goflux.JetStream.Internal;

/// <summary>The raw JetStream publish behind <see cref="JetStreamPublisher{T}"/>.</summary>
internal sealed class JetStreamTransportPublisher : ITransportPublisher
{
    private readonly INatsJSContext _js;

    internal JetStreamTransportPublisher(INatsJSContext js) => _js = js;

    /// <inheritdoc />
    public long MaxPayload => _js.Connection.ServerInfo?.MaxPayload ?? 0;

    /// <inheritdoc />
    public async ValueTask<PublishResult> PublishAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        var subject = message.Subject;
        NATS.Client.JetStream.Models.PubAckResponse ack;
        try
        {
            ack = await _js.PublishAsync(
                subject,
                message.Body,
                NatsRawSerializer<ReadOnlyMemory<byte>>.Default,
                opts: null,
                headers: HeaderConversion.ToNats(message.Headers),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Errors.IsNatsFailure(ex))
        {
            throw Errors.Publish(subject, ex);
        }

        if (ack.Error is { } error)
        {
            throw Errors.Rejected(subject, error);
        }

        // A duplicate (same Nats-Msg-Id inside the stream's window) is an outcome, not a failure: report it.
        return new PublishResult(ack.Stream, ack.Seq, ack.Duplicate);
    }
}
