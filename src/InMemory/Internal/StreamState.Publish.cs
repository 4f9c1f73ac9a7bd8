using System.Globalization;
using System.Text;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

internal sealed partial class StreamState
{
    private const string HdrExpectedStream = "Nats-Expected-Stream";
    private const string HdrMsgId = "Nats-Msg-Id";
    private const string HdrExpectedLastSubjectSeq = "Nats-Expected-Last-Subject-Sequence";
    private const string HdrExpectedLastSeq = "Nats-Expected-Last-Sequence";
    private const string HdrExpectedLastMsgId = "Nats-Expected-Last-Msg-Id";
    private const string HdrRollup = "Nats-Rollup";

    /// <summary>The server never runs its duplicate-window purge sooner than this after the last one.</summary>
    private static readonly TimeSpan MinDedupePurge = TimeSpan.FromMilliseconds(50);

    /// <summary>The wire size of <paramref name="headers"/>, as the server counts it.</summary>
    public static int HeaderBytes(MessageHeaders? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return 0;
        }

        var n = 12; // "NATS/1.0\r\n" and the final "\r\n"
        foreach (var (name, values) in headers)
        {
            foreach (var v in values)
            {
                n += Encoding.UTF8.GetByteCount(name) + 2 + Encoding.UTF8.GetByteCount(v) + 2;
            }
        }

