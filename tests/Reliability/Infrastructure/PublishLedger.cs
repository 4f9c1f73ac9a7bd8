using System.Collections.Concurrent;
using Goflux;

namespace Goflux.Reliability.Tests.Infrastructure;

/// <summary>What a publisher was told about each id, and how long each publish call took.</summary>
public sealed class PublishLedger
{
    private readonly bool[] _confirmed;
    private readonly ConcurrentQueue<string> _failures = new();
    private long _longestTicks;
    private long _confirmedCount;
    private long _duplicateAcks;
    private long _failed;

    public PublishLedger(int maxId)
    {
        _confirmed = new bool[maxId + 1];
    }

    public long Confirmed => Interlocked.Read(ref _confirmedCount);

    /// <summary>Publishes the server answered as duplicates: retries that deduplication made harmless.</summary>
    public long DuplicateAcks => Interlocked.Read(ref _duplicateAcks);

    public long Failed => Interlocked.Read(ref _failed);

    public TimeSpan Longest => TimeSpan.FromTicks(Interlocked.Read(ref _longestTicks));

    public string DescribeFailures() => _failures.IsEmpty ? "none" : string.Join("; ", _failures.Take(5));

    public bool IsConfirmed(long id) => _confirmed[id];

    /// <summary>Publishes <paramref name="id"/> through <paramref name="publisher"/> and records what it was told.</summary>
    /// <param name="timeout">A deadline the caller puts on the call (through its token), or <see langword="null"/>.</param>
    public async Task<bool> PublishAsync(IPublisher<long> publisher, string subject, long id, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var start = TimeProvider.System.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t)
        {
            deadline.CancelAfter(t);
        }

        try
        {
            var result = await publisher.PublishAsync(subject, id, new PublishOptions { MessageId = "id-" + id }, deadline.Token);
            _confirmed[id] = true;
            Interlocked.Increment(ref _confirmedCount);
            if (result.Duplicate)
            {
                Interlocked.Increment(ref _duplicateAcks);
            }

            return true;
        }
        catch (Exception ex) when (ex is GofluxException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failed);
            if (_failures.Count < 20)
            {
                _failures.Enqueue($"id {id} after {TimeProvider.System.GetElapsedTime(start).TotalSeconds:0.00} s: {ex.GetType().Name}: {ex.Message}");
            }

            return false;
        }
        finally
        {
            var took = TimeProvider.System.GetElapsedTime(start).Ticks;
            long seen;
            while (took > (seen = Interlocked.Read(ref _longestTicks)) && Interlocked.CompareExchange(ref _longestTicks, took, seen) != seen)
            {
            }
        }
    }
}
