using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>The consumer configuration rules: server defaults, validation, workqueue limits, sameness and what an
/// update may change.</summary>
internal static class ConsumerRules
{
    /// <summary>The server's first check of the name a create subject carries (10127), before it looks the stream up.</summary>
    public static void CheckPathSeparators(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            throw Errors.ConsumerNameContainsPathSeparators();
        }
    }

    /// <summary>The name checks the server makes once it has the stream: length (10102), then characters (10103).</summary>
    public static void ValidateName(string name)
    {
        if (name.Length > 255)
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerNameTooLong, "consumer name is too long, maximum allowed is 255");
        }

        if (name.AsSpan().IndexOfAny(".*>") >= 0 || name.Any(char.IsWhiteSpace))
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerBadDurableName, "durable name can not contain '.', '*', '>'");
        }
    }

    /// <summary>The server's defaults filled in, unknown fields dropped: see <see cref="ConsumerConfigTable"/>.</summary>
    public static ConsumerConfig Normalize(ConsumerConfig c, string name, bool durable) => ConsumerConfigTable.Normalize(c, name, durable);

    /// <summary>Refuses a consumer configuration the server refuses, with the server's error code.</summary>
    /// <remarks>Long because it is the server's check sequence, one check after another: the first failing check
    /// decides the error code, so the order must stay visible.</remarks>
    public static void Validate(StreamState s, ConsumerConfig c)
    {
        // The server checks replicas, then backoff against max deliver (10116), before anything else (S-53).
        if (c.Backoff is { Count: > 0 } backoff && c.MaxDeliver > 0 && c.MaxDeliver < backoff.Count)
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerMaxDeliverBackoff, "max deliver is required to be > length of backoff values");
        }

        if (!string.IsNullOrEmpty(c.DeliverSubject))
        {
            ValidatePush(s, c);
        }

        // Push-only settings on a pull consumer (10088, 10089, 10086, 10090) and replicas (10074): the table's rows.
        ConsumerConfigTable.Validate(c);

        if (c.FlowControl && c.IdleHeartbeat <= TimeSpan.Zero)
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerFlowControlNeedsHeartbeats, "consumer with flow control also needs heartbeats");
        }

        if (string.IsNullOrEmpty(c.DeliverSubject) && c.AckPolicy == ConsumerConfigAckPolicy.None && s.Config.Retention == StreamConfigRetention.Workqueue)
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerPullRequiresAck, "consumer in pull mode requires ack policy");
        }

        if (!string.IsNullOrEmpty(c.FilterSubject) && c.FilterSubjects is { Count: > 0 })
        {
            // NATS.Net sends a config with a filter_subject to CREATE.<stream>.<name>.<filter>; the server rejects
            // filter_subjects on that subject form (10137) before it checks for both fields (10136).
            throw Errors.Api(JetStreamErrorCodes.ConsumerMultipleFiltersNotAllowed, "consumer with multiple subject filters cannot use subject based API");
        }

        if (c.FilterSubjects is { Count: > 0 } fs)
        {
            var list = fs.ToList();
            if (list.Any(string.IsNullOrEmpty))
            {
                throw Errors.Api(JetStreamErrorCodes.ConsumerEmptyFilter, "consumer filter in FilterSubjects cannot be empty");
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
                        throw Errors.Api(JetStreamErrorCodes.ConsumerOverlappingSubjectFilters, "consumer subject filters cannot overlap");
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
                    throw Errors.Api(JetStreamErrorCodes.ConsumerInvalidPolicy, "consumer delivery policy is deliver by start sequence, but optional start sequence is not set");
                }

                if (hasTime)
                {
                    throw Errors.Api(JetStreamErrorCodes.ConsumerInvalidPolicy, "consumer delivery policy is deliver by start sequence, but optional start time is also set");
                }

                break;
            case ConsumerConfigDeliverPolicy.ByStartTime:
                if (!hasTime)
                {
                    throw Errors.Api(JetStreamErrorCodes.ConsumerInvalidPolicy, "consumer delivery policy is deliver by start time, but optional start time is not set");
                }

                if (hasSeq)
                {
                    // The server's text, with its doubled "start" (it fills "optional start %s" with "start sequence").
                    throw Errors.Api(JetStreamErrorCodes.ConsumerInvalidPolicy, "consumer delivery policy is deliver by start time, but optional start start sequence is also set");
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
                    throw Errors.Api(JetStreamErrorCodes.ConsumerInvalidPolicy, $"consumer delivery policy is {policy}, but optional start sequence is also set");
                }

                if (hasTime)
                {
                    throw Errors.Api(JetStreamErrorCodes.ConsumerInvalidPolicy, $"consumer delivery policy is {policy}, but optional start time is also set");
                }

                if (c.DeliverPolicy == ConsumerConfigDeliverPolicy.LastPerSubject && !hasFilter)
                {
                    throw Errors.Api(JetStreamErrorCodes.ConsumerInvalidPolicy, "consumer delivery policy is deliver last per subject, but optional filter subject is not set");
                }

                break;
        }

    }

    /// <summary>The server's checks of a push consumer's settings, in its order (S-125).</summary>
    private static void ValidatePush(StreamState s, ConsumerConfig c)
    {
        var ds = c.DeliverSubject!;
        if (ds.Contains('*', StringComparison.Ordinal) || ds.Contains('>', StringComparison.Ordinal))
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerDeliverToWildcards, "consumer deliver subject has wildcards");
        }

        if (!Subjects.IsValidPattern(ds) || ds.Any(char.IsWhiteSpace))
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerInvalidDeliverSubject, "invalid push consumer deliver subject");
        }

        if (s.Captures(ds))
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerDeliverCycle, "consumer deliver subject forms a cycle");
        }

        if (c.MaxWaiting != 0)
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerPushMaxWaiting, "consumer in push mode can not set max waiting");
        }

        if (c.MaxAckPending > 0 && c.AckPolicy == ConsumerConfigAckPolicy.None)
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerMaxPendingAckPolicyRequired, "consumer requires ack policy for max ack pending");
        }

        if (c.IdleHeartbeat > TimeSpan.Zero && c.IdleHeartbeat < TimeSpan.FromMilliseconds(100))
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerSmallHeartbeat, "consumer idle heartbeat needs to be >= 100ms");
        }

        if (c.Direct && !string.IsNullOrEmpty(c.DurableName))
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerDirectRequiresEphemeral, "consumer direct requires an ephemeral consumer");
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
            throw Errors.Api(JetStreamErrorCodes.WorkQueueRequiresExplicitAck, "workqueue stream requires explicit ack");
        }

        var filters = c.FilterSubjects is { Count: > 0 } f ? f.ToArray() : string.IsNullOrEmpty(c.FilterSubject) ? [] : [c.FilterSubject];
        if (s.ConsumerCount > 0 && filters.Length == 0)
        {
            throw Errors.Api(JetStreamErrorCodes.WorkQueueMultipleUnfiltered, "multiple non-filtered consumers not allowed on workqueue stream");
        }

        foreach (var other in s.Consumers)
        {
            if (other.Filters.Count == 0 || other.Filters.Any(a => filters.Any(b => Subjects.Collide(a, b))))
            {
                throw Errors.Api(JetStreamErrorCodes.WorkQueueFilterNotUnique, "filtered consumer not unique on workqueue stream");
            }
        }

        if (c.DeliverPolicy != ConsumerConfigDeliverPolicy.All)
        {
            throw Errors.Api(JetStreamErrorCodes.WorkQueueRequiresDeliverAll, "consumer must be deliver all on workqueue stream");
        }
    }

    /// <summary>A work-queue stream's partitions stay unique when an existing consumer is updated (10100, S-44): its
    /// filters may not collide with another consumer's, and no other consumer may be unfiltered.</summary>
    public static void CheckWorkQueuePartition(StreamState s, ConsumerConfig c)
    {
        if (s.Config.Retention != StreamConfigRetention.Workqueue)
        {
            return;
        }

        var filters = c.FilterSubjects is { Count: > 0 } f ? f.ToArray() : string.IsNullOrEmpty(c.FilterSubject) ? [] : [c.FilterSubject];
        foreach (var partition in filters)
        {
            foreach (var other in s.Consumers)
            {
                if (other.Name != c.Name && (other.Filters.Count == 0 || other.Filters.Any(o => Subjects.Collide(partition, o))))
                {
                    throw Errors.Api(JetStreamErrorCodes.WorkQueueFilterNotUnique, "filtered consumer not unique on workqueue stream");
                }
            }
        }
    }

    /// <summary>What an update may not change (10012, S-51): see <see cref="ConsumerConfigTable"/>.</summary>
    public static void CheckUpdate(ConsumerConfig old, ConsumerConfig n, Func<string, bool> listened) => ConsumerConfigTable.CheckUpdate(old, n, listened);

    /// <summary>Sameness for an idempotent create (S-50): see <see cref="ConsumerConfigTable"/>.</summary>
    public static bool Same(ConsumerConfig a, ConsumerConfig b) => ConsumerConfigTable.Same(a, b);

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
