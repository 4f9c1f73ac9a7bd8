using Goflux.Transport;

namespace Goflux.Tests.Fakes;

internal enum AckKind
{
    Ack,
    Nak,
    InProgress,
    Term,
}

internal readonly record struct AckCall(AckKind Kind, TimeSpan? Delay = null, string? Reason = null);

/// <summary>An <see cref="IMessageAcker"/> that records each call and can fail on demand.</summary>
internal sealed class RecordingAcker(AckCapabilities capabilities = AckCapabilities.All) : IMessageAcker
{
    private readonly List<AckCall> _calls = [];
    private readonly Lock _gate = new();

    public AckCapabilities Capabilities { get; } = capabilities;

    private DeliveryInfo? _delivery;
    private int _deliveryReads;

    /// <summary>Gets or sets the delivery metadata the acker holds (<see cref="IMessageAcker.Delivery"/>), if any.</summary>
    public DeliveryInfo? Delivery
    {
        get
        {
            Interlocked.Increment(ref _deliveryReads);
            return _delivery;
        }

        set => _delivery = value;
    }

    /// <summary>Gets how many times <see cref="Delivery"/> was read.</summary>
    public int DeliveryReads => Volatile.Read(ref _deliveryReads);

    /// <summary>When set, every call records itself and then fails with this exception.</summary>
    public Exception? FailWith { get; set; }

    /// <summary>When true, a failure is thrown from the call itself instead of returned as a faulted task.</summary>
    public bool FailSynchronously { get; set; }

    public IReadOnlyList<AckCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public ValueTask AckAsync(CancellationToken cancellationToken) => Record(new AckCall(AckKind.Ack));

    public ValueTask NakAsync(TimeSpan? delay, CancellationToken cancellationToken) => Record(new AckCall(AckKind.Nak, Delay: delay));

    public ValueTask InProgressAsync(CancellationToken cancellationToken) => Record(new AckCall(AckKind.InProgress));

    public ValueTask TermAsync(string? reason, CancellationToken cancellationToken) => Record(new AckCall(AckKind.Term, Reason: reason));

    private ValueTask Record(AckCall call)
    {
        lock (_gate)
        {
            _calls.Add(call);
        }

        if (FailWith is null)
        {
            return ValueTask.CompletedTask;
        }

        if (FailSynchronously)
        {
            throw FailWith;
        }

        return FailAsync(FailWith);
    }

    private static async ValueTask FailAsync(Exception exception)
    {
        await Task.Yield();
        throw exception;
    }
}
