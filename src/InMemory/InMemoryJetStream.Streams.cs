using System.Globalization;
using Goflux.InMemory.Internal;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
    /// <summary>
    /// Creates a stream, or returns the existing one when its effective configuration is identical (S-11).
    /// </summary>
    /// <param name="config">NATS.Net's stream configuration.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stream's info, with server defaults filled in (S-09).</returns>
    /// <exception cref="GofluxException">The configuration is invalid (10052), the name is taken with a different
    /// configuration (10058), or the subjects overlap another stream (10065).</exception>
    public ValueTask<StreamInfo> CreateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
        => new(UpsertStream(config, create: true, update: false));

    /// <summary>Updates an existing stream (S-12, S-13).</summary>
    /// <param name="config">The new configuration.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stream's info.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059), the configuration is invalid (10052) or the change is not allowed.</exception>
    public ValueTask<StreamInfo> UpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
        => new(UpsertStream(config, create: false, update: true));

    /// <summary>Creates the stream, or updates it when it exists with a different configuration.</summary>
    /// <param name="config">The configuration.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The stream's info.</returns>
    /// <exception cref="GofluxException">The configuration is invalid or the change is not allowed.</exception>
    public ValueTask<StreamInfo> CreateOrUpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
        => new(UpsertStream(config, create: true, update: true));

    /// <summary>Gets a stream's configuration and state.</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The info.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059).</exception>
    public ValueTask<StreamInfo> GetStreamInfoAsync(string stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var op = _ctx.Enter(); // reading the clock may fire a due timer: leaving re-arms it (see Scheduler)
        return new(_ctx.GetStream(stream).Info(_ctx.Now));
    }

    /// <summary>Deletes a stream and its consumers; their open pull requests end with an error (S-15).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A completed task.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059).</exception>
    public ValueTask DeleteStreamAsync(string stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var op = _ctx.Enter();
        var s = _ctx.GetStream(stream);
        s.Delete(ConsumerDeleted());
        s.Store.ReleasePayloads();
        _ctx.Streams.Remove(stream);
        _ctx.StreamsChanged();
        return default;
    }

    /// <summary>Removes every message; sequences continue, consumers move to the end (S-14).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The number of messages removed.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059), is sealed (10109) or denies purge (10110).</exception>
    public ValueTask<long> PurgeStreamAsync(string stream, CancellationToken cancellationToken = default)
        => PurgeStreamAsync(stream, new StreamPurgeRequest(), cancellationToken);

    /// <summary>
    /// Purges a stream as nats-server does (S-14): every message, only those on <see cref="StreamPurgeRequest.Filter"/>
    /// (wildcards allowed), all but the newest <see cref="StreamPurgeRequest.Keep"/> (of the filter), or those below
    /// <see cref="StreamPurgeRequest.Seq"/>. Consumers whose filter lies within the purge move past what was removed.
    /// </summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="request">NATS.Net's purge request.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The number of messages removed.</returns>
    /// <exception cref="GofluxException">The request sets both a sequence and keep (10003), the stream does not exist
    /// (10059), is sealed (10109) or denies purge (10110).</exception>
    public ValueTask<long> PurgeStreamAsync(string stream, StreamPurgeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Seq > 0 && request.Keep > 0)
        {
            throw Errors.Api(JetStreamErrorCodes.BadRequest, "bad request");
        }

        using var op = _ctx.Enter();
        var s = _ctx.GetStream(stream);
        if (s.Config.Sealed)
        {
            throw Errors.Api(JetStreamErrorCodes.StreamSealed, "invalid operation on sealed stream");
        }

        if (s.Config.DenyPurge)
        {
            throw Errors.Api(JetStreamErrorCodes.StreamPurgeNotPermitted, "stream purge not permitted");
        }

        return new((long)s.Purge(request.Filter, request.Seq, request.Keep));
    }

    /// <summary>Deletes one message (S-14); consumers that had it pending settle it (S-99).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="request">NATS.Net's delete request: the sequence, and whether to skip erasing (the engine keeps no
    /// bytes to erase, so both ways are the same).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A completed task.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059), is sealed (10109), denies delete (10057), or
    /// holds no message under the sequence (10043; with file storage, a sequence outside the stored range is 10057).</exception>
    public ValueTask DeleteMessageAsync(string stream, StreamMsgDeleteRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(request);
        using var op = _ctx.Enter();
        var s = _ctx.GetStream(stream);
        if (s.Config.Sealed)
        {
            throw Errors.Api(JetStreamErrorCodes.StreamSealed, "invalid operation on sealed stream");
        }

        if (s.Config.DenyDelete)
        {
            throw Errors.Api(JetStreamErrorCodes.MessageDeleteFailed, "message delete not permitted");
        }

        return s.DeleteMessage(request.Seq) switch
        {
            DeleteOutcome.Deleted => default,
            DeleteOutcome.NotFound => throw Errors.Api(JetStreamErrorCodes.MessageDeleteFailed, "no message found"),
            DeleteOutcome.EndOfStore => throw Errors.Api(JetStreamErrorCodes.MessageDeleteFailed, "stream store EOF"),
            _ => throw Errors.Api(JetStreamErrorCodes.SequenceNotFound, string.Create(CultureInfo.InvariantCulture, $"sequence {request.Seq} not found")),
        };
    }

    /// <summary>Gets a stored message by stream sequence.</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="sequence">The stream sequence.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The message.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059) or holds no such message (10037).</exception>
    public ValueTask<InMemoryStoredMessage> GetMessageAsync(string stream, ulong sequence, CancellationToken cancellationToken = default)
        => GetMessageAsync(stream, new StreamMsgGetRequest { Seq = sequence }, cancellationToken);

    /// <summary>
    /// Gets a stored message as nats-server's message get does: by sequence, the last message of a subject
    /// (<see cref="StreamMsgGetRequest.LastBySubj"/>, wildcards allowed), or the first message of a subject at or after
    /// a sequence (<see cref="StreamMsgGetRequest.NextBySubj"/>).
    /// </summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="request">NATS.Net's get request.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The message.</returns>
    /// <exception cref="GofluxException">The request sets both a sequence and a last subject, both last and next
    /// subjects, or neither a sequence nor a subject (10003); the stream does not exist (10059); no message matches
    /// (10037).</exception>
    public ValueTask<InMemoryStoredMessage> GetMessageAsync(string stream, StreamMsgGetRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(request);
        var last = request.LastBySubj;
        var next = request.NextBySubj;
        if ((request.Seq > 0 && !string.IsNullOrEmpty(last))
            || (request.Seq == 0 && string.IsNullOrEmpty(last) && string.IsNullOrEmpty(next))
            || (!string.IsNullOrEmpty(last) && !string.IsNullOrEmpty(next)))
        {
            throw Errors.Api(JetStreamErrorCodes.BadRequest, "bad request");
        }

        using var op = _ctx.Enter();
        var store = _ctx.GetStream(stream).Store;
        var m = !string.IsNullOrEmpty(next) ? store.LoadNext(next, request.Seq).Message
            : !string.IsNullOrEmpty(last) ? store.LoadLast(last)
            : store.Get(request.Seq);
        return m is not { } found
            ? throw Errors.Api(JetStreamErrorCodes.NoMessageFound, "no message found")
            : new(new InMemoryStoredMessage(found.Sequence, found.Subject, found.Data, found.Headers, found.Time));
    }

    /// <summary>Gets the messages currently stored in a stream, in sequence order.</summary>
    /// <param name="stream">The stream name.</param>
    /// <returns>The messages.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059).</exception>
    public IReadOnlyList<InMemoryStoredMessage> GetStoredMessages(string stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var op = _ctx.Enter();
        return [.. _ctx.GetStream(stream).All().Select(m => new InMemoryStoredMessage(m.Sequence, m.Subject, m.Data, m.Headers, m.Time))];
    }

    private StreamInfo UpsertStream(StreamConfig config, bool create, bool update)
    {
        ArgumentNullException.ThrowIfNull(config);
        StreamRules.ValidateName(config.Name, create);
        var c = StreamRules.Normalize(config);
        StreamRules.Validate(c);
        using var op = _ctx.Enter();
        _ctx.ThrowIfDisposed();
        var exists = _ctx.Streams.TryGetValue(c.Name!, out var s);
        if (!exists && !create)
        {
            throw Errors.StreamNotFound();
        }

        // A create with the configuration the stream has answers with the stream; an update applies it again, as the
        // server does, which expires what max age is due (S-13).
        if (exists && !update && StreamRules.Same(s!.Config, c))
        {
            return s.Info(_ctx.Now);
        }

        if (exists && !update)
        {
            throw Errors.Api(JetStreamErrorCodes.StreamNameInUse, "stream name already in use with a different configuration");
        }

        CheckOverlap(c, s);
        if (!exists)
        {
            StreamRules.CheckCreate(c);

            s = new Internal.StreamState(_ctx, c, _ctx.Now);
            _ctx.Streams[c.Name!] = s;
            _ctx.StreamsChanged();
            return s.Info(_ctx.Now);
        }

        StreamRules.CheckUpdate(s!.Config, c);
        s.Reconfigure(c);
        return s.Info(_ctx.Now);
    }

    private void CheckOverlap(StreamConfig c, Internal.StreamState? self)
    {
        foreach (var other in _ctx.Streams.Values)
        {
            if (other == self)
            {
                continue;
            }

            foreach (var a in c.Subjects!)
            {
                foreach (var b in other.Config.Subjects!)
                {
                    if (Subjects.Collide(a, b))
                    {
                        throw Errors.Api(JetStreamErrorCodes.StreamSubjectOverlap, "subjects overlap with an existing stream");
                    }
                }
            }
        }
    }
}
