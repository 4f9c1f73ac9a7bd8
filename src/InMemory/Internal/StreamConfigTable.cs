using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>
/// Every property of NATS.Net's <see cref="StreamConfig"/>, one row each: the server's default (S-09), sameness for an
/// idempotent create (S-11), and what an update changing it does (S-12), as measured on nats-server 2.10.27 (the contract
/// scenarios <c>S12_StreamUpdate_AppliesOrRejectsEachField</c> ask the server). A test fails when NATS.Net gains a property
/// without a row.
/// </summary>
internal static class StreamConfigTable
{
    private static readonly TimeSpan DefaultDuplicateWindow = TimeSpan.FromMinutes(2);

    /// <summary>Gets the rows, one per property, in the order their update rules are checked.</summary>
    public static IReadOnlyList<FieldRule<StreamConfig>> Rules { get; } =
    [
        new("Name", FieldUpdate.Identity, (s, n, _) => n.Name = s.Name, (a, b) => a.Name == b.Name, "the stream name (S-06); it selects the stream"),
        Applied("Description", (s, n, _) => n.Description = s.Description, (a, b) => Str(a.Description) == Str(b.Description)),
        Applied("Subjects", (s, n, _) => n.Subjects = s.Subjects is { Count: > 0 } f ? [.. f] : [s.Name!], (a, b) => a.Subjects!.SequenceEqual(b.Subjects!), "default [name] (S-04); validated, and checked for overlap with other streams (JetStreamErrorCodes.StreamSubjectOverlap, S-05)"),
        Restricted("Retention", (s, n, _) => n.Retention = s.Retention, (a, b) => a.Retention == b.Retention, (a, b) =>
            a.Retention != b.Retention && (a.Retention == StreamConfigRetention.Workqueue || b.Retention == StreamConfigRetention.Workqueue)
                ? Errors.InvalidStreamConfig("stream configuration update can not change retention policy to/from workqueue")
                : null, "limits and interest may change into each other; to or from workqueue is refused (JetStreamErrorCodes.StreamInvalidConfig, S-12)"),
        Restricted("MaxConsumers", (s, n, _) => n.MaxConsumers = s.MaxConsumers == 0 ? -1 : s.MaxConsumers, (a, b) => a.MaxConsumers == b.MaxConsumers, (a, b) =>
            a.MaxConsumers != b.MaxConsumers ? Errors.InvalidStreamConfig("stream configuration update can not change MaxConsumers") : null, "default -1; can not be updated (JetStreamErrorCodes.StreamInvalidConfig, S-12)"),
        Applied("MaxMsgs", (s, n, _) => n.MaxMsgs = s.MaxMsgs == 0 ? -1 : s.MaxMsgs, (a, b) => a.MaxMsgs == b.MaxMsgs, "default -1; lowering it trims at once under discard old (S-13)"),
        Applied("MaxMsgsPerSubject", (s, n, _) => n.MaxMsgsPerSubject = s.MaxMsgsPerSubject == 0 ? -1 : s.MaxMsgsPerSubject, (a, b) => a.MaxMsgsPerSubject == b.MaxMsgsPerSubject, "default -1; lowering a positive limit trims at once (S-13)"),
        Applied("MaxBytes", (s, n, _) => n.MaxBytes = s.MaxBytes == 0 ? -1 : s.MaxBytes, (a, b) => a.MaxBytes == b.MaxBytes, "default -1; lowering it trims at once under discard old (S-13)"),
        Applied("MaxAge", (s, n, _) => n.MaxAge = s.MaxAge, (a, b) => a.MaxAge == b.MaxAge, "0 is unlimited; lowering it expires at once (S-13)"),
        Applied("MaxMsgSize", (s, n, _) => n.MaxMsgSize = s.MaxMsgSize == 0 ? -1 : s.MaxMsgSize, (a, b) => a.MaxMsgSize == b.MaxMsgSize, "default -1 (S-30)"),
        Restricted("Storage", (s, n, _) => n.Storage = s.Storage, (a, b) => a.Storage == b.Storage, (a, b) =>
            a.Storage != b.Storage ? Errors.InvalidStreamConfig("stream configuration update can not change storage type") : null, "default file; can not be updated (JetStreamErrorCodes.StreamInvalidConfig, S-12); both kinds live in memory in the engine"),
        new("Sealed", FieldUpdate.Rejected, (s, n, _) => n.Sealed = s.Sealed, (a, b) => a.Sealed == b.Sealed, "can not be created sealed (JetStreamErrorCodes.StreamInvalidConfig); sealing by update also sets deny_delete, deny_purge and discard new (observed on 2.10.27); can not be unsealed (JetStreamErrorCodes.StreamInvalidConfig); publish and purge then fail with JetStreamErrorCodes.StreamSealed")
        {
            CreateError = c => c.Sealed ? Errors.InvalidStreamConfig("stream configuration for create can not be sealed") : null,
            UpdateError = (a, b) => a.Sealed && !b.Sealed ? Errors.InvalidStreamConfig("stream configuration update can not unseal a sealed stream") : null,
        },
        Applied("Compression", (s, n, _) => n.Compression = s.Compression, (a, b) => a.Compression == b.Compression, "shown; a storage detail without effect in memory"),
        new("NumReplicas", FieldUpdate.Applied, (s, n, _) => n.NumReplicas = s.NumReplicas == 0 ? 1 : s.NumReplicas, (a, b) => a.NumReplicas == b.NumReplicas, "default 1; a single server refuses to create with more (JetStreamErrorCodes.ReplicasNotSupported) but accepts an update to more and shows it (observed on 2.10.27)")
        {
            CreateError = c => c.NumReplicas > 1 ? Errors.ReplicasNotSupported() : null,
        },
        Applied("NoAck", (s, n, _) => n.NoAck = s.NoAck, (a, b) => a.NoAck == b.NoAck, "shown; the engine's publish always answers (S-21 is not observable through the bindings)"),
        new("TemplateOwner", FieldUpdate.Rejected, (s, n, _) => n.TemplateOwner = s.TemplateOwner, (a, b) => Str(a.TemplateOwner) == Str(b.TemplateOwner), "stream templates are gone: JetStreamErrorCodes.StreamNotOwnedByTemplate on create, JetStreamErrorCodes.StreamInvalidConfig on update (observed on 2.10.27)")
        {
            CreateError = c => string.IsNullOrEmpty(c.TemplateOwner) ? null : Errors.Api(JetStreamErrorCodes.StreamNotOwnedByTemplate, "stream not owned by template"),
            UpdateError = (_, b) => string.IsNullOrEmpty(b.TemplateOwner) ? null : Errors.InvalidStreamConfig("stream configuration update can not be owned by a template"),
        },
        Applied("Discard", (s, n, _) => n.Discard = s.Sealed ? StreamConfigDiscard.New : s.Discard, (a, b) => a.Discard == b.Discard, "default old (S-33 to S-37); new once sealed"),
        Applied("DuplicateWindow", (s, n, _) => n.DuplicateWindow = DuplicateWindowOf(s), (a, b) => a.DuplicateWindow == b.DuplicateWindow, "default 2 min, or max_age when that is smaller (S-09)"),
        Applied("Placement", (s, n, _) => n.Placement = s.Placement, (a, b) => SamePlacement(a.Placement, b.Placement), "shown; a single server has nowhere else to place a stream"),
        Applied("AllowRollupHdrs", (s, n, _) => n.AllowRollupHdrs = s.AllowRollupHdrs, (a, b) => a.AllowRollupHdrs == b.AllowRollupHdrs, "refused with deny_purge (JetStreamErrorCodes.StreamInvalidConfig, S-32)"),
        Applied("AllowDirect", (s, n, _) => n.AllowDirect = s.AllowDirect, (a, b) => a.AllowDirect == b.AllowDirect, "shown; direct gets are not part of the engine's API"),
        new("MirrorDirect", FieldUpdate.Applied, (s, n, _) => n.MirrorDirect = s.MirrorDirect, (a, b) => a.MirrorDirect == b.MirrorDirect, "refused at create without a mirror (JetStreamErrorCodes.StreamInvalidConfig), but an update may set it (observed on 2.10.27)")
        {
            CreateError = c => c.MirrorDirect ? Errors.InvalidStreamConfig("stream has no mirror but does have mirror direct") : null,
        },
        Applied("DiscardNewPerSubject", (s, n, _) => n.DiscardNewPerSubject = s.DiscardNewPerSubject, (a, b) => a.DiscardNewPerSubject == b.DiscardNewPerSubject, "needs discard new and a per-subject limit (JetStreamErrorCodes.StreamInvalidConfig, S-37)"),
        Applied("Metadata", (s, n, _) => n.Metadata = s.Metadata is { Count: > 0 } m ? new Dictionary<string, string>(m) : null, (a, b) => SameMap(a.Metadata, b.Metadata)),
        Restricted("DenyDelete", (s, n, _) => n.DenyDelete = s.DenyDelete || s.Sealed, (a, b) => a.DenyDelete == b.DenyDelete, (a, b) =>
            a.DenyDelete && !b.DenyDelete ? Errors.InvalidStreamConfig("stream configuration update can not cancel deny message deletes") : null, "may be set, never cleared (JetStreamErrorCodes.StreamInvalidConfig, S-12)"),
        Restricted("DenyPurge", (s, n, _) => n.DenyPurge = s.DenyPurge || s.Sealed, (a, b) => a.DenyPurge == b.DenyPurge, (a, b) =>
            a.DenyPurge && !b.DenyPurge ? Errors.InvalidStreamConfig("stream configuration update can not cancel deny purge") : null, "may be set, never cleared (JetStreamErrorCodes.StreamInvalidConfig, S-12)"),
        NotSupported("SubjectTransform", c => c.SubjectTransform is not null, "subject transforms"),
        NotSupported("Mirror", c => c.Mirror is not null, "mirrors"),
        NotSupported("Sources", c => c.Sources is { Count: > 0 }, "sourced streams"),
        NotSupported("Republish", c => c.Republish is not null, "republishing"),
        Dropped("AllowMsgTTL", "a 2.11 field (per-message TTL): 2.10.27 drops it (observed)"),
        Dropped("SubjectDeleteMarkerTTL", "a 2.11 field: 2.10.27 drops it (observed)"),
        Dropped("AllowMsgCounter", "a 2.12 field: 2.10.27 drops it (observed)"),
        Dropped("AllowMsgSchedules", "a 2.12 field: 2.10.27 drops it (observed)"),
        Dropped("AllowAtomicPublish", "a 2.12 field: 2.10.27 drops it (observed)"),
        Dropped("AllowBatchPublish", "a 2.12 field: 2.10.27 drops it (observed)"),
        Dropped("PersistMode", "a 2.12 field: 2.10.27 drops it (observed)"),
    ];

