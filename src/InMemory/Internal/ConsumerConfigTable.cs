using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>
/// Every property of NATS.Net's <see cref="ConsumerConfig"/>, one row each: the server's default, sameness for an idempotent
/// create (S-50), and what an update changing it does (S-51), as measured on nats-server 2.10.27 (the contract scenarios
/// <c>S51_ConsumerUpdate_AppliesOrRejectsEachField</c> ask the server). A test fails when NATS.Net gains a property
/// without a row.
/// </summary>
internal static class ConsumerConfigTable
{
    private static readonly TimeSpan DefaultAckWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DefaultInactiveThreshold = TimeSpan.FromSeconds(5);

    /// <summary>Gets the rows, one per property.</summary>
    public static IReadOnlyList<FieldRule<ConsumerConfig>> Rules { get; } =
    [
        Identity("Name", (s, n, x) => n.Name = x.Name, "the consumer name; with only Name set the consumer is a named ephemeral (S-46)"),
        Identity("DurableName", (s, n, x) => n.DurableName = x.Durable ? x.Name : null, "makes the consumer durable (S-46); must equal Name (JetStreamErrorCodes.ConsumerDurableNameMismatch, S-07)"),
        Rejected("DeliverPolicy", (s, n, _) => n.DeliverPolicy = s.DeliverPolicy, (a, b) => a.DeliverPolicy == b.DeliverPolicy, "deliver policy can not be updated"),
        Rejected("OptStartSeq", (s, n, _) => n.OptStartSeq = s.OptStartSeq, (a, b) => a.OptStartSeq == b.OptStartSeq, "start sequence can not be updated"),
        Rejected("OptStartTime", (s, n, _) => n.OptStartTime = s.OptStartTime, (a, b) => a.OptStartTime == b.OptStartTime, "start time can not be updated"),
        Rejected("AckPolicy", (s, n, _) => n.AckPolicy = s.AckPolicy, (a, b) => a.AckPolicy == b.AckPolicy, "ack policy can not be updated"),
        Rejected("ReplayPolicy", (s, n, _) => n.ReplayPolicy = s.ReplayPolicy, (a, b) => a.ReplayPolicy == b.ReplayPolicy, "replay policy can not be updated"),
        Rejected("DeliverSubject", (s, n, _) => n.DeliverSubject = s.DeliverSubject, (a, b) => Str(a.DeliverSubject) == Str(b.DeliverSubject), "can not update pull consumer to push based", "push consumers deliver to it (S-124); pull and push cannot be swapped by an update (S-129); a push consumer may move to another deliver subject while nobody listens on the old one, else 10013 (S-129)") with
        {
            UpdateError = (a, b) => IsPull(a) == IsPull(b)
                ? null
                : Errors.Api(JetStreamErrorCodes.ConsumerCreate, IsPull(a) ? "can not update pull consumer to push based" : "can not update push consumer to pull based"),
        },
        Rejected("MaxWaiting", (s, n, _) => n.MaxWaiting = s.MaxWaiting == 0 && IsPull(s) ? 512 : s.MaxWaiting, (a, b) => a.MaxWaiting == b.MaxWaiting, "max waiting can not be updated", "default 512 for pull consumers (S-49), 0 for push consumers, which refuse any other value (JetStreamErrorCodes.ConsumerPushMaxWaiting, S-125)"),
        Applied("Description", (s, n, _) => n.Description = s.Description, (a, b) => Str(a.Description) == Str(b.Description)),
        Applied("DeliverGroup", (s, n, _) => n.DeliverGroup = s.DeliverGroup, (a, b) => Str(a.DeliverGroup) == Str(b.DeliverGroup), "a pull consumer accepts and shows it (observed on 2.10.27); it has no effect on pulls"),
        Applied("AckWait", (s, n, _) => n.AckWait = AckWaitOf(s), (a, b) => a.AckWait == b.AckWait, "default 30 s with ack explicit or all, absent with ack none (S-49); BackOff's first step when a BackOff is set (S-58)"),
        Applied("MaxDeliver", (s, n, _) => n.MaxDeliver = s.MaxDeliver == 0 ? -1 : s.MaxDeliver, (a, b) => a.MaxDeliver == b.MaxDeliver, "default -1, unlimited (S-49)"),
        Applied("FilterSubject", (s, n, _) => n.FilterSubject = s.FilterSubject, (a, b) => Str(a.FilterSubject) == Str(b.FilterSubject)),
        Applied("FilterSubjects", (s, n, _) => n.FilterSubjects = s.FilterSubjects is { Count: > 0 } f ? [.. f] : null, (a, b) => (a.FilterSubjects ?? []).SequenceEqual(b.FilterSubjects ?? [])),
        Applied("SampleFreq", (s, n, _) => n.SampleFreq = s.SampleFreq, (a, b) => Str(a.SampleFreq) == Str(b.SampleFreq), "shown; the engine publishes no ack metrics (S-106)"),
        Applied("MaxAckPending", (s, n, _) => n.MaxAckPending = s.AckPolicy == ConsumerConfigAckPolicy.None ? 0 : s.MaxAckPending == 0 ? 1000 : s.MaxAckPending, (a, b) => a.MaxAckPending == b.MaxAckPending, "default 1000 with ack explicit or all, absent with ack none (S-49)"),
        Applied("HeadersOnly", (s, n, _) => n.HeadersOnly = s.HeadersOnly, (a, b) => a.HeadersOnly == b.HeadersOnly),
        Applied("MaxBatch", (s, n, _) => n.MaxBatch = s.MaxBatch, (a, b) => a.MaxBatch == b.MaxBatch, "shown; pull requests over it are not refused (S-73 is not reproduced)"),
        Applied("MaxExpires", (s, n, _) => n.MaxExpires = s.MaxExpires, (a, b) => a.MaxExpires == b.MaxExpires, "shown; pull requests over it are not refused (S-73 is not reproduced)"),
        Applied("MaxBytes", (s, n, _) => n.MaxBytes = s.MaxBytes, (a, b) => a.MaxBytes == b.MaxBytes, "shown; pull requests over it are not refused (S-73 is not reproduced)"),
        Applied("InactiveThreshold", (s, n, x) => n.InactiveThreshold = s.InactiveThreshold == TimeSpan.Zero && !x.Durable ? DefaultInactiveThreshold : s.InactiveThreshold, (a, b) => a.InactiveThreshold == b.InactiveThreshold, "default 5 s for ephemerals (S-47); an idle consumer is removed after it, durables too on 2.10"),
        Applied("Backoff", (s, n, _) => n.Backoff = s.Backoff is { Count: > 0 } f ? [.. f] : null, (a, b) => (a.Backoff ?? []).SequenceEqual(b.Backoff ?? []), "validated against MaxDeliver (JetStreamErrorCodes.ConsumerMaxDeliverBackoff, S-57)"),
        Applied("NumReplicas", (s, n, _) => n.NumReplicas = s.NumReplicas, (a, b) => a.NumReplicas == b.NumReplicas, "more than 1 is refused on a single server (JetStreamErrorCodes.ReplicasNotSupported)") with
        {
            AnyError = c => c.NumReplicas > 1 ? Errors.ReplicasNotSupported() : null,
        },
        Applied("MemStorage", (s, n, _) => n.MemStorage = s.MemStorage, (a, b) => a.MemStorage == b.MemStorage, "shown; the engine keeps all state in memory anyway"),
        Applied("Metadata", (s, n, _) => n.Metadata = s.Metadata is { Count: > 0 } m ? new Dictionary<string, string>(m) : null, (a, b) => SameMap(a.Metadata, b.Metadata)),
        PushOnly("FlowControl", FieldUpdate.Rejected, (s, n, _) => n.FlowControl = s.FlowControl, (a, b) => a.FlowControl == b.FlowControl, c => c.FlowControl, JetStreamErrorCodes.ConsumerFlowControlRequiresPush, "consumer flow control requires a push based consumer", "flow control can not be updated", "push only: pull consumers refuse it (S-52); a push consumer needs idle heartbeats with it (10108, S-125); a subscriber answers the server's flow control requests (S-134)"),
        PushOnly("IdleHeartbeat", FieldUpdate.Rejected, (s, n, _) => n.IdleHeartbeat = s.IdleHeartbeat, (a, b) => a.IdleHeartbeat == b.IdleHeartbeat, c => c.IdleHeartbeat > TimeSpan.Zero, JetStreamErrorCodes.ConsumerHeartbeatRequiresPush, "consumer idle heartbeat requires a push based consumer", "heart beats can not be updated", "push only: pull consumers refuse it (S-52); at least 100 ms (10083, S-125); the in-process server sends the heartbeats on the wall clock (S-134)"),
        PushOnly("RateLimitBps", FieldUpdate.Applied, (s, n, _) => n.RateLimitBps = s.RateLimitBps, (a, b) => a.RateLimitBps == b.RateLimitBps, c => c.RateLimitBps > 0, JetStreamErrorCodes.ConsumerPullWithRateLimit, "consumer in pull mode can not have rate limit set", null, "push only: pull consumers refuse it (S-52); shown on a push consumer, whose deliveries the engine does not slow down"),
        PushOnly("Direct", FieldUpdate.Applied, (s, n, _) => n.Direct = s.Direct, (a, b) => a.Direct == b.Direct, c => c.Direct, JetStreamErrorCodes.ConsumerDirectRequiresPush, "consumer direct requires a push based consumer", null, "push only: pull consumers refuse it; a durable push consumer too (10091, S-125); shown, otherwise a push consumer like any other"),
        Dropped("PauseUntil", (s, n, _) => n.PauseUntil = null, "a 2.11 field: 2.10.27 drops it (observed)"),
        Dropped("PriorityGroups", (s, n, _) => { }, "a 2.11 field (priority groups): unknown to 2.10.27, which drops it"),
        Dropped("PriorityPolicy", (s, n, _) => { }, "a 2.11 field (priority groups): unknown to 2.10.27, which drops it"),
        Dropped("PinnedTTL", (s, n, _) => { }, "a 2.11 field (pinned clients): unknown to 2.10.27, which drops it"),
        Dropped("Sourcing", (s, n, _) => n.Sourcing = false, "a field newer than 2.10: unknown to 2.10.27, which drops it"),
    ];

