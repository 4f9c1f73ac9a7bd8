using System.Globalization;
using Goflux.InMemory.Internal;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
    private static readonly TimeSpan DefaultDuplicateWindow = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Creates a stream, or returns the existing one when its effective configuration is identical (S-11).
    /// </summary>
    /// <param name="config">NATS.Net's stream configuration.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stream's info, with server defaults filled in (S-09).</returns>
    /// <exception cref="GofluxException">The configuration is invalid (10052), the name is taken with a different
    /// configuration (10058), or the subjects overlap another stream (10065).</exception>
    public ValueTask<StreamInfo> CreateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
        => new(UpsertStream(config, create: true, update: false));

    /// <summary>Updates an existing stream (S-12, S-13).</summary>
    /// <param name="config">The new configuration.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stream's info.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059), the configuration is invalid (10052) or the change is not allowed.</exception>
    public ValueTask<StreamInfo> UpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
        => new(UpsertStream(config, create: false, update: true));

    /// <summary>Creates the stream, or updates it when it exists with a different configuration.</summary>
    /// <param name="config">The configuration.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stream's info.</returns>
    /// <exception cref="GofluxException">The configuration is invalid or the change is not allowed.</exception>
    public ValueTask<StreamInfo> CreateOrUpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
        => new(UpsertStream(config, create: true, update: true));

    /// <summary>Gets a stream's configuration and state.</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The info.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059).</exception>
    public ValueTask<StreamInfo> GetStreamInfoAsync(string stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        lock (_gate)
        {
            return new(InfoOf(GetStream(stream)));
        }
    }

    /// <summary>Deletes a stream and its consumers; their open pull requests end with an error (S-15).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A completed task.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059).</exception>
    public ValueTask DeleteStreamAsync(string stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        List<PullRequest> ended = [];
        lock (_gate)
        {
            var s = GetStream(stream);
            foreach (var c in s.Consumers.Values)
            {
                StopConsumer(c, ended);
            }

            s.Consumers.Clear();
            s.AgeTimer?.Dispose();
            s.Deleted = true;
            _streams.Remove(stream);
        }

        EndAll(ended, ConsumerDeleted());
        return default;
    }

    /// <summary>Removes every message; sequences continue, consumers move to the end (S-14).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The number of messages removed.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059) or denies purge.</exception>
    public ValueTask<long> PurgeStreamAsync(string stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        lock (_gate)
        {
            var s = GetStream(stream);
            if (s.Config.Sealed)
            {
                throw Errors.Api(10109, "invalid operation on sealed stream");
            }

            if (s.Config.DenyPurge)
            {
                throw Errors.Api(10075, "stream purge is not permitted");
            }

            var n = s.Messages;
            if (_options.RecordEvents)
            {
                foreach (var m in s.All())
                {
                    Record(new(InMemoryEventKind.Removed, Now, s.Config.Name!, null, m.Subject, m.Sequence, Reason: "purge"));
                }
            }

            s.Purge();
            foreach (var c in s.Consumers.Values)
            {
                c.Pending.Clear();
                c.Redelivered.Clear();
                c.RedeliveryQueue.Clear();
                c.Deadlines.Clear();
                c.LastPerSubjectSkipList = null;
                c.NextSeq = s.LastSeq + 1;
                c.AckFloorStream = s.LastSeq;
                c.AckFloorConsumer = c.DeliveredConsumerSeq;
                c.NumPending = 0;
            }

            return new(n);
        }
    }

    /// <summary>Gets a stored message by stream sequence.</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="sequence">The stream sequence.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The subject, payload, headers and store time.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059) or holds no such message (10037).</exception>
    public ValueTask<(string Subject, ReadOnlyMemory<byte> Data, MessageHeaders? Headers, DateTimeOffset Time)> GetMessageAsync(string stream, ulong sequence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        lock (_gate)
        {
            var m = GetStream(stream).Get(sequence) ?? throw Errors.Api(10037, "no message found");
            return new((m.Subject, m.Data, m.Headers, m.Time));
        }
    }

    /// <summary>Gets the messages currently stored in a stream, in sequence order.</summary>
    /// <param name="stream">The stream name.</param>
    /// <returns>Sequence, subject, payload and headers of each message.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059).</exception>
    public IReadOnlyList<(ulong Sequence, string Subject, ReadOnlyMemory<byte> Data, MessageHeaders? Headers)> GetStoredMessages(string stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        lock (_gate)
        {
            return [.. GetStream(stream).All().Select(m => (m.Sequence, m.Subject, (ReadOnlyMemory<byte>)m.Data, m.Headers))];
        }
    }

    private static StreamConfig Normalize(StreamConfig c)
    {
        var n = new StreamConfig
        {
            Name = c.Name,
            Description = c.Description,
            Subjects = c.Subjects is { Count: > 0 } ? [.. c.Subjects] : [c.Name!],
            Retention = c.Retention,
            MaxConsumers = c.MaxConsumers == 0 ? -1 : c.MaxConsumers,
            MaxMsgs = c.MaxMsgs == 0 ? -1 : c.MaxMsgs,
            MaxBytes = c.MaxBytes == 0 ? -1 : c.MaxBytes,
            MaxMsgsPerSubject = c.MaxMsgsPerSubject == 0 ? -1 : c.MaxMsgsPerSubject,
            MaxMsgSize = c.MaxMsgSize == 0 ? -1 : c.MaxMsgSize,
            MaxAge = c.MaxAge,
            Storage = c.Storage,
            NumReplicas = c.NumReplicas == 0 ? 1 : c.NumReplicas,
            NoAck = c.NoAck,
            Discard = c.Discard,
            DuplicateWindow = c.DuplicateWindow != TimeSpan.Zero
                ? c.DuplicateWindow
                : c.MaxAge > TimeSpan.Zero && c.MaxAge < DefaultDuplicateWindow ? c.MaxAge : DefaultDuplicateWindow,
            Sealed = c.Sealed,
            DenyDelete = c.DenyDelete,
            DenyPurge = c.DenyPurge,
            AllowRollupHdrs = c.AllowRollupHdrs,
            AllowDirect = c.AllowDirect,
            DiscardNewPerSubject = c.DiscardNewPerSubject,
            Metadata = c.Metadata,
        };
        return n;
    }

    private static bool SameConfig(StreamConfig a, StreamConfig b) =>
        a.Name == b.Name
        && (a.Description ?? string.Empty) == (b.Description ?? string.Empty)
        && a.Subjects!.SequenceEqual(b.Subjects!)
        && a.Retention == b.Retention
        && a.MaxConsumers == b.MaxConsumers
        && a.MaxMsgs == b.MaxMsgs
        && a.MaxBytes == b.MaxBytes
        && a.MaxMsgsPerSubject == b.MaxMsgsPerSubject
        && a.MaxMsgSize == b.MaxMsgSize
        && a.MaxAge == b.MaxAge
        && a.Storage == b.Storage
        && a.NumReplicas == b.NumReplicas
        && a.NoAck == b.NoAck
        && a.Discard == b.Discard
        && a.DuplicateWindow == b.DuplicateWindow
        && a.Sealed == b.Sealed
        && a.DenyDelete == b.DenyDelete
        && a.DenyPurge == b.DenyPurge
        && a.AllowRollupHdrs == b.AllowRollupHdrs
        && a.AllowDirect == b.AllowDirect
        && a.DiscardNewPerSubject == b.DiscardNewPerSubject;

    private static void ValidateStreamName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw Errors.InvalidStreamConfig("stream name is required and can not contain '.', '*', '>'");
        }

        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            throw Errors.Api(10128, "stream name can not contain path separators");
        }

        if (name.AsSpan().IndexOfAny(".*>") >= 0 || name.Any(char.IsWhiteSpace))
        {
            throw Errors.InvalidStreamConfig("stream name is required and can not contain '.', '*', '>'");
        }

        if (name.Length > 255)
        {
            throw Errors.InvalidStreamConfig("stream name is too long, maximum allowed is 255");
        }
    }

    private static void ValidateStreamConfig(StreamConfig c)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in c.Subjects!)
        {
            if (!Subjects.IsValidPattern(s))
            {
                throw Errors.InvalidStreamConfig("invalid subject");
            }

            if (!seen.Add(s))
            {
                throw Errors.InvalidStreamConfig("duplicate subjects detected");
            }

            if (Subjects.Collide(s, "$JS.API.>"))
            {
                throw Errors.InvalidStreamConfig("subjects overlap with jetstream api");
            }
        }

        var list = c.Subjects!.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            for (var j = i + 1; j < list.Count; j++)
            {
                if (Subjects.Collide(list[i], list[j]))
                {
                    throw Errors.InvalidStreamConfig(string.Create(CultureInfo.InvariantCulture, $"subject \"{list[j]}\" overlaps with \"{list[i]}\""));
                }
            }
        }

        if (c.MaxAge > TimeSpan.Zero && c.MaxAge < TimeSpan.FromMilliseconds(100))
        {
            throw Errors.InvalidStreamConfig("max age needs to be >= 100ms");
        }

        if (c.DuplicateWindow < TimeSpan.Zero)
        {
            throw Errors.InvalidStreamConfig("duplicates window can not be negative");
        }

        if (c.DuplicateWindow > TimeSpan.Zero && c.DuplicateWindow < TimeSpan.FromMilliseconds(100))
        {
            throw Errors.InvalidStreamConfig("duplicates window needs to be >= 100ms");
        }

        if (c.MaxAge > TimeSpan.Zero && c.DuplicateWindow > c.MaxAge)
        {
            throw Errors.InvalidStreamConfig("duplicates window can not be larger then max age");
        }

        if (c.AllowRollupHdrs && c.DenyPurge)
        {
            throw Errors.InvalidStreamConfig("roll-ups require the purge permission");
        }

        if (c.DiscardNewPerSubject && (c.Discard != StreamConfigDiscard.New || c.MaxMsgsPerSubject <= 0))
        {
            throw Errors.InvalidStreamConfig("discard new per subject requires discard new policy to be set");
        }
    }

    private StreamInfo UpsertStream(StreamConfig config, bool create, bool update)
    {
        ArgumentNullException.ThrowIfNull(config);
        ValidateStreamName(config.Name);
        var c = Normalize(config);
        ValidateStreamConfig(c);
        lock (_gate)
        {
            ThrowIfDisposed();
            var exists = _streams.TryGetValue(c.Name!, out var s);
            if (!exists && !create)
            {
                throw Errors.StreamNotFound();
            }

            if (exists && SameConfig(s!.Config, c))
            {
                return InfoOf(s);
            }

            if (exists && !update)
            {
                throw Errors.Api(10058, "stream name already in use with a different configuration");
            }

            foreach (var other in _streams.Values)
            {
                if (other == s)
                {
                    continue;
                }

                foreach (var a in c.Subjects!)
                {
                    foreach (var b in other.Config.Subjects!)
                    {
                        if (Subjects.Collide(a, b))
                        {
                            throw Errors.Api(10065, "subjects overlap with an existing stream");
                        }
                    }
                }
            }

            if (!exists)
            {
                if (c.Sealed)
                {
                    throw Errors.InvalidStreamConfig("stream configuration for create can not be sealed");
                }

                s = new MemStream(c, Now);
                _streams[c.Name!] = s;
                return InfoOf(s);
            }

            CheckStreamUpdate(s!.Config, c);
            var oldPerSubject = s.Config.MaxMsgsPerSubject;
            s.Config = c;

            // Like the server's store: a per-subject limit trims on update only when it lowers an existing one (S-13).
            EnforceLimits(s, trimAll: true, perSubjectOnUpdate: oldPerSubject > 0 && c.MaxMsgsPerSubject < oldPerSubject);
            ScheduleAge(s);
            return InfoOf(s);
        }
    }

    private static void CheckStreamUpdate(StreamConfig old, StreamConfig n)
    {
        if (old.Storage != n.Storage)
        {
            throw Errors.InvalidStreamConfig("stream configuration update can not change storage type");
        }

        if (old.Retention != n.Retention
            && (old.Retention == StreamConfigRetention.Workqueue || n.Retention == StreamConfigRetention.Workqueue))
        {
            throw Errors.InvalidStreamConfig("stream configuration update can not change retention policy to/from workqueue");
        }

        if (old.MaxConsumers != n.MaxConsumers)
        {
            throw Errors.InvalidStreamConfig("stream configuration update can not change max consumers");
        }

        if (old.Sealed && !n.Sealed)
        {
            throw Errors.InvalidStreamConfig("stream configuration update can not unseal a sealed stream");
        }

        if (old.DenyDelete && !n.DenyDelete)
        {
            throw Errors.InvalidStreamConfig("stream configuration update can not cancel deny message deletes");
        }

        if (old.DenyPurge && !n.DenyPurge)
        {
            throw Errors.InvalidStreamConfig("stream configuration update can not cancel deny purge");
        }
    }

    private MemStream GetStream(string name)
    {
        ThrowIfDisposed();
        return _streams.TryGetValue(name, out var s) ? s : throw Errors.StreamNotFound();
    }

    private StreamInfo InfoOf(MemStream s)
    {
        var first = s.FirstStored();
        return new StreamInfo
        {
            Config = s.Config,
            Created = s.Created,
            Ts = Now,
            State = new StreamState
            {
                Messages = s.Messages,
                Bytes = s.Bytes,
                FirstSeq = s.LastSeq == 0 ? 0 : s.FirstSeq, // a stream that never assigned a sequence reports 0 (S-16)
                FirstTs = first?.Time.ToString("O", CultureInfo.InvariantCulture) ?? "0001-01-01T00:00:00Z",
                LastSeq = s.LastSeq,
                LastTs = s.LastSeq == 0 ? "0001-01-01T00:00:00Z" : s.LastTime.ToString("O", CultureInfo.InvariantCulture),
                ConsumerCount = s.Consumers.Count,
                NumSubjects = s.NumSubjects,
                NumDeleted = s.Messages == 0 ? 0 : (long)(s.LastSeq - s.FirstSeq + 1) - s.Messages,
            },
        };
    }

    /// <summary>Applies max_msgs, max_bytes, max_msgs_per_subject and max_age, oldest first (S-13, S-33 to S-36).</summary>
    private void EnforceLimits(MemStream s, bool trimAll, string? subject = null, bool perSubjectOnUpdate = false)
    {
        var c = s.Config;
        if (c.MaxMsgsPerSubject > 0)
        {
            if (subject is not null)
            {
                while (s.CountOnSubject(subject) > c.MaxMsgsPerSubject)
                {
                    RemoveMessage(s, s.OldestOnSubject(subject), "max_msgs_per_subject");
                }
            }
            else if (trimAll && perSubjectOnUpdate)
            {
                foreach (var (subj, _) in s.LastPerSubject().ToList())
                {
                    while (s.CountOnSubject(subj) > c.MaxMsgsPerSubject)
                    {
                        RemoveMessage(s, s.OldestOnSubject(subj), "max_msgs_per_subject");
                    }
                }
            }
        }

        // Under discard "new" the stream never trims for max_msgs or max_bytes, not even when an update lowers them (S-13).
        var discardOld = c.Discard != StreamConfigDiscard.New;
        while (discardOld && c.MaxMsgs > 0 && s.Messages > c.MaxMsgs)
        {
            RemoveMessage(s, s.FirstSeq, "max_msgs");
        }

        while (discardOld && c.MaxBytes > 0 && s.Bytes > c.MaxBytes && s.Messages > 0)
        {
            RemoveMessage(s, s.FirstSeq, "max_bytes");
        }

        if (trimAll)
        {
            ExpireAged(s);
        }
    }

    private void ExpireAged(MemStream s)
    {
        if (s.Config.MaxAge <= TimeSpan.Zero)
        {
            return;
        }

        var now = Now;
        while (s.FirstStored() is { } m && m.Time + s.Config.MaxAge <= now)
        {
            RemoveMessage(s, m.Sequence, "max_age");
        }
    }

    private void ScheduleAge(MemStream s)
    {
        if (s.Config.MaxAge <= TimeSpan.Zero || s.Deleted)
        {
            s.AgeTimer?.Dispose();
            s.AgeTimer = null;
            return;
        }

        var first = s.FirstStored();
        if (first is null)
        {
            return;
        }

        var due = first.Time + s.Config.MaxAge - Now;
        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }

        s.AgeTimer ??= TimeProvider.CreateTimer(static state => ((InMemoryJetStream)((object[])state!)[0]).OnAgeTimer((MemStream)((object[])state!)[1]), new object[] { this, s }, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        s.AgeTimer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void OnAgeTimer(MemStream s)
    {
        lock (_gate)
        {
            if (s.Deleted || _disposed)
            {
                return;
            }

            ExpireAged(s);
            ScheduleAge(s);
        }
    }

    /// <summary>Removes one stored message and updates every consumer's pending count (S-99 keeps pending entries until the next timer check).</summary>
    private void RemoveMessage(MemStream s, ulong seq, string reason)
    {
        if (!s.Remove(seq, out var m) || m is null)
        {
            return;
        }

        foreach (var c in s.Consumers.Values)
        {
            var counted = c.LastPerSubjectSkipList is { } skip && seq <= c.LastPerSubjectEnd
                ? skip.Remove(seq)
                : seq >= c.NextSeq && c.Matches(m.Subject);
            if (counted && c.NumPending > 0)
            {
                c.NumPending--;
            }
        }

        Record(new(InMemoryEventKind.Removed, Now, s.Config.Name!, null, m.Subject, seq, Reason: reason));
    }
}
