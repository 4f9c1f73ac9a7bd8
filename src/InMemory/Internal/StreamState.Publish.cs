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
    /// sequences and message id, rollup, message size, discard-new limits; then stores it, applies limits and hands it to
    /// waiting pull requests.
    /// </summary>
    /// <remarks>Long because it is the server's check sequence, one check after another, kept in one place so the order
    /// is visible.</remarks>
    public PublishResult Accept(string subject, byte[] data, MessageHeaders? headers, int hdrBytes, DateTimeOffset now)
    {
        if (Config.Sealed)
        {
            throw Errors.Publish(JetStreamErrorCodes.StreamSealed, "invalid operation on sealed stream", subject);
        }

        if (headers is not null)
        {
            var expectedStream = headers[HdrExpectedStream];
            if (expectedStream is not null && expectedStream != Name)
            {
                throw Errors.Publish(JetStreamErrorCodes.ExpectedStreamMismatch, "expected stream does not match", subject);
            }
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
            if (rollup is not null && (!Config.AllowRollupHdrs || Config.DenyPurge))
            {
                throw Errors.Publish(JetStreamErrorCodes.RollupNotPermitted, "rollup not permitted", subject);
            }
        }

        if (Config.MaxMsgSize >= 0 && hdrBytes + data.LongLength > Config.MaxMsgSize)
        {
            throw new GofluxException(GofluxStage.Publish, "message size exceeds maximum allowed", null, subject, JetStreamErrorCodes.MessageExceedsMaximum) { IsPermanent = true, PublishOutcome = PublishOutcome.Rejected };
        }

        if (hdrBytes > ushort.MaxValue)
        {
            throw Errors.Publish(JetStreamErrorCodes.HeaderExceedsMaximum, "header size exceeds maximum allowed of 64k", subject);
        }

        CheckDiscardNew(subject, hdrBytes + data.LongLength);

        if (Config.Retention == StreamConfigRetention.Interest && !HasInterest(subject))
        {
            // Accepted, sequenced, not stored (S-38).
            _store.Skip(now);
            RememberMsgId(msgId, _store.LastSeq, now);
            _ctx.Record(new(InMemoryEventKind.Removed, now, Name, null, subject, _store.LastSeq, Reason: "no interest"));
            return new PublishResult(Name, _store.LastSeq, false);
        }

        var m = _store.Store(subject, data, headers, MessageSize(subject, data.Length, hdrBytes), now, msgId);
        RememberMsgId(msgId, m.Sequence, now);
        if (_ctx.RecordEvents)
        {
            _ctx.Record(new(InMemoryEventKind.Published, now, Name, null, subject, m.Sequence));
        }

        foreach (var c in _consumers.Values)
        {
            c.OnStored(m);
        }

        if (rollup is not null)
        {
            Rollup(m, all: string.Equals(rollup, "all", StringComparison.Ordinal));
        }

        EnforceLimits(trimAll: false, subject);
        if (Config.MaxAge > TimeSpan.Zero && (ScheduledDue == DateTimeOffset.MaxValue || _store.Messages == 1))
        {
            ScheduleAge();
        }

        foreach (var c in _consumers.Values)
        {
            c.Dispatch();
        }

        _ctx.Probe?.Invoke("publish");
        return new PublishResult(Name, m.Sequence, false);
    }

    private void CheckExpectations(string subject, MessageHeaders headers)
    {
        if (headers[HdrExpectedLastSubjectSeq] is { } elss)
        {
            var last = _store.LastSeqOnSubject(subject);
            if (!ulong.TryParse(elss, NumberStyles.None, CultureInfo.InvariantCulture, out var want) || want != last)
            {
                throw Errors.Publish(JetStreamErrorCodes.WrongLastSequence, string.Create(CultureInfo.InvariantCulture, $"wrong last sequence: {last}"), subject);
            }
        }

        if (headers[HdrExpectedLastSeq] is { } els)
        {
            if (!ulong.TryParse(els, NumberStyles.None, CultureInfo.InvariantCulture, out var want) || want != _store.LastSeq)
            {
                throw Errors.Publish(JetStreamErrorCodes.WrongLastSequence, string.Create(CultureInfo.InvariantCulture, $"wrong last sequence: {_store.LastSeq}"), subject);
            }
        }

        if (headers[HdrExpectedLastMsgId] is { } elid && elid != (LastMsgId ?? string.Empty))
        {
            throw Errors.Publish(JetStreamErrorCodes.WrongLastMsgId, $"wrong last msg ID: {LastMsgId}", subject);
        }
    }

    private void CheckDiscardNew(string subject, long size)
    {
        if (Config.Discard != StreamConfigDiscard.New)
        {
            return;
        }

        var perSubjectFull = Config.MaxMsgsPerSubject > 0 && _store.CountOnSubject(subject) >= Config.MaxMsgsPerSubject;
        if (Config.DiscardNewPerSubject && perSubjectFull)
        {
            throw Errors.Publish(JetStreamErrorCodes.StreamStoreFailed, "maximum messages per subject exceeded", subject);
        }

        if (Config.MaxMsgs > 0 && _store.Messages >= Config.MaxMsgs && !perSubjectFull)
        {
            throw Errors.Publish(JetStreamErrorCodes.StreamStoreFailed, "maximum messages exceeded", subject);
        }

        if (Config.MaxBytes > 0 && _store.Bytes + size >= Config.MaxBytes)
        {
            throw Errors.Publish(JetStreamErrorCodes.StreamStoreFailed, "maximum bytes exceeded", subject);
        }
    }

    private long MessageSize(string subject, int payload, int hdr)
    {
        return Config.Storage == StreamConfigStorage.Memory
            ? subject.Length + hdr + payload + 16
            : hdr == 0 ? 30 + subject.Length + payload : 34 + subject.Length + hdr + payload;
    }

    private bool HasInterest(string subject)
    {
        foreach (var c in _consumers.Values)
        {
            if (c.Matches(subject))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Removes the messages a rollup replaces: older ones on the subject, or all older ones (S-32).</summary>
    private void Rollup(StoredMessage latest, bool all)
    {
        var older = new List<ulong>();
        foreach (var o in _store.All())
        {
            if (o.Sequence < latest.Sequence && (all || o.Subject == latest.Subject))
            {
                older.Add(o.Sequence);
            }
        }

        foreach (var seq in older)
        {
            Remove(seq, "rollup");
        }
    }

    /// <summary>Applies max_msgs, max_bytes, max_msgs_per_subject and max_age, oldest first (S-13, S-33 to S-36).</summary>
    private void EnforceLimits(bool trimAll, string? subject, bool perSubjectOnUpdate = false)
    {
        var c = Config;
        if (c.MaxMsgsPerSubject > 0)
        {
            if (subject is not null)
            {
                while (_store.CountOnSubject(subject) > c.MaxMsgsPerSubject)
                {
                    Remove(_store.OldestOnSubject(subject), "max_msgs_per_subject");
                }
            }
            else if (trimAll && perSubjectOnUpdate)
            {
                foreach (var (subj, _) in _store.LastPerSubject().ToList())
                {
                    while (_store.CountOnSubject(subj) > c.MaxMsgsPerSubject)
                    {
                        Remove(_store.OldestOnSubject(subj), "max_msgs_per_subject");
                    }
                }
            }
        }

        // Under discard "new" the stream never trims for max_msgs or max_bytes, not even when an update lowers them (S-13).
        var discardOld = c.Discard != StreamConfigDiscard.New;
        while (discardOld && c.MaxMsgs > 0 && _store.Messages > c.MaxMsgs)
        {
            Remove(_store.FirstSeq, "max_msgs");
        }

        while (discardOld && c.MaxBytes > 0 && _store.Bytes > c.MaxBytes && _store.Messages > 0)
        {
            Remove(_store.FirstSeq, "max_bytes");
        }

        if (trimAll)
        {
            ExpireAged(_ctx.Now);
        }
    }
}