        return n;
    }

    /// <summary>
    /// Checks and stores one published message, in the server's order (S-23): sealed, expected stream, dedupe, expected
    /// last subject sequence, expected last sequence, expected last message id, rollup, message size, header size;
    /// then an interest stream without interest only uses up the sequence (S-38); otherwise the store applies the
    /// discard-new limits, stores, and applies the other limits; a rollup purges; matching consumers are told.
    /// </summary>
    /// <remarks>Long because it is the server's check sequence, one check after another, kept in one place so the order
    /// is visible.</remarks>
    public PublishResult Accept(string subject, ReadOnlySpan<byte> data, MessageHeaders? headers, int hdrBytes, DateTimeOffset now)
    {
        if (Config.Sealed)
        {
            throw Errors.Publish(JetStreamErrorCodes.StreamSealed, "invalid operation on sealed stream", subject);
        }

        if (headers?[HdrExpectedStream] is { Length: > 0 } expectedStream && expectedStream != Name)
        {
            throw Errors.Publish(JetStreamErrorCodes.ExpectedStreamMismatch, "expected stream does not match", subject);
        }

        // An empty or whitespace-only Nats-Msg-Id is no id: the server stores every copy (S-24, measured on 2.10.27).
        var msgId = headers?[HdrMsgId] is { } id && !string.IsNullOrWhiteSpace(id) ? id : null;
        if (msgId is not null && TryGetDuplicate(msgId, now, out var original))
        {
            _ctx.Record(new(InMemoryEventKind.Duplicate, now, Name, null, subject, original, Reason: msgId));
            return new PublishResult(Name, original, Duplicate: true);
        }

        string? rollup = null;
        if (headers is not null)
        {
            CheckExpectations(subject, headers);
            rollup = headers[HdrRollup];
            if (rollup is not null)
            {
                if (!Config.AllowRollupHdrs || Config.DenyPurge)
                {
                    throw Errors.Publish(JetStreamErrorCodes.RollupNotPermitted, "rollup not permitted", subject);
                }

                if (rollup != "sub" && rollup != "all")
                {
                    // The server stores nothing and sends no acknowledgement: the publisher cannot tell what happened.
                    throw new GofluxException(GofluxStage.Publish, $"publishing to '{subject}' got no acknowledgement: the server ignores a message whose Nats-Rollup value is not \"sub\" or \"all\" (was \"{rollup}\")", null, subject)
                    {
                        PublishOutcome = PublishOutcome.Unknown,
                    };
                }
            }
        }

        if (Config.MaxMsgSize >= 0 && hdrBytes + (long)data.Length > Config.MaxMsgSize)
        {
            throw new GofluxException(GofluxStage.Publish, "message size exceeds maximum allowed", null, subject, JetStreamErrorCodes.MessageExceedsMaximum) { IsPermanent = true, PublishOutcome = PublishOutcome.Rejected };
        }

        if (hdrBytes > ushort.MaxValue)
        {
            throw Errors.Publish(JetStreamErrorCodes.HeaderExceedsMaximum, "header size exceeds maximum allowed of 64k", subject);
        }

        if (Config.Retention == StreamConfigRetention.Interest && !HasInterest(subject))
        {
            // Accepted, sequenced, not stored (S-38).
            var skipped = Store.Skip(now);
            LastMsgId = msgId ?? string.Empty;
            RememberMsgId(msgId, skipped, DateTimeOffset.UnixEpoch, now); // the server keeps no time for it
            _ctx.Record(new(InMemoryEventKind.Removed, now, Name, null, subject, skipped, Reason: "no interest"));
            return new PublishResult(Name, skipped, false);
        }

        var size = MessageSize(subject, data.Length, hdrBytes);
        if (Store.CheckDiscardNew(subject, size) is { } full)
        {
            throw Errors.Publish(JetStreamErrorCodes.StreamStoreFailed, full, subject);
        }

        LastMsgId = msgId ?? string.Empty;
        var m = Store.Store(subject, data, headers, size, now);
        RememberMsgId(msgId, m.Sequence, now, now);
        if (_ctx.RecordEvents)
        {
            _ctx.Record(new(InMemoryEventKind.Published, now, Name, null, subject, m.Sequence));
        }

        if (rollup is not null)
        {
            // S-32: the new message replaces the older ones on its subject, or all older ones.
            Purge(rollup == "sub" ? subject : null, 0, 1);
        }

        if (Config.MaxAge > TimeSpan.Zero && ScheduledDue == DateTimeOffset.MaxValue)
        {
            ScheduleAge();
        }

        var signaled = Signaled(subject);
        foreach (var c in signaled)
        {
            c.OnStored(m.Sequence);
        }

        Release(signaled);

        _ctx.Probe?.Invoke("publish");
        return new PublishResult(Name, m.Sequence, false);
    }

    private static bool TryParseSequence(string text, out ulong value)
        => ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private void CheckExpectations(string subject, MessageHeaders headers)
    {
        if (headers[HdrExpectedLastSubjectSeq] is { Length: > 0 } elss)
        {
            var last = Store.LoadLast(subject)?.Sequence ?? 0;
            if (!TryParseSequence(elss, out var want) || want != last)
            {
                throw Errors.Publish(JetStreamErrorCodes.WrongLastSequence, string.Create(CultureInfo.InvariantCulture, $"wrong last sequence: {last}"), subject);
            }
        }

        if (headers[HdrExpectedLastSeq] is { Length: > 0 } els)
        {
            if (!TryParseSequence(els, out var want) || want != Store.LastSeq)
            {
                throw Errors.Publish(JetStreamErrorCodes.WrongLastSequence, string.Create(CultureInfo.InvariantCulture, $"wrong last sequence: {Store.LastSeq}"), subject);
            }
        }

        if (headers[HdrExpectedLastMsgId] is { Length: > 0 } elid && elid != LastMsgId)
        {
            throw Errors.Publish(JetStreamErrorCodes.WrongLastMsgId, $"wrong last msg ID: {LastMsgId}", subject);
        }
    }

    private long MessageSize(string subject, int payload, int hdr)
    {
        return Config.Storage == StreamConfigStorage.Memory
            ? subject.Length + hdr + payload + 16
            : hdr == 0 ? 30 + subject.Length + payload : 34 + subject.Length + hdr + payload;
    }

    private bool TryGetDuplicate(string msgId, DateTimeOffset now, out ulong seq)
    {
        RunDedupePurges(now);
        return _dedupe.TryGetValue(msgId, out seq);
    }

    /// <summary>
    /// Remembers a message id for the duplicate window (S-25). As on the server, an id is forgotten only when the
    /// window's purge runs: first one window after the first id, then when the oldest remembered id runs out (at least
    /// 50 ms later), walking ids in the order they came and stopping at the first still in its window. An id of a message
    /// an interest stream did not store carries no time and goes at the next purge.
    /// </summary>
    private void RememberMsgId(string? msgId, ulong seq, DateTimeOffset storedAt, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(msgId) || Config.DuplicateWindow <= TimeSpan.Zero)
        {
            return;
        }

        _dedupe[msgId] = seq;
        _dedupeOrder.Enqueue((msgId, storedAt));
        _dedupeTimer ??= EngineContext.Add(now, Config.DuplicateWindow);
    }

    private void RunDedupePurges(DateTimeOffset now)
    {
        while (_dedupeTimer is { } due && due <= now)
        {
            var window = Config.DuplicateWindow;
            var next = window;
            while (_dedupeOrder.TryPeek(out var e))
            {
                if (due - e.Stored >= window)
                {
                    _dedupeOrder.Dequeue();
                    _dedupe.Remove(e.Id);
                    continue;
                }

                next = window - (due - e.Stored);
                break;
            }

            if (_dedupe.Count > 0)
            {
                _dedupeTimer = EngineContext.Add(due, next < MinDedupePurge ? MinDedupePurge : next);
            }
            else
            {
                _dedupeTimer = null;
                _dedupeOrder.Clear();
            }
        }
    }
}
