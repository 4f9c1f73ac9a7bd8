using System.Globalization;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>The stream configuration rules: server defaults, validation, sameness and what an update may change.</summary>
internal static class StreamRules
{
    /// <summary>The server's defaults filled in, unknown fields dropped: see <see cref="StreamConfigTable"/>.</summary>
    /// <exception cref="NotSupportedException">A feature the engine does not implement (mirrors, sources, transforms, republish).</exception>
    public static StreamConfig Normalize(StreamConfig c) => StreamConfigTable.Normalize(c);

    /// <summary>Sameness for an idempotent create (S-11): see <see cref="StreamConfigTable"/>.</summary>
    public static bool Same(StreamConfig a, StreamConfig b) => StreamConfigTable.Same(a, b);

    public static void ValidateName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw Errors.InvalidStreamConfig("stream name is required and can not contain '.', '*', '>'");
        }

        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            throw Errors.Api(JetStreamErrorCodes.StreamNameContainsPathSeparators, "stream name can not contain path separators");
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

    /// <summary>Refuses a stream configuration the server refuses, with the server's error code.</summary>
    /// <remarks>Long for the same reason as the consumer checks: the server's order of checks decides which error a
    /// configuration with several problems gets.</remarks>
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

    /// <summary>What an update may not change (S-12): see <see cref="StreamConfigTable"/>.</summary>
    public static void CheckUpdate(StreamConfig old, StreamConfig n) => StreamConfigTable.CheckUpdate(old, n);

    /// <summary>What a new stream may not have (sealed, a template owner, mirror direct without a mirror, replicas).</summary>
    public static void CheckCreate(StreamConfig c) => StreamConfigTable.CheckCreate(c);
}