    /// <summary>The submitted configuration with the server's defaults filled in and unknown fields dropped.</summary>
    /// <param name="submitted">What the client sent.</param>
    /// <returns>A new configuration; the submitted one is not changed.</returns>
    /// <exception cref="NotSupportedException">The configuration asks for a feature the engine does not implement.</exception>
    public static StreamConfig Normalize(StreamConfig submitted)
    {
        foreach (var rule in Rules)
        {
            if (rule.AnyError?.Invoke(submitted) is { } error)
            {
                throw error;
            }
        }

        var normalized = new StreamConfig();
        var context = new ConfigContext(submitted.Name ?? string.Empty, Durable: true);
        foreach (var rule in Rules)
        {
            rule.Copy(submitted, normalized, context);
        }

        return normalized;
    }

    /// <summary>A copy of a normalised configuration that shares nothing with it, for a caller to keep or change: what
    /// a server's answer gives (it is decoded afresh each time).</summary>
    /// <param name="c">The stream's configuration.</param>
    /// <returns>The copy.</returns>
    public static StreamConfig Copy(StreamConfig c)
    {
        var copy = new StreamConfig();
        var context = new ConfigContext(c.Name ?? string.Empty, Durable: true);
        foreach (var rule in Rules)
        {
            rule.Copy(c, copy, context);
        }

        return copy;
    }

