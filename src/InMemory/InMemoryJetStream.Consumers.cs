using Goflux.InMemory.Internal;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
    private static readonly TimeSpan DefaultAckWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DefaultInactiveThreshold = TimeSpan.FromSeconds(5);

    private enum ConsumerAction
    {
        CreateOrUpdate,
        Create,
        Update,
    }

    /// <summary>
    /// Creates a consumer, or updates it in place (state kept) when it exists (S-50, S-51). Only pull consumers are supported.
    /// </summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="config">NATS.Net's consumer configuration. Only <c>DurableName</c> makes a consumer durable (S-46).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A handle on the consumer.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059), or the configuration is invalid (the server's code).</exception>
    /// <exception cref="NotSupportedException">The configuration asks for a push consumer (<c>DeliverSubject</c>).</exception>
    public ValueTask<InMemoryConsumer> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken = default)
        => new(UpsertConsumer(stream, config, ConsumerAction.CreateOrUpdate));

    /// <summary>Creates a consumer; an existing one with a different configuration is an error (10148, S-50).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="config">The configuration.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A handle on the consumer.</returns>
    /// <exception cref="GofluxException">The stream does not exist, the consumer exists with another configuration, or the configuration is invalid.</exception>
    public ValueTask<InMemoryConsumer> CreateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken = default)
        => new(UpsertConsumer(stream, config, ConsumerAction.Create));

    /// <summary>Updates an existing consumer; a missing one is an error (10149, S-50).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="config">The configuration.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A handle on the consumer.</returns>
    /// <exception cref="GofluxException">The stream or consumer does not exist, or the change is not allowed (10012).</exception>
    public ValueTask<InMemoryConsumer> UpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken = default)
        => new(UpsertConsumer(stream, config, ConsumerAction.Update));

    /// <summary>Gets a handle on an existing consumer.</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="consumer">The consumer name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The handle.</returns>
    /// <exception cref="GofluxException">The stream (10059) or the consumer (10014) does not exist.</exception>
    public ValueTask<InMemoryConsumer> GetConsumerAsync(string stream, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(consumer);
        lock (_gate)
        {
            var c = GetConsumer(stream, consumer);
            return new(new InMemoryConsumer(this, stream, consumer, InfoOf(c)));
        }
    }

    /// <summary>Gets a consumer's configuration and counters (S-100 to S-105).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="consumer">The consumer name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The info.</returns>
    /// <exception cref="GofluxException">The stream (10059) or the consumer (10014) does not exist.</exception>
    public ValueTask<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(consumer);
        lock (_gate)
        {
            return new(InfoOf(GetConsumer(stream, consumer)));
        }
    }

    /// <summary>Deletes a consumer; its open pull requests end with an error (S-74). On an interest stream, messages no
    /// remaining consumer needs are removed (S-40).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="consumer">The consumer name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A completed task.</returns>
    /// <exception cref="GofluxException">The stream (10059) or the consumer (10014) does not exist.</exception>
    public ValueTask DeleteConsumerAsync(string stream, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(consumer);
        List<PullRequest> ended = [];
        lock (_gate)
        {
            var c = GetConsumer(stream, consumer);
            var s = c.Stream;
            StopConsumer(c, ended);
            s.Consumers.Remove(consumer);
            if (s.Config.Retention == StreamConfigRetention.Interest)
            {
                foreach (var m in s.All().Where(m => m.Sequence > c.AckFloorStream).ToList())
                {
                    if (!s.Consumers.Values.Any(o => NeedsAck(o, m)))
                    {
                        RemoveMessage(s, m.Sequence, "interest");
                    }
                }
            }
        }

        EndAll(ended, ConsumerDeleted());
        return default;
    }

    private static GofluxException ConsumerDeleted() => new(GofluxStage.Subscribe, "consumer deleted", null, null, 409);

    private static void ValidateName(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            throw Errors.Api(10127, "consumer name can not contain path separators");
        }

        if (name.AsSpan().IndexOfAny(".*>") >= 0 || name.Any(char.IsWhiteSpace))
        {
            throw Errors.Api(10103, "durable name can not contain '.', '*', '>'");
        }

        if (name.Length > 255)
        {
            throw Errors.Api(10102, "consumer name is too long, maximum allowed is 255");
        }
    }

    private static ConsumerConfig NormalizeConsumer(ConsumerConfig c, string name, bool durable)
    {
        var ackNone = c.AckPolicy == ConsumerConfigAckPolicy.None;
        var n = new ConsumerConfig
        {
            Name = name,
            DurableName = durable ? name : null,
            Description = c.Description,
            DeliverPolicy = c.DeliverPolicy,
            OptStartSeq = c.OptStartSeq,
            OptStartTime = c.OptStartTime,
            AckPolicy = c.AckPolicy,
            AckWait = ackNone ? TimeSpan.Zero : c.AckWait == TimeSpan.Zero ? DefaultAckWait : c.AckWait,
            MaxDeliver = c.MaxDeliver == 0 ? -1 : c.MaxDeliver,
            FilterSubject = c.FilterSubject,
            FilterSubjects = c.FilterSubjects is { Count: > 0 } ? [.. c.FilterSubjects] : null,
            ReplayPolicy = c.ReplayPolicy,
            MaxAckPending = ackNone ? 0 : c.MaxAckPending == 0 ? 1000 : c.MaxAckPending,
            MaxWaiting = c.MaxWaiting == 0 ? 512 : c.MaxWaiting,
            HeadersOnly = c.HeadersOnly,
            MaxBatch = c.MaxBatch,
            MaxExpires = c.MaxExpires,
            MaxBytes = c.MaxBytes,
            InactiveThreshold = c.InactiveThreshold == TimeSpan.Zero && !durable ? DefaultInactiveThreshold : c.InactiveThreshold,
            Backoff = c.Backoff is { Count: > 0 } ? [.. c.Backoff] : null,
            NumReplicas = c.NumReplicas,
            MemStorage = c.MemStorage,
            Metadata = c.Metadata,
        };
        if (n.Backoff is { Count: > 0 } backoff)
        {
            n.AckWait = backoff.First();
        }

        return n;
    }

    private static void ValidateConsumerConfig(MemStream s, ConsumerConfig c)
    {
        if (!string.IsNullOrEmpty(c.DeliverSubject))
        {
            throw new NotSupportedException("Push consumers (DeliverSubject) are not supported by the in-memory engine; use a pull consumer.");
        }

        if (c.IdleHeartbeat > TimeSpan.Zero)
        {
            throw Errors.Api(10088, "consumer idle heartbeat requires a push based consumer");
        }

        if (c.FlowControl)
        {
            throw Errors.Api(10089, "consumer flow control requires a push based consumer");
        }

        if (c.RateLimitBps > 0)
        {
            throw Errors.Api(10086, "consumer in pull mode can not have rate limit set");
        }

        if (c.AckPolicy == ConsumerConfigAckPolicy.None && s.Config.Retention == StreamConfigRetention.Workqueue)
        {
            throw Errors.Api(10084, "consumer in pull mode requires explicit ack policy on workqueue stream");
        }

        if (!string.IsNullOrEmpty(c.FilterSubject) && c.FilterSubjects is { Count: > 0 })
        {
            // NATS.Net sends a config with a filter_subject to CREATE.<stream>.<name>.<filter>; the server rejects
            // filter_subjects on that subject form (10137) before it checks for both fields (10136).
            throw Errors.Api(10137, "consumer with multiple subject filters cannot use subject based API");
        }

        if (c.FilterSubjects is { Count: > 0 } fs)
        {
            var list = fs.ToList();
            if (list.Any(string.IsNullOrEmpty))
            {
                throw Errors.Api(10139, "consumer filter in FilterSubjects cannot be empty");
            }

            for (var i = 0; i < list.Count; i++)
            {
                if (!Subjects.IsValidPattern(list[i]))
                {
                    throw Errors.InvalidStreamConfig("invalid subject");
                }

                for (var j = i + 1; j < list.Count; j++)
                {
                    if (Subjects.Collide(list[i], list[j]))
                    {
                        throw Errors.Api(10138, "consumer subject filters cannot overlap");
                    }
                }
            }
        }

        if (!string.IsNullOrEmpty(c.FilterSubject) && !Subjects.IsValidPattern(c.FilterSubject))
        {
            throw Errors.InvalidStreamConfig("invalid subject");
        }

        var hasFilter = !string.IsNullOrEmpty(c.FilterSubject) || c.FilterSubjects is { Count: > 0 };
        var hasSeq = c.OptStartSeq > 0;
        var hasTime = c.OptStartTime != default;
        switch (c.DeliverPolicy)
        {
            case ConsumerConfigDeliverPolicy.ByStartSequence:
                if (!hasSeq)
                {
                    throw Errors.Api(10094, "consumer delivery policy is deliver by start sequence, but optional start sequence is not set");
                }

                if (hasTime)
                {
                    throw Errors.Api(10094, "consumer delivery policy is deliver by start sequence, but optional start time is also set");
                }

                break;
            case ConsumerConfigDeliverPolicy.ByStartTime:
                if (!hasTime)
                {
                    throw Errors.Api(10094, "consumer delivery policy is deliver by start time, but optional start time is not set");
                }

                if (hasSeq)
                {
                    throw Errors.Api(10094, "consumer delivery policy is deliver by start time, but optional start sequence is also set");
                }

                break;
            default:
                var policy = c.DeliverPolicy switch
                {
                    ConsumerConfigDeliverPolicy.All => "deliver all",
                    ConsumerConfigDeliverPolicy.Last => "deliver last",
                    ConsumerConfigDeliverPolicy.New => "deliver new",
                    _ => "deliver last per subject",
                };
                if (hasSeq)
                {
                    throw Errors.Api(10094, $"consumer delivery policy is {policy}, but optional start sequence is also set");
                }

                if (hasTime)
                {
                    throw Errors.Api(10094, $"consumer delivery policy is {policy}, but optional start time is also set");
                }

                if (c.DeliverPolicy == ConsumerConfigDeliverPolicy.LastPerSubject && !hasFilter)
                {
                    throw Errors.Api(10094, "consumer delivery policy is deliver last per subject, but optional filter subject is not set");
                }

                break;
        }

        if (c.Backoff is { Count: > 0 } backoff && c.MaxDeliver > 0 && c.MaxDeliver < backoff.Count)
        {
            throw Errors.Api(10116, "max deliver is required to be > length of backoff values");
        }
    }

    private static void CheckWorkQueue(MemStream s, ConsumerConfig c)
    {
        if (s.Config.Retention != StreamConfigRetention.Workqueue)
        {
            return;
        }

        if (c.AckPolicy != ConsumerConfigAckPolicy.Explicit)
        {
            throw Errors.Api(10098, "workqueue stream requires explicit ack");
        }

        var filters = c.FilterSubjects is { Count: > 0 } f ? f.ToArray() : string.IsNullOrEmpty(c.FilterSubject) ? [] : [c.FilterSubject];
        if (s.Consumers.Count > 0 && filters.Length == 0)
        {
            throw Errors.Api(10099, "multiple non-filtered consumers not allowed on workqueue stream");
        }

        foreach (var other in s.Consumers.Values)
        {
            if (other.Filters.Length == 0 || other.Filters.Any(a => filters.Any(b => Subjects.Collide(a, b))))
            {
                throw Errors.Api(10100, "filtered consumer not unique on workqueue stream");
            }
        }

        if (c.DeliverPolicy != ConsumerConfigDeliverPolicy.All)
        {
            throw Errors.Api(10101, "consumer must be deliver all on workqueue stream");
        }
    }

    private static void CheckConsumerUpdate(ConsumerConfig old, ConsumerConfig n)
    {
        static GofluxException Fail(string what) => Errors.Api(10012, what);
        if (old.DeliverPolicy != n.DeliverPolicy)
        {
            throw Fail("deliver policy can not be updated");
        }

        if (old.OptStartSeq != n.OptStartSeq)
        {
            throw Fail("start sequence can not be updated");
        }

        if (old.OptStartTime != n.OptStartTime)
        {
            throw Fail("start time can not be updated");
        }

        if (old.AckPolicy != n.AckPolicy)
        {
            throw Fail("ack policy can not be updated");
        }

        if (old.ReplayPolicy != n.ReplayPolicy)
        {
            throw Fail("replay policy can not be updated");
        }

        if (old.MaxWaiting != n.MaxWaiting)
        {
            throw Fail("max waiting can not be updated");
        }
    }

    private static bool SameConsumerConfig(ConsumerConfig a, ConsumerConfig b) =>
        a.DeliverPolicy == b.DeliverPolicy
        && a.OptStartSeq == b.OptStartSeq
        && a.OptStartTime == b.OptStartTime
        && a.AckPolicy == b.AckPolicy
        && a.AckWait == b.AckWait
        && a.MaxDeliver == b.MaxDeliver
        && (a.FilterSubject ?? string.Empty) == (b.FilterSubject ?? string.Empty)
        && (a.FilterSubjects ?? []).SequenceEqual(b.FilterSubjects ?? [])
        && a.MaxAckPending == b.MaxAckPending
        && a.MaxWaiting == b.MaxWaiting
        && (a.Backoff ?? []).SequenceEqual(b.Backoff ?? [])
        && (a.Description ?? string.Empty) == (b.Description ?? string.Empty)
        && a.InactiveThreshold == b.InactiveThreshold
        && a.HeadersOnly == b.HeadersOnly;

    private InMemoryConsumer UpsertConsumer(string stream, ConsumerConfig config, ConsumerAction action)
    {
        var handle = UpsertConsumerLocked(stream, config, action);
        FlushAdvisories();
        return handle;
    }

    private InMemoryConsumer UpsertConsumerLocked(string stream, ConsumerConfig config, ConsumerAction action)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(config);
        lock (_gate)
        {
            var s = GetStream(stream);
            if (!string.IsNullOrEmpty(config.DurableName) && !string.IsNullOrEmpty(config.Name) && config.DurableName != config.Name)
            {
                // NATS.Net sends the name as the API subject token; the server then reports the mismatch with the
                // durable name (10017) before its own Durable/Name check (10132) is reached (S-07).
                throw Errors.Api(10017, "consumer name in subject does not match durable name in request");
            }

            var durable = !string.IsNullOrEmpty(config.DurableName);
            var name = durable ? config.DurableName! : !string.IsNullOrEmpty(config.Name) ? config.Name! : RandomName();
            ValidateName(name);
            ValidateConsumerConfig(s, config);
            var n = NormalizeConsumer(config, name, durable);

            if (s.Consumers.TryGetValue(name, out var existing))
            {
                if (SameConsumerConfig(existing.Config, n))
                {
                    return new InMemoryConsumer(this, stream, name, InfoOf(existing));
                }

                if (action == ConsumerAction.Create)
                {
                    throw Errors.Api(10148, "consumer already exists");
                }

                CheckConsumerUpdate(existing.Config, n);
                existing.UpdateConfig(n);
                RecountPending(existing);
                Dispatch(existing);
                return new InMemoryConsumer(this, stream, name, InfoOf(existing));
            }

            if (action == ConsumerAction.Update)
            {
                throw Errors.Api(10149, "consumer does not exist");
            }

            if (s.Config.MaxConsumers > 0 && s.Consumers.Count >= s.Config.MaxConsumers)
            {
                throw Errors.Api(10026, "maximum consumers limit reached");
            }

            CheckWorkQueue(s, n);
            var c = new MemConsumer(s, name, n, Now);
            SelectStart(c);
            s.Consumers[name] = c;
            return new InMemoryConsumer(this, stream, name, InfoOf(c));
        }
    }

    /// <summary>Chooses the starting sequence (S-59 to S-64) and the initial counters (S-101).</summary>
    private static void SelectStart(MemConsumer c)
    {
        var s = c.Stream;
        var first = s.FirstSeq;
        var last = s.LastSeq;
        ulong start;
        switch (c.Config.DeliverPolicy)
        {
            case ConsumerConfigDeliverPolicy.Last:
                start = last == 0 ? 1 : last + 1;
                for (var m = LastMatching(c); m is not null;)
                {
                    start = m.Sequence;
                    break;
                }

                break;
            case ConsumerConfigDeliverPolicy.New:
                start = last + 1;
                break;
            case ConsumerConfigDeliverPolicy.ByStartSequence:
                start = Math.Max(c.Config.OptStartSeq, first);
                if (start > last + 1)
                {
                    start = last + 1;
                }

                if (last == 0)
                {
                    start = 1;
                }

                break;
            case ConsumerConfigDeliverPolicy.ByStartTime:
                start = last + 1;
                foreach (var m in s.All())
                {
                    if (m.Time >= c.Config.OptStartTime)
                    {
                        start = m.Sequence;
                        break;
                    }
                }

                break;
            case ConsumerConfigDeliverPolicy.LastPerSubject:
                var skip = new SortedSet<ulong>();
                foreach (var (subject, seq) in s.LastPerSubject())
                {
                    if (c.Matches(subject))
                    {
                        skip.Add(seq);
                    }
                }

                c.LastPerSubjectSkipList = skip;
                c.LastPerSubjectEnd = last;
                start = skip.Count > 0 ? skip.Min : last + 1;
                break;
            default:
                start = first;
                break;
        }

        c.NextSeq = start;

        // 2.10 reports a fresh consumer's ack floor as 0/0 whatever its start; it moves on the first ack.
        c.AckFloorStream = 0;
        c.AckFloorConsumer = 0;
        RecountPending(c);
    }

    private static MemMessage? LastMatching(MemConsumer c)
    {
        MemMessage? found = null;
        foreach (var m in c.Stream.All())
        {
            if (c.Matches(m.Subject))
            {
                found = m;
            }
        }

        return found;
    }

    private static void RecountPending(MemConsumer c)
    {
        if (c.LastPerSubjectSkipList is { } skip)
        {
            var after = (ulong)c.Stream.All().LongCount(m => m.Sequence > c.LastPerSubjectEnd && m.Sequence >= c.NextSeq && c.Matches(m.Subject));
            c.NumPending = (ulong)skip.Count + after;
            return;
        }

        c.NumPending = (ulong)c.Stream.All().LongCount(m => m.Sequence >= c.NextSeq && c.Matches(m.Subject));
    }

    private static string RandomName()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(8, 0, static (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[Random.Shared.Next(alphabet.Length)];
            }
        });
    }

    private MemConsumer GetConsumer(string stream, string consumer)
    {
        var s = GetStream(stream);
        return s.Consumers.TryGetValue(consumer, out var c) ? c : throw Errors.ConsumerNotFound();
    }

    private ConsumerInfo InfoOf(MemConsumer c) => new()
    {
        StreamName = c.Stream.Config.Name!,
        Name = c.Name,
        Config = c.Config,
        Created = c.Created,
        Ts = Now,
        Delivered = new SequenceInfo { ConsumerSeq = c.DeliveredConsumerSeq, StreamSeq = c.NextSeq == 0 ? 0 : c.NextSeq - 1, LastActive = c.LastActive ?? default },
        AckFloor = new SequenceInfo { ConsumerSeq = c.AckFloorConsumer, StreamSeq = c.AckFloorStream },
        NumAckPending = c.Pending.Count,
        NumRedelivered = c.Redelivered.Count,
        NumWaiting = c.Waiting.Count,
        NumPending = c.NumPending,
    };

    private static void StopConsumer(MemConsumer c, List<PullRequest> ended)
    {
        c.Deleted = true;
        c.Timer?.Dispose();
        c.Timer = null;
        ended.AddRange(c.Waiting);
        c.Waiting.Clear();
    }

    private static void EndAll(List<PullRequest> ended, Exception? error)
    {
        foreach (var r in ended)
        {
            EndRequest(r, error);
        }
    }
}
