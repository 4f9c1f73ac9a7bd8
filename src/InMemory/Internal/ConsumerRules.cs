using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>The consumer configuration rules: server defaults, validation, workqueue limits, sameness and what an
/// update may change.</summary>
internal static class ConsumerRules
{
    private static readonly TimeSpan DefaultAckWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DefaultInactiveThreshold = TimeSpan.FromSeconds(5);

    public static void ValidateName(string name)
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

    public static ConsumerConfig Normalize(ConsumerConfig c, string name, bool durable)
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

    public static void Validate(StreamState s, ConsumerConfig c)
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

    public static void CheckWorkQueue(StreamState s, ConsumerConfig c)
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
        if (s.ConsumerCount > 0 && filters.Length == 0)
        {
            throw Errors.Api(10099, "multiple non-filtered consumers not allowed on workqueue stream");
        }

        foreach (var other in s.Consumers)
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

    public static void CheckUpdate(ConsumerConfig old, ConsumerConfig n)
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

    public static bool Same(ConsumerConfig a, ConsumerConfig b) =>
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

    public static string RandomName()
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
}