    /// <summary>Whether two normalised configurations are the same on every compared field (S-11).</summary>
    /// <param name="a">One configuration.</param>
    /// <param name="b">The other.</param>
    /// <returns><see langword="true"/> when a create of an existing stream returns it unchanged.</returns>
    public static bool Same(StreamConfig a, StreamConfig b) => Rules.All(r => r.Same is not { } same || same(a, b));

    /// <summary>Throws the server's error for a field a new stream may not have.</summary>
    /// <param name="created">The normalised configuration of the stream to create.</param>
    /// <exception cref="GofluxException">The server's error.</exception>
    public static void CheckCreate(StreamConfig created)
    {
        foreach (var rule in Rules)
        {
            if (rule.CreateError?.Invoke(created) is { } error)
            {
                throw error;
            }
        }
    }

    /// <summary>Throws the server's error for the first field an update may not change that way (S-12).</summary>
    /// <param name="existing">The stream's normalised configuration.</param>
    /// <param name="updated">The normalised update.</param>
    /// <exception cref="GofluxException">The server's error.</exception>
    public static void CheckUpdate(StreamConfig existing, StreamConfig updated)
    {
        foreach (var rule in Rules)
        {
            if (rule.UpdateError?.Invoke(existing, updated) is { } error)
            {
                throw error;
            }
        }
    }

