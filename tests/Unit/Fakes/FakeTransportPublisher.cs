using Goflux.Transport;

namespace Goflux.Tests.Fakes;

/// <summary>A message the fake transport received, with its body copied (the pipeline reuses its buffer).</summary>
internal sealed record SentMessage(string Subject, byte[] Body, MessageHeaders? Headers)
{
    public IncomingMessage ToIncoming(IMessageAcker? acker = null, DeliveryInfo? delivery = null, string? subject = null)
        => new(subject ?? Subject, Body, Headers, delivery, acker);
}

/// <summary>An <see cref="ITransportPublisher"/> that records every publish and answers with a growing sequence.</summary>
internal sealed class FakeTransportPublisher : ITransportPublisher
{
    private readonly List<SentMessage> _sent = [];
    private readonly Lock _gate = new();
    private ulong _sequence;

    public long MaxPayload { get; init; }

    /// <summary>Runs after the message is recorded; throw from it to simulate a transport failure.</summary>
    public Func<OutgoingMessage, CancellationToken, ValueTask<PublishResult>>? OnPublish { get; set; }

    public IReadOnlyList<SentMessage> Sent
    {
        get
        {
            lock (_gate)
            {
                return [.. _sent];
            }
        }
    }

    public ValueTask<PublishResult> PublishAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        ulong sequence;
        lock (_gate)
        {
            _sent.Add(new SentMessage(message.Subject, message.Body.ToArray(), message.Headers?.Clone()));
            sequence = ++_sequence;
        }

        return OnPublish is { } onPublish ? onPublish(message, cancellationToken) : new(new PublishResult("TEST", sequence, false));
    }
}
