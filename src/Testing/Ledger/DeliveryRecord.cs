using System.Diagnostics;
using System.Globalization;

namespace Goflux.Testing;

/// <summary>
/// One delivery of a message to a handler, as the <see cref="OutcomeLedger"/> saw it: what arrived, when, how the handler
/// (or the subscriber, or a middleware) settled it, whether the handler threw, and the spans involved.
/// </summary>
/// <remarks>The settlement properties read the live message: they change once the message is settled.</remarks>
public sealed class DeliveryRecord
{
    private readonly Func<AckOutcome> _outcome;
    private readonly Func<TimeSpan?> _nakDelay;
    private readonly Func<string?> _termReason;
    private Exception? _exception;

    internal DeliveryRecord(
        int index,
        string subject,
        string? messageId,
        DeliveryInfo? delivery,
        DateTimeOffset time,
        TimeSpan elapsed,
        Activity? consumerActivity,
        Func<AckOutcome> outcome,
        Func<TimeSpan?> nakDelay,
        Func<string?> termReason)
    {
        Index = index;
        Subject = subject;
        MessageId = messageId;
        Stream = delivery?.Stream;
        Consumer = delivery?.Consumer;
        StreamSequence = delivery?.StreamSequence ?? 0;
        NumDelivered = delivery?.NumDelivered ?? 1;
        Time = time;
        Elapsed = elapsed;
        _outcome = outcome;
        _nakDelay = nakDelay;
        _termReason = termReason;
        if (consumerActivity is not null)
        {
            TraceId = consumerActivity.TraceId;
            ConsumerSpanId = consumerActivity.SpanId;
            ConsumerParentSpanId = consumerActivity.ParentSpanId == default ? null : consumerActivity.ParentSpanId;
            foreach (var link in consumerActivity.Links)
            {
                ProducerTraceId = link.Context.TraceId;
                ProducerSpanId = link.Context.SpanId;
                break;
            }
        }
    }

    /// <summary>Gets the position of this delivery in the ledger (0-based).</summary>
    public int Index { get; }

    /// <summary>Gets the subject the message was published to.</summary>
    public string Subject { get; }

    /// <summary>Gets the message id, or <see langword="null"/> when the publisher set none.</summary>
    public string? MessageId { get; }

    /// <summary>Gets the stream, or <see langword="null"/> where the transport reports none.</summary>
    public string? Stream { get; }

    /// <summary>Gets the consumer, or <see langword="null"/> where the transport reports none.</summary>
    public string? Consumer { get; }

    /// <summary>Gets the message's sequence in the stream (0 where the transport reports none).</summary>
    public ulong StreamSequence { get; }

    /// <summary>Gets the delivery count: 1 on the first delivery.</summary>
    public ulong NumDelivered { get; }

    /// <summary>Gets when the handler received the message: virtual time on the engine, wall time on a server.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>Gets <see cref="Time"/> relative to the start of the test backend.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets how the message was settled; <see cref="AckOutcome.None"/> while it is not.</summary>
    public AckOutcome Outcome => _outcome();

    /// <summary>Gets the delay of a nak with delay.</summary>
    public TimeSpan? NakDelay => _nakDelay();

    /// <summary>Gets the terminate reason.</summary>
    public string? TermReason => _termReason();

    /// <summary>Gets the exception the handler threw, or <see langword="null"/> when it returned.</summary>
    public Exception? Exception => Volatile.Read(ref _exception);

    /// <summary>Gets the trace of the consumer span, or <see langword="null"/> when no span was recorded.</summary>
    public ActivityTraceId? TraceId { get; }

    /// <summary>Gets the consumer span (<c>process …</c>) the handler ran in, or <see langword="null"/>.</summary>
    public ActivitySpanId? ConsumerSpanId { get; }

    /// <summary>Gets the consumer span's parent, or <see langword="null"/> for a root span (goflux's consumer spans are roots).</summary>
    public ActivitySpanId? ConsumerParentSpanId { get; }

    /// <summary>Gets the trace of the producer span the consumer span links to, or <see langword="null"/>.</summary>
    public ActivityTraceId? ProducerTraceId { get; }

    /// <summary>Gets the producer span (<c>send …</c>) the consumer span links to, or <see langword="null"/> when it has no link.</summary>
    public ActivitySpanId? ProducerSpanId { get; }

    /// <summary>Gets a value indicating whether the consumer span links to a producer span.</summary>
    public bool IsLinkedToProducer => ProducerSpanId is not null;

    /// <inheritdoc />
    public override string ToString()
    {
        var settled = Outcome switch
        {
            AckOutcome.NakedWithDelay => $"NakedWithDelay({Format(NakDelay ?? TimeSpan.Zero)})",
            AckOutcome.Terminated => TermReason is null ? "Terminated" : $"Terminated(\"{TermReason}\")",
            AckOutcome.None => "not settled",
            var other => other.ToString(),
        };
        var threw = Exception is { } ex ? $", handler threw {ex.GetType().Name}: {ex.Message}" : string.Empty;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"t=+{Elapsed.TotalSeconds:0.000}s delivery #{NumDelivered} of {MessageId ?? "(no id)"} on {Subject} (stream {Stream} seq {StreamSequence}, consumer {Consumer}) -> {settled}{threw}");
    }

    internal void SetException(Exception exception) => Interlocked.CompareExchange(ref _exception, exception, null);

    private static string Format(TimeSpan delay) =>
        delay.TotalSeconds >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{delay.TotalSeconds:0.###} s")
            : string.Create(CultureInfo.InvariantCulture, $"{delay.TotalMilliseconds:0.###} ms");
}