    private static TimeSpan DuplicateWindowOf(StreamConfig s)
        => s.DuplicateWindow != TimeSpan.Zero
            ? s.DuplicateWindow
            : s.MaxAge > TimeSpan.Zero && s.MaxAge < DefaultDuplicateWindow ? s.MaxAge : DefaultDuplicateWindow;

    private static string Str(string? s) => s ?? string.Empty;

    private static bool SameMap(IDictionary<string, string>? a, IDictionary<string, string>? b)
        => (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || a.All(kv => b!.TryGetValue(kv.Key, out var v) && v == kv.Value));

    private static bool SamePlacement(Placement? a, Placement? b)
        => Str(a?.Cluster) == Str(b?.Cluster) && (a?.Tags ?? []).SequenceEqual(b?.Tags ?? []);

    private static FieldRule<StreamConfig> Applied(string property, Action<StreamConfig, StreamConfig, ConfigContext> copy, Func<StreamConfig, StreamConfig, bool> same, string note = "")
        => new(property, FieldUpdate.Applied, copy, same, note);

    private static FieldRule<StreamConfig> Restricted(string property, Action<StreamConfig, StreamConfig, ConfigContext> copy, Func<StreamConfig, StreamConfig, bool> same, Func<StreamConfig, StreamConfig, GofluxException?> updateError, string note)
        => new(property, FieldUpdate.Rejected, copy, same, note) { UpdateError = updateError };

    private static FieldRule<StreamConfig> NotSupported(string property, Func<StreamConfig, bool> set, string feature)
        => new(property, FieldUpdate.NotSupported, (_, _, _) => { }, null, $"{feature} are not implemented by the engine: a configuration with one throws NotSupportedException")
        {
            AnyError = c => set(c) ? new NotSupportedException($"The in-memory engine does not implement {feature} ({property}); leave it unset or test against a real server.") : null,
        };

    private static FieldRule<StreamConfig> Dropped(string property, string note)
        => new(property, FieldUpdate.Dropped, (_, _, _) => { }, null, note);
}