    /// <summary>The submitted configuration with the server's defaults filled in and unknown fields dropped.</summary>
    /// <param name="submitted">What the client sent.</param>
    /// <param name="name">The consumer name.</param>
    /// <param name="durable">Whether it is durable.</param>
    /// <returns>A new configuration; the submitted one is not changed.</returns>
    public static ConsumerConfig Normalize(ConsumerConfig submitted, string name, bool durable)
    {
        var normalized = new ConsumerConfig();
        var context = new ConfigContext(name, durable);
        foreach (var rule in Rules)
        {
            rule.Copy(submitted, normalized, context);
        }

        return normalized;
    }

    /// <summary>A copy of a normalised configuration that shares nothing with it, for a caller to keep or change.</summary>
    /// <param name="c">The consumer's configuration.</param>
    /// <param name="name">The consumer's name.</param>
    /// <returns>The copy.</returns>
    public static ConsumerConfig Copy(ConsumerConfig c, string name) => Normalize(c, name, durable: !string.IsNullOrEmpty(c.DurableName));

    /// <summary>Throws for the first field whose submitted value the server (or the engine) refuses on create and update.</summary>
    /// <param name="submitted">What the client sent.</param>
    /// <exception cref="GofluxException">The server's error for that field.</exception>
    public static void Validate(ConsumerConfig submitted)
    {
        foreach (var rule in Rules)
        {
            if (rule.AnyError?.Invoke(submitted) is { } error)
            {
                throw error;
            }
        }
    }

