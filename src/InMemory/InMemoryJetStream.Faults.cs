namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
    private readonly Queue<Exception> _publishFailures = new();
    private int _dropAcks;
    private int _lostPublishAcks;
    private int _duplicateDeliveries;
    private bool _rejectPublishes;

    /// <summary>
    /// Makes the next publish fail with <paramref name="error"/>; nothing is stored. Calls queue up: each fails one publish.
    /// </summary>
    /// <param name="error">The error to throw.</param>
    public void FailNextPublish(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        lock (_gate)
        {
            _publishFailures.Enqueue(error);
        }
    }

    /// <summary>
    /// Loses the acknowledgement of the next <paramref name="count"/> publishes: each is handled as usual (stored, or
    /// recognised as a duplicate) and then fails with a <see cref="GofluxException"/> whose
    /// <see cref="GofluxException.PublishOutcome"/> is <see cref="PublishOutcome.Unknown"/>, as a publish whose
    /// acknowledgement timed out does on a real server.
    /// </summary>
    /// <param name="count">How many publishes.</param>
    public void LoseNextPublishAck(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        lock (_gate)
        {
            _lostPublishAcks += count;
        }
    }

    /// <summary>Drops the next <paramref name="count"/> acknowledgements (ack, nak, in-progress or term) as if lost on the way.</summary>
    /// <param name="count">How many to drop.</param>
    public void DropNextAck(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        lock (_gate)
        {
            _dropAcks += count;
        }
    }

    /// <summary>Delivers the next delivered message twice to its subscriber, as a network duplicate would.</summary>
    /// <param name="count">How many of the next deliveries to duplicate.</param>
    public void DuplicateNextDelivery(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        lock (_gate)
        {
            _duplicateDeliveries += count;
        }
    }

    /// <summary>Gets or sets a value indicating whether every publish fails as if the server were down (stage Transport).</summary>
    public bool RejectPublishes
    {
        get
        {
            lock (_gate)
            {
                return _rejectPublishes;
            }
        }

        set
        {
            lock (_gate)
            {
                _rejectPublishes = value;
            }
        }
    }

    private void ApplyPublishFaults(string subject)
    {
        if (_rejectPublishes)
        {
            throw new GofluxException(GofluxStage.Transport, $"publishing to '{subject}' failed: the server is unavailable (injected fault); nothing was sent", subject: subject)
            {
                PublishOutcome = PublishOutcome.NotSent,
            };
        }

        if (_publishFailures.TryDequeue(out var error))
        {
            throw error;
        }
    }

    private bool ConsumeLostPublishAck()
    {
        if (_lostPublishAcks == 0)
        {
            return false;
        }

        _lostPublishAcks--;
        return true;
    }

    private bool ConsumeDropAck()
    {
        if (_dropAcks == 0)
        {
            return false;
        }

        _dropAcks--;
        return true;
    }

    private bool ConsumeDuplicateDelivery()
    {
        if (_duplicateDeliveries == 0)
        {
            return false;
        }

        _duplicateDeliveries--;
        return true;
    }
}
