using System.Collections.Concurrent;
using Goflux.InMemory;

namespace Goflux.Reliability.Tests;

/// <summary>
/// The soak test's own account of every message: which delivery counts it saw, how each delivery was settled, and when
/// a message was settled for good. Settlement choices are a function of (seed, stream sequence, delivery count), so a
/// seed reproduces the same decisions whatever the thread interleaving.
/// </summary>
internal sealed class SoakLedger
{
    private const int MaxDeliver = 5;
    private const byte AckedMark = 1;
    private const byte TermedMark = 2;
    private const int Stripes = 1024;

    private readonly int _count;
    private readonly int _seed;
    private readonly InMemoryConsumer _consumer;
    private readonly byte[] _final;
    private readonly byte[] _seen;          // bit n: delivery #n was handled
    private readonly bool[] _resolved;
    private readonly bool[] _lateTerminal;  // settled for good only at or after its last allowed delivery
    private readonly ulong[] _settledAt;    // the consumer's last consumer sequence right after the final settlement
    private readonly SemaphoreSlim[] _gates;
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly TaskCompletionSource _allResolved = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _deliveries;
    private long _resolvedCount;
    private long _violationCount;
    private long _acked;
    private long _termed;
    private long _termCalls;

    public SoakLedger(int count, int seed, InMemoryConsumer consumer)
    {
        _count = count;
        _seed = seed;
        _consumer = consumer;
        _final = new byte[count + 1];
        _seen = new byte[count + 1];
        _resolved = new bool[count + 1];
        _lateTerminal = new bool[count + 1];
        _settledAt = new ulong[count + 1];
        _gates = Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
    }

    private enum Action
    {
        Ack,
        Nak,
        NakWithDelay,
        Term,
        Throw,
        Ignore,
    }

    public Task AllResolved => _allResolved.Task;

    public long Deliveries => Interlocked.Read(ref _deliveries);

    public long Resolved => Interlocked.Read(ref _resolvedCount);

    public long ViolationCount => Interlocked.Read(ref _violationCount);

    public long Acked => Interlocked.Read(ref _acked);

    public long Termed => Interlocked.Read(ref _termed);

    public long TermCalls => Interlocked.Read(ref _termCalls);

    /// <summary>Messages delivered the maximum number of times and never acked or termed.</summary>
    public long Exhausted => ExhaustedSequences().Count();

    /// <summary>Messages that neither were settled for good nor reached their last delivery.</summary>
    public long Lost => Enumerable.Range(1, _count).LongCount(i => _final[i] == 0 && (_seen[i] & (1 << MaxDeliver)) == 0);

    public IEnumerable<long> ExhaustedSequences() =>
        Enumerable.Range(1, _count).Where(i => _final[i] == 0 && (_seen[i] & (1 << MaxDeliver)) != 0).Select(i => (long)i);

    /// <summary>Exhausted ones plus those settled only at or after their last delivery, which the engine may have exhausted first.</summary>
    public IEnumerable<long> MaybeExhaustedSequences() =>
        Enumerable.Range(1, _count).Where(i => (_seen[i] & (1 << MaxDeliver)) != 0 && (_final[i] == 0 || _lateTerminal[i])).Select(i => (long)i);

    public string Describe() => _violations.IsEmpty ? "none" : string.Join("; ", _violations.Take(20));

