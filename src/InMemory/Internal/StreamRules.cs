using System.Globalization;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>The stream configuration rules: server defaults, validation, sameness and what an update may change.</summary>
internal static class StreamRules
{
    private static readonly TimeSpan DefaultDuplicateWindow = TimeSpan.FromMinutes(2);

    public static StreamConfig Normalize(StreamConfig c)
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

    public static bool Same(StreamConfig a, StreamConfig b) =>
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

    public static void ValidateName(string? name)
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

    public static void Validate(StreamConfig c)
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

    public static void CheckUpdate(StreamConfig old, StreamConfig n)
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
}
