namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
    /// <summary>Gets or sets a value indicating whether every publish fails as if the server were down (stage Transport).</summary>
    public bool RejectPublishes
    {
        get
        {
            using (_ctx.Enter())
            {
                return _ctx.Faults.RejectPublishes;
            }
        }

        set
        {
            using (_ctx.Enter())
            {
                _ctx.Faults.RejectPublishes = value;
            }
        }
    }

    /// <summary>
    /// Makes the next publish fail with <paramref name="error"/>; nothing is stored. Calls queue up: each fails one publish.
    /// </summary>
    /// <param name="error">The error to throw.</param>
    public void FailNextPublish(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        using (_ctx.Enter())
        {
            _ctx.Faults.PublishFailures.Enqueue(error);
        }
    }

    /// <summary>
    /// Loses the acknowledgement of the next <paramref name="count"/> stored publishes: each is stored (or recognised as a
    /// duplicate) as usual and then fails with a <see cref="GofluxException"/> whose
    /// <see cref="GofluxException.PublishOutcome"/> is <see cref="PublishOutcome.Unknown"/>, as a publish whose
    /// acknowledgement timed out does on a real server.
    /// </summary>
    /// <param name="count">How many publishes.</param>
    public void LoseNextPublishAck(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        using (_ctx.Enter())
        {
            _ctx.Faults.LostPublishAcks += count;
        }
    }

    /// <summary>Drops the next <paramref name="count"/> acknowledgements (ack, nak, in-progress or term) as if lost on the way.</summary>
    /// <param name="count">How many to drop.</param>
    public void DropNextAck(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        using (_ctx.Enter())
        {
            _ctx.Faults.DropAcks += count;
        }
    }

    /// <summary>Delivers the next delivered message twice to its subscriber, as a network duplicate would.</summary>
    /// <param name="count">How many of the next deliveries to duplicate.</param>
    public void DuplicateNextDelivery(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        using (_ctx.Enter())
        {
            _ctx.Faults.DuplicateDeliveries += count;
        }
    }

    private void ApplyPublishFaults(string subject)
    {
        if (_ctx.Faults.RejectPublishes)
        {
            throw new GofluxException(GofluxStage.Transport, $"publishing to '{subject}' failed: the server is unavailable (injected fault); nothing was sent", subject: subject)
            {
                PublishOutcome = PublishOutcome.NotSent,
            };
        }

        if (_ctx.Faults.PublishFailures.TryDequeue(out var error))
        {
            throw error;
        }
    }
}
