using System.Globalization;
using Goflux.InMemory.Internal;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
    private const string HdrExpectedStream = "Nats-Expected-Stream";
    private const string HdrMsgId = "Nats-Msg-Id";
    private const string HdrExpectedLastSubjectSeq = "Nats-Expected-Last-Subject-Sequence";
    private const string HdrExpectedLastSeq = "Nats-Expected-Last-Sequence";
    private const string HdrExpectedLastMsgId = "Nats-Expected-Last-Msg-Id";
    private const string HdrRollup = "Nats-Rollup";

    /// <summary>
    /// Publishes raw bytes to the stream that captures <paramref name="subject"/>, with the server's checks in the server's
    /// order (S-23): expected stream, dedupe, expected sequences and message id, rollup, message size, limits.
    /// </summary>
    /// <param name="subject">A literal subject.</param>
    /// <param name="data">The payload; copied.</param>
    /// <param name="headers">Headers, stored verbatim (S-22); copied. <c>Nats-*</c> headers act as on the server (case-sensitive, S-08).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The PubAck: stream, sequence, and whether it was a duplicate (original sequence, S-24).</returns>
    /// <exception cref="ArgumentException">The subject is not a valid publish subject.</exception>
    /// <exception cref="GofluxException">No stream captures the subject (stage Publish, no error code), or the stream rejected
    /// the message (stage Publish, the server's error code), or an injected fault.</exception>
    public ValueTask<PublishResult> PublishAsync(string subject, ReadOnlyMemory<byte> data, MessageHeaders? headers = null, CancellationToken cancellationToken = default)
    {
        Subjects.ValidatePublishSubject(subject);
        return new(Publish(subject, data.ToArray(), headers?.Clone()));
    }

    internal PublishResult Publish(string subject, byte[] data, MessageHeaders? headers)
    {
        var result = PublishLocked(subject, data, headers, out var ackLost);
        if (_pendingAdvisories.Count > 0)
        {
            FlushAdvisories();
        }

        if (ackLost)
        {
            throw new GofluxException(GofluxStage.Transport, $"publishing to '{subject}' has an unknown outcome: the acknowledgement was lost (injected fault); the message may have been stored", subject: subject)
            {
                PublishOutcome = PublishOutcome.Unknown,
            };
        }

        return result;
    }

    private PublishResult PublishLocked(string subject, byte[] data, MessageHeaders? headers, out bool ackLost)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            ApplyPublishFaults(subject);
            ackLost = ConsumeLostPublishAck();
            var headerBytes = MemStream.HeaderBytes(headers);
            var payload = data.LongLength + headerBytes;
            if (_options.MaxPayload > 0 && payload > _options.MaxPayload)
            {
                throw new GofluxException(GofluxStage.Publish, string.Create(CultureInfo.InvariantCulture, $"maximum payload exceeded: {payload} bytes over {_options.MaxPayload}"), subject: subject) { IsPermanent = true, PublishOutcome = PublishOutcome.NotSent };
            }

            var s = StreamFor(subject) ?? throw new GofluxException(GofluxStage.Publish, $"no stream captures subject '{subject}' (no responders)", subject: subject) { PublishOutcome = PublishOutcome.NoStream };
            var name = s.Config.Name!;
            var now = Now;

            try
            {
                return Store(s, subject, data, headers, headerBytes, now);
            }
            catch (GofluxException ex)
            {
                Record(new(InMemoryEventKind.Rejected, now, name, null, subject, 0, Reason: ex.Message));
                throw;
            }
        }
    }

    private PublishResult Store(MemStream s, string subject, byte[] data, MessageHeaders? headers, int hdrBytes, DateTimeOffset now)
    {
        var name = s.Config.Name!;
        if (s.Config.Sealed)
        {
            throw Errors.Publish(10109, "invalid operation on sealed stream", subject);
        }

        var expectedStream = headers?[HdrExpectedStream];
        if (expectedStream is not null && expectedStream != name)
        {
            throw Errors.Publish(10060, "expected stream does not match", subject);
        }

        var msgId = headers?[HdrMsgId];
        if (!string.IsNullOrEmpty(msgId) && s.TryGetDuplicate(msgId, now, out var original))
        {
            Record(new(InMemoryEventKind.Duplicate, now, name, null, subject, original, Reason: msgId));
            return new PublishResult(name, original, Duplicate: true);
        }

        if (headers?[HdrExpectedLastSubjectSeq] is { } elss)
        {
            var last = s.LastSeqOnSubject(subject);
            if (!ulong.TryParse(elss, NumberStyles.None, CultureInfo.InvariantCulture, out var want) || want != last)
            {
                throw Errors.Publish(10071, string.Create(CultureInfo.InvariantCulture, $"wrong last sequence: {last}"), subject);
            }
        }

        if (headers?[HdrExpectedLastSeq] is { } els)
        {
            if (!ulong.TryParse(els, NumberStyles.None, CultureInfo.InvariantCulture, out var want) || want != s.LastSeq)
            {
                throw Errors.Publish(10071, string.Create(CultureInfo.InvariantCulture, $"wrong last sequence: {s.LastSeq}"), subject);
            }
        }

        if (headers?[HdrExpectedLastMsgId] is { } elid && elid != (s.LastMsgId ?? string.Empty))
        {
            throw Errors.Publish(10070, $"wrong last msg ID: {s.LastMsgId}", subject);
        }

        var rollup = headers?[HdrRollup];
        if (rollup is not null && (!s.Config.AllowRollupHdrs || s.Config.DenyPurge))
        {
            throw Errors.Publish(10111, "rollup not permitted", subject);
        }

        if (s.Config.MaxMsgSize >= 0 && hdrBytes + data.LongLength > s.Config.MaxMsgSize)
        {
            throw new GofluxException(GofluxStage.Publish, "message size exceeds maximum allowed", null, subject, 10054) { IsPermanent = true, PublishOutcome = PublishOutcome.Rejected };
        }

        if (hdrBytes > ushort.MaxValue)
        {
            throw Errors.Publish(10097, "header size exceeds maximum allowed of 64k", subject);
        }

        if (s.Config.Discard == StreamConfigDiscard.New)
        {
            var perSubjectFull = s.Config.MaxMsgsPerSubject > 0 && s.CountOnSubject(subject) >= s.Config.MaxMsgsPerSubject;
            if (s.Config.DiscardNewPerSubject && perSubjectFull)
            {
                throw Errors.Publish(10077, "maximum messages per subject exceeded", subject);
            }

            if (s.Config.MaxMsgs > 0 && s.Messages >= s.Config.MaxMsgs && !perSubjectFull)
            {
                throw Errors.Publish(10077, "maximum messages exceeded", subject);
            }

            if (s.Config.MaxBytes > 0 && s.Bytes + hdrBytes + data.LongLength >= s.Config.MaxBytes)
            {
                throw Errors.Publish(10077, "maximum bytes exceeded", subject);
            }
        }

        if (s.Config.Retention == StreamConfigRetention.Interest && !HasInterest(s, subject))
        {
            // Accepted, sequenced, not stored (S-38).
            s.Skip(now);
            if (!string.IsNullOrEmpty(msgId))
            {
                s.RememberMsgId(msgId, s.LastSeq, now);
            }

            s.LastMsgId = msgId;
            Record(new(InMemoryEventKind.Removed, now, s.Config.Name!, null, subject, s.LastSeq, Reason: "no interest"));
            return new PublishResult(s.Config.Name, s.LastSeq, false);
        }

        var m = s.Store(subject, data, headers, hdrBytes, now, msgId);
        if (!string.IsNullOrEmpty(msgId))
        {
            s.RememberMsgId(msgId, m.Sequence, now);
        }

        s.LastMsgId = msgId;
        if (_options.RecordEvents)
        {
            Record(new(InMemoryEventKind.Published, now, s.Config.Name!, null, subject, m.Sequence));
        }

        foreach (var c in s.Consumers.Values)
        {
            if (c.Matches(subject))
            {
                c.NumPending++;
            }
        }

        if (rollup is not null)
        {
            Rollup(s, m, all: string.Equals(rollup, "all", StringComparison.Ordinal));
        }

        EnforceLimits(s, trimAll: false, subject);
        if (s.Config.MaxAge > TimeSpan.Zero && (s.AgeTimer is null || s.Messages == 1))
        {
            ScheduleAge(s);
        }

        foreach (var c in s.Consumers.Values)
        {
            if (c.Waiting.Count > 0)
            {
                Dispatch(c);
            }
        }

        return new PublishResult(s.Config.Name, m.Sequence, false);
    }

    private static bool HasInterest(MemStream s, string subject)
    {
        foreach (var c in s.Consumers.Values)
        {
            if (c.Matches(subject))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Removes the messages a rollup replaces: older ones on the subject, or all older ones (S-32).</summary>
    private void Rollup(MemStream s, MemMessage latest, bool all)
    {
        var older = new List<ulong>();
        foreach (var o in s.All())
        {
            if (o.Sequence < latest.Sequence && (all || o.Subject == latest.Subject))
            {
                older.Add(o.Sequence);
            }
        }

        foreach (var seq in older)
        {
            RemoveMessage(s, seq, "rollup");
        }
    }

    private MemStream? StreamFor(string subject)
    {
        foreach (var s in _streams.Values)
        {
            foreach (var p in s.Config.Subjects!)
            {
                if (Subjects.Matches(p, subject))
                {
                    return s;
                }
            }
        }

        return null;
    }
}