    public async ValueTask HandleAsync(Message<long> message, bool manual)
    {
        var delivery = message.Delivery ?? throw new InvalidOperationException("an in-memory delivery without metadata");
        var seq = (long)delivery.StreamSequence;
        var number = (int)delivery.NumDelivered;
        Interlocked.Increment(ref _deliveries);
        if (seq < 1 || seq > _count || message.Payload != seq)
        {
            Violation($"stream seq {seq} carries payload {message.Payload}");
            return;
        }

        var (action, delay) = Choose(seq, number, manual);
        var gate = _gates[seq % Stripes];
        var fail = false;
        await gate.WaitAsync();
        try
        {
            if (number < 1 || number > MaxDeliver)
            {
                Violation($"seq {seq} delivered as #{number} with MaxDeliver {MaxDeliver}");
            }
            else if ((_seen[seq] & (1 << number)) != 0)
            {
                Violation($"seq {seq} delivery #{number} arrived twice");
            }

            if (_final[seq] != 0 && delivery.ConsumerSequence > _settledAt[seq])
            {
                Violation($"seq {seq} delivered again as #{number} (consumer seq {delivery.ConsumerSequence}) after it was {(_final[seq] == AckedMark ? "acked" : "termed")} (last consumer seq then {_settledAt[seq]})");
            }

            var lastAllowed = (_seen[seq] & (1 << MaxDeliver)) != 0 || number == MaxDeliver;
            if (number is >= 1 and <= MaxDeliver)
            {
                _seen[seq] |= (byte)(1 << number);
            }

            if (_final[seq] != 0)
            {
                // Already acked or termed. Seeing its last allowed delivery now means the engine made that delivery
                // before the settlement reached it (a message no longer pending is not redelivered), so the settlement
                // came after the last delivery and the message may have run out first, with its advisory.
                if (number == MaxDeliver)
                {
                    _lateTerminal[seq] = true;
                }

                // An ack changes nothing (S-84). A term would still raise an advisory (S-83).
                if (action == Action.Term)
                {
                    Interlocked.Increment(ref _termCalls);
                    await message.TermAsync("soak: late");
                }
                else
                {
                    await message.AckAsync();
                }

                return;
            }

            switch (action)
            {
                case Action.Ack:
                    await message.AckAsync();
                    await SettledAsync(seq, AckedMark, lastAllowed);
                    Interlocked.Increment(ref _acked);
                    return;
                case Action.Term:
                    Interlocked.Increment(ref _termCalls);
                    await message.TermAsync("soak");
                    await SettledAsync(seq, TermedMark, lastAllowed);
                    Interlocked.Increment(ref _termed);
                    return;
                case Action.Nak:
                    await message.NakAsync();
                    break;
                case Action.NakWithDelay:
                    await message.NakAsync(delay);
                    break;
                case Action.Throw:
                    fail = true; // auto-ack: the pipeline naks; manual ack: left pending until its ack wait runs out
                    break;
                case Action.Ignore:
                    break;
            }

            if (number == MaxDeliver)
            {
                Resolve(seq);
            }
        }
        finally
        {
            gate.Release();
        }

        if (fail)
        {
            throw new InvalidOperationException($"soak: handler failure on seq {seq} delivery #{number}");
        }
    }

    private async ValueTask SettledAsync(long seq, byte how, bool lastAllowed)
    {
        _final[seq] = how;
        _lateTerminal[seq] = lastAllowed;
        _settledAt[seq] = (await _consumer.GetInfoAsync()).Delivered.ConsumerSeq;
        Resolve(seq);
    }

    private void Resolve(long seq)
    {
        if (_resolved[seq])
        {
            return;
        }

        _resolved[seq] = true;
        if (Interlocked.Increment(ref _resolvedCount) == _count)
        {
            _allResolved.TrySetResult();
        }
    }

    private (Action Action, TimeSpan Delay) Choose(long seq, int number, bool manual)
    {
        var h = Mix(((ulong)(uint)_seed << 40) ^ ((ulong)seq << 3) ^ (ulong)number);
        var roll = (int)(h % 100);
        var delay = TimeSpan.FromMilliseconds(100 + (int)((h >> 20) % 2900));
        var action = roll switch
        {
            < 40 => Action.Ack,
            < 52 => Action.Nak,
            < 64 => Action.NakWithDelay,
            < 70 => Action.Term,
            < 85 => Action.Throw,
            _ => Action.Ignore,
        };

        // Returning unsettled from an auto-ack handler acks; only the manual-ack subscription can ignore a message.
        return (action == Action.Ignore && !manual ? Action.Ack : action, delay);
    }

    private static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        x ^= x >> 33;
        return x;
    }

    private void Violation(string text)
    {
        if (Interlocked.Increment(ref _violationCount) <= 100)
        {
            _violations.Enqueue(text);
        }
    }
}
