using System.Globalization;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>The stream configuration rules: server defaults, validation, sameness and what an update may change.</summary>
internal static class StreamRules
{
    /// <summary>The most replicas a stream configuration may ask for (the server's StreamMaxReplicas).</summary>
    private const int MaxReplicas = 5;

    /// <summary>The server's defaults filled in, unknown fields dropped: see <see cref="StreamConfigTable"/>.</summary>
    /// <exception cref="NotSupportedException">A feature the engine does not implement (mirrors, sources, transforms, republish).</exception>
    public static StreamConfig Normalize(StreamConfig c) => StreamConfigTable.Normalize(c);

    /// <summary>Sameness for an idempotent create (S-11): see <see cref="StreamConfigTable"/>.</summary>
    public static bool Same(StreamConfig a, StreamConfig b) => StreamConfigTable.Same(a, b);

    /// <summary>The create handler's check of the name (10128), made before any check of the configuration; an update
    /// does not make it (such a name finds no stream, 10059).</summary>
    public static void CheckPathSeparators(string? name)
    {
        if (name is not null && (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal)))
        {
            throw Errors.StreamNameContainsPathSeparators();
        }
    }

    /// <summary>The name checks: path separators on a create (see <see cref="CheckPathSeparators"/>), then what the
    /// server's configuration check refuses.</summary>
    public static void ValidateName(string? name, bool create)
    {
        if (create)
        {
            CheckPathSeparators(name);
        }

        if (string.IsNullOrEmpty(name) || name.AsSpan().IndexOfAny(".*>") >= 0 || name.Any(char.IsWhiteSpace))
        {
            throw Errors.InvalidStreamConfig("stream name is required and can not contain '.', '*', '>'");
        }

        if (name.Length > 255)
        {
            throw Errors.InvalidStreamConfig("stream name is too long, maximum allowed is 255");
        }
    }

    /// <summary>Refuses a stream configuration the server refuses, with the server's error code and description.</summary>
    /// <remarks>Long for the same reason as the consumer checks: the server's order of checks decides which error a
    /// configuration with several problems gets.</remarks>
    public static void Validate(StreamConfig c)
    {
        if (c.NumReplicas > MaxReplicas)
        {
            throw Errors.InvalidStreamConfig(string.Create(CultureInfo.InvariantCulture, $"maximum replicas is {MaxReplicas}"));
        }

        if (c.MaxAge > TimeSpan.Zero && c.MaxAge < TimeSpan.FromMilliseconds(100))
        {
            throw Errors.InvalidStreamConfig("max age needs to be >= 100ms");
        }

        if (c.DuplicateWindow < TimeSpan.Zero)
        {
            throw Errors.InvalidStreamConfig("duplicates window can not be negative");
        }

        if (c.MaxAge > TimeSpan.Zero && c.DuplicateWindow > c.MaxAge)
        {
            throw Errors.InvalidStreamConfig("duplicates window can not be larger then max age");
        }

        if (c.DuplicateWindow > TimeSpan.Zero && c.DuplicateWindow < TimeSpan.FromMilliseconds(100))
        {
            throw Errors.InvalidStreamConfig("duplicates window needs to be >= 100ms");
        }

        if (c.AllowRollupHdrs && c.DenyPurge)
        {
            throw Errors.InvalidStreamConfig("roll-ups require the purge permission");
        }

        if (c.DiscardNewPerSubject && c.Discard != StreamConfigDiscard.New)
        {
            throw Errors.InvalidStreamConfig("discard new per subject requires discard new policy to be set");
        }

        if (c.DiscardNewPerSubject && c.MaxMsgsPerSubject <= 0)
        {
            throw Errors.InvalidStreamConfig("discard new per subject requires max msgs per subject > 0");
        }

        ValidateSubjects(c);
    }

    /// <summary>
    /// The subject list (S-04): each entry valid, not repeated, not <c>&gt;</c> and not inside the JetStream or system
    /// API without no-ack (the server tests "is a subset of", so <c>*.API.&gt;</c> passes and <c>$JS.EVENT.&gt;</c> is
    /// allowed); then no two entries colliding, named in the server's order.
    /// </summary>
    private static void ValidateSubjects(StreamConfig c)
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

            if (s == ">")
            {
                if (!c.NoAck)
                {
                    throw Errors.InvalidStreamConfig("capturing all subjects requires no-ack to be true");
                }

                if (c.NumReplicas != 1)
                {
                    throw Errors.InvalidStreamConfig("capturing all subjects requires replicas of 1");
                }
            }

            if (!c.NoAck && (Subjects.IsSubsetOf(s, "$JS.>") || Subjects.IsSubsetOf(s, "$JSC.>")) && !Subjects.IsSubsetOf(s, "$JS.EVENT.>"))
            {
                throw Errors.InvalidStreamConfig("subjects that overlap with jetstream api require no-ack to be true");
            }

            if (!c.NoAck && Subjects.IsSubsetOf(s, "$SYS.>") && !Subjects.IsSubsetOf(s, "$SYS.ACCOUNT.>"))
            {
                throw Errors.InvalidStreamConfig("subjects that overlap with system api require no-ack to be true");
            }
        }

        // The server names the first entry that collides with any other, then the first entry it collides with.
        var list = c.Subjects!.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            for (var j = i + 1; j < list.Count; j++)
            {
                if (Subjects.Collide(list[i], list[j]))
                {
                    throw Errors.InvalidStreamConfig(string.Create(CultureInfo.InvariantCulture, $"subject \"{list[i]}\" overlaps with \"{list[j]}\""));
                }
            }
        }
    }

    /// <summary>What an update may not change (S-12): see <see cref="StreamConfigTable"/>.</summary>
    public static void CheckUpdate(StreamConfig old, StreamConfig n) => StreamConfigTable.CheckUpdate(old, n);

    /// <summary>What a new stream may not have (sealed, a template owner, mirror direct without a mirror, replicas).</summary>
    public static void CheckCreate(StreamConfig c) => StreamConfigTable.CheckCreate(c);
}