    /// <summary>Whether two normalised configurations are the same on every compared field (S-50).</summary>
    /// <param name="a">One configuration.</param>
    /// <param name="b">The other.</param>
    /// <returns><see langword="true"/> when an idempotent create returns the existing consumer.</returns>
    public static bool Same(ConsumerConfig a, ConsumerConfig b)
    {
        foreach (var rule in Rules)
        {
            if (rule.Same is { } same && !same(a, b))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Throws the server's error for the first field an update may not change (10012, S-51), in the server's order:
    /// deliver policy, start sequence and time, ack and replay policy, heartbeat, flow control, then the deliver subject
    /// (pull and push cannot be swapped; a push consumer moves to another deliver subject only while nobody listens on
    /// the old one, 10013, S-129), max waiting, then the rest.
    /// </summary>
    /// <param name="existing">The consumer's normalised configuration.</param>
    /// <param name="updated">The normalised update.</param>
    /// <param name="listened">Whether a client listens on a subject.</param>
    /// <exception cref="GofluxException">A field that cannot be updated differs.</exception>
    public static void CheckUpdate(ConsumerConfig existing, ConsumerConfig updated, Func<string, bool> listened)
    {
        foreach (var rule in UpdateOrder)
        {
            if (rule.UpdateError?.Invoke(existing, updated) is { } error)
            {
                throw error;
            }

            if (rule.Property == nameof(ConsumerConfig.DeliverSubject) && existing.DeliverSubject is { Length: > 0 } old
                && !string.IsNullOrEmpty(updated.DeliverSubject) && updated.DeliverSubject != old && listened(old))
            {
                throw Errors.Api(JetStreamErrorCodes.ConsumerNameExists, "consumer name already in use");
            }
        }
    }

    private static IReadOnlyList<FieldRule<ConsumerConfig>> UpdateOrder { get; } = OrderForUpdate();

    private static List<FieldRule<ConsumerConfig>> OrderForUpdate()
    {
        string[] first =
        [
            nameof(ConsumerConfig.DeliverPolicy), nameof(ConsumerConfig.OptStartSeq), nameof(ConsumerConfig.OptStartTime),
            nameof(ConsumerConfig.AckPolicy), nameof(ConsumerConfig.ReplayPolicy), nameof(ConsumerConfig.IdleHeartbeat),
            nameof(ConsumerConfig.FlowControl), nameof(ConsumerConfig.DeliverSubject), nameof(ConsumerConfig.MaxWaiting),
        ];
        return [.. first.Select(p => Rules.Single(r => r.Property == p)), .. Rules.Where(r => !first.Contains(r.Property))];
    }

    private static TimeSpan AckWaitOf(ConsumerConfig s)
    {
        if (s.Backoff is { Count: > 0 } backoff)
        {
            return backoff.First();
        }

        return s.AckPolicy == ConsumerConfigAckPolicy.None ? TimeSpan.Zero : s.AckWait == TimeSpan.Zero ? DefaultAckWait : s.AckWait;
    }

    private static string Str(string? s) => s ?? string.Empty;

    private static bool IsPull(ConsumerConfig c) => string.IsNullOrEmpty(c.DeliverSubject);

    /// <summary>A push-only field: a pull consumer refuses it on create and update alike (S-52); a push consumer keeps it,
    /// and an update may change it or not (<paramref name="update"/>, with <paramref name="updateError"/>).</summary>
    private static FieldRule<ConsumerConfig> PushOnly(string property, FieldUpdate update, Action<ConsumerConfig, ConsumerConfig, ConfigContext> copy, Func<ConsumerConfig, ConsumerConfig, bool> same, Func<ConsumerConfig, bool> set, int code, string description, string? updateError, string note)
        => new(property, update, copy, same, note)
        {
            AnyError = c => IsPull(c) && set(c) ? Errors.Api(code, description) : null,
            UpdateError = updateError is null ? null : (a, b) => same(a, b) ? null : Errors.Api(JetStreamErrorCodes.ConsumerCreate, updateError),
        };

    private static bool SameMap(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0))
        {
            return false;
        }

        return a is null || a.All(kv => b!.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }

    private static FieldRule<ConsumerConfig> Identity(string property, Action<ConsumerConfig, ConsumerConfig, ConfigContext> copy, string note)
        => new(property, FieldUpdate.Identity, copy, null, note);

    private static FieldRule<ConsumerConfig> Applied(string property, Action<ConsumerConfig, ConsumerConfig, ConfigContext> copy, Func<ConsumerConfig, ConsumerConfig, bool> same, string note = "")
        => new(property, FieldUpdate.Applied, copy, same, note);

    private static FieldRule<ConsumerConfig> Rejected(string property, Action<ConsumerConfig, ConsumerConfig, ConfigContext> copy, Func<ConsumerConfig, ConsumerConfig, bool> same, string error, string note = "")
        => new(property, FieldUpdate.Rejected, copy, same, note)
        {
            UpdateError = (a, b) => same(a, b) ? null : Errors.Api(JetStreamErrorCodes.ConsumerCreate, error),
        };

    /// <summary>A push-only field a pull consumer refuses on create and update alike, so it is never part of a stored
    /// configuration.</summary>
    private static FieldRule<ConsumerConfig> Refused(string property, string note, Func<ConsumerConfig, bool> set, int code, string description)
        => new(property, FieldUpdate.Refused, (_, _, _) => { }, null, note)
        {
            AnyError = c => set(c) ? Errors.Api(code, description) : null,
        };

    private static FieldRule<ConsumerConfig> Dropped(string property, Action<ConsumerConfig, ConsumerConfig, ConfigContext> copy, string note)
        => new(property, FieldUpdate.Dropped, copy, null, note);
}
