using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>
/// The consumer's stored state, beside its working state: what nats-server keeps in the consumer's store (delivered,
/// ack floor, pending) and updates with its own rules. Only a stream switching to interest retention reads it (S-153):
/// the messages each consumer's stored ack floor covers are removed, and the stored floor can lag the working one.
/// </summary>
internal sealed partial class ConsumerState
{
    private readonly Dictionary<ulong, ulong> _storedPending = [];
    private ulong _storedDeliveredConsumer;
    private ulong _storedDeliveredStream;
    private ulong _storedFloorConsumer;
    private ulong _storedFloorStream;

    /// <summary>Gets the stream sequence of the stored ack floor (S-153).</summary>
    public ulong StoredAckFloorStream => _storedFloorStream;

    /// <summary>Gets the stream sequence of the stored delivered position (S-153).</summary>
    public ulong StoredDeliveredStream => _storedDeliveredStream;

    /// <summary>Gets a value indicating whether the store holds pending messages (S-153).</summary>
    public bool HasStoredPending => _storedPending.Count > 0;

    /// <summary>Whether the store holds <paramref name="seq"/> as pending (S-153).</summary>
    public bool IsStoredPending(ulong seq) => _storedPending.ContainsKey(seq);

    /// <summary>A new consumer's store: delivered just before its start, nothing acknowledged.</summary>
    private void StoreStarting(ulong sseq)
    {
        _storedPending.Clear();
        (_storedDeliveredConsumer, _storedDeliveredStream, _storedFloorConsumer, _storedFloorStream) = (0, sseq, 0, 0);
    }

    /// <summary>A delivery, as the server's store records it (new pending above what it holds as delivered; a delivery
    /// past max deliver forgets its pending; with ack none, delivered and floor move together).</summary>
    private void StoreDelivered(ulong dseq, ulong sseq, ulong dc)
    {
        if (dseq <= _storedFloorConsumer)
        {
            return;
        }

        if (AckNone)
        {
            _storedDeliveredConsumer = _storedFloorConsumer = Math.Max(_storedDeliveredConsumer, dseq);
            _storedDeliveredStream = _storedFloorStream = Math.Max(_storedDeliveredStream, sseq);
            return;
        }

        if (sseq > _storedDeliveredStream)
        {
            _storedPending[sseq] = dseq;
        }

        _storedDeliveredConsumer = Math.Max(_storedDeliveredConsumer, dseq);
        _storedDeliveredStream = Math.Max(_storedDeliveredStream, sseq);
        if (dc > 1 && Config.MaxDeliver > 0 && dc > (ulong)Config.MaxDeliver)
        {
            _storedPending.Remove(sseq);
        }
    }

    /// <summary>A message that ran out of deliveries: the store forgets its pending record.</summary>
    private void StoreExhausted(ulong sseq) => _storedPending.Remove(sseq);

    /// <summary>An acknowledgement the working state applied, as the server's store applies it: only a message the store
    /// holds as pending moves its floor.</summary>
    private void StoreAcks(ulong dseq, ulong sseq)
    {
        if (AckNone || dseq <= _storedFloorConsumer)
        {
            return;
        }

        if (sseq > _storedDeliveredStream)
        {
            _storedDeliveredStream = sseq + 1;
        }

        if (!_storedPending.ContainsKey(sseq))
        {
            return;
        }

        if (Config.AckPolicy == ConsumerConfigAckPolicy.All)
        {
            StoreAckAll(dseq, sseq);
            return;
        }

        if (_storedPending.Remove(sseq, out var original) && dseq > original && original > 0)
        {
            dseq = original;
        }

        if (_storedPending.Count == 0)
        {
            (_storedFloorConsumer, _storedFloorStream) = (_storedDeliveredConsumer, _storedDeliveredStream);
        }
        else if (dseq == _storedFloorConsumer + 1)
        {
            (_storedFloorConsumer, _storedFloorStream) = (dseq, sseq);
            if (_storedDeliveredConsumer > dseq)
            {
                for (var s = sseq + 1; s <= _storedDeliveredStream; s++)
                {
                    if (_storedPending.TryGetValue(s, out var next))
                    {
                        if (next > 0)
                        {
                            (_storedFloorConsumer, _storedFloorStream) = (next - 1, s - 1);
                        }

                        break;
                    }
                }
            }
        }
    }

    private void StoreAckAll(ulong dseq, ulong sseq)
    {
        var gap = sseq - _storedFloorStream;
        (_storedFloorConsumer, _storedFloorStream) = (dseq, sseq);
        foreach (var seq in _storedPending.Keys.Where(s => s <= sseq && (gap > (ulong)_storedPending.Count || s > sseq - gap)).ToList())
        {
            _storedPending.Remove(seq);
        }
    }

    /// <summary>The server writes its working state to the store (after a purge).</summary>
    private void StoreWorkingState()
    {
        _storedPending.Clear();
        foreach (var (seq, p) in _pending.InOrder)
        {
            _storedPending[seq] = p.Sequence;
        }

        (_storedDeliveredConsumer, _storedDeliveredStream) = (_dseq - 1, _sseq - 1);
        (_storedFloorConsumer, _storedFloorStream) = (_adflr, _asflr);
    }
}
