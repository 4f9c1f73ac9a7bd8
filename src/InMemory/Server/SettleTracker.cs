namespace Goflux.InMemory.Server;

/// <summary>
/// What in-process clients owe the engine an answer for, so that <see cref="InMemoryJetStream.WaitForIdleAsync"/> (and
/// so <see cref="InMemoryJetStream.AdvanceAsync"/>) waits for their code as it waits for goflux's own subscribers.
/// </summary>
/// <remarks>
/// <para>Counted, each until its answer arrives:</para>
/// <list type="bullet">
/// <item>a delivery with an ack policy: until the client acks, naks or terms it (an ack under <c>AckAll</c> answers
/// every earlier delivery of the consumer too). <c>+WPI</c> is no answer: the handler is still at work.</item>
/// <item>a delivery of an <c>AckNone</c> consumer: until NATS.Net has read it off the connection.</item>
/// <item>a pull request that ended (its batch filled, it expired with a 408, or a no-wait request was done): until
/// the subscription sends its next pull request, as NATS.Net's consume loop does, or goes away, as a fetch does.</item>
/// </list>
/// <para>A connection that closes answers everything it owed, and so does a subscription that goes away while its pull
/// request is still open (a consume loop that stopped). What the client has read and then stays silent about
/// for <see cref="InMemoryJetStreamOptions.UnsettledGrace"/> of wall-clock time stops counting (code that leaves a
/// message unsettled on purpose), as does everything it has read when <see cref="InMemoryJetStream.LeaveUnsettled()"/>
/// is called.</para>
/// </remarks>
internal sealed class SettleTracker(InMemoryJetStream engine, TimeSpan grace)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _deliveries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Entry>> _repulls = new(StringComparer.Ordinal);

    /// <summary>The latest calls of <see cref="LeaveRead()"/>, each with its number and what it left (newest last).</summary>
    private readonly Queue<(long Epoch, Func<Entry, bool> Quiet)> _leaves = new();
    private long _leaveEpoch;
    private int _graceReleases;

    /// <summary>Gets the number of the latest <see cref="LeaveRead()"/>: taken before a delivery is written, and handed
    /// to <see cref="Delivered"/>.</summary>
    public long LeaveEpoch => Interlocked.Read(ref _leaveEpoch);

    /// <summary>Gets how many answers were given up on after the unsettled grace (for diagnostics and tests).</summary>
    public int GraceReleases => Volatile.Read(ref _graceReleases);

    /// <summary>Gets the number of answers owed (for diagnostics and tests).</summary>
    public int Owed
    {
        get
        {
            lock (_gate)
            {
                return _deliveries.Values.Sum(e => e.Count) + _repulls.Values.Sum(l => l.Count);
            }
        }
    }

    /// <summary>A delivery was written to <paramref name="connection"/> up to <paramref name="end"/>; the engine already
    /// counted it in flight when it handed it over. <paramref name="epoch"/> is <see cref="LeaveEpoch"/> from before the
    /// write.</summary>
    public void Delivered(string ackSubject, string reply, DeliveryInfo metadata, ServerConnection? connection, long end, bool ackNone, bool ackAll, long epoch)
    {
        if (connection is null || end < 0)
        {
            engine.Handled(null); // nobody received it: nothing to wait for
            return;
        }

        if (ackNone)
        {
            connection.Outbox.WhenRead(end, () => engine.Handled(null));
            return;
        }

        Entry e;
        lock (_gate)
        {
            if (_deliveries.TryGetValue(ackSubject, out var existing))
            {
                existing.Count++; // the same delivery written twice (an injected duplicate): one answer settles both
                return;
            }

            e = new Entry(ackSubject, connection, metadata.Stream, metadata.Consumer, metadata.StreamSequence, ackAll, repull: false) { Reply = reply };
            _deliveries[ackSubject] = e;
        }

        WhenRead(e, connection, end, epoch);
    }

    /// <summary>The client answered the delivery of <paramref name="ackSubject"/> (ack, nak or term).</summary>
    public void Settled(string ackSubject, DeliveryInfo metadata, bool ack)
    {
        List<Entry> released = [];
        lock (_gate)
        {
            if (_deliveries.Remove(ackSubject, out var e))
            {
                released.Add(e);
                if (ack && e.AckAll)
                {
                    foreach (var other in _deliveries.Values.Where(o => o.Stream == metadata.Stream && o.Consumer == metadata.Consumer && o.StreamSequence <= metadata.StreamSequence).ToList())
                    {
                        _deliveries.Remove(other.Key);
                        released.Add(other);
                    }
                }
            }
        }

        Release(released);
    }

    /// <summary>
    /// A pull request on <paramref name="reply"/> ended (filled, expired, or a no-wait request done): the engine waits
    /// for the subscription's next pull request, or for the subscription to go away. Called before its status (if any)
    /// is written, so the client's answer cannot arrive first.
    /// </summary>
    /// <returns>The entry, to be marked read with <see cref="ReadAt"/>.</returns>
    public object AwaitRepull(string reply, ServerConnection connection)
    {
        var e = new Entry(reply, connection, string.Empty, string.Empty, 0, ackAll: false, repull: true) { Reply = reply, Epoch = LeaveEpoch };
        engine.AddInFlight();
        lock (_gate)
        {
            if (!_repulls.TryGetValue(reply, out var list))
            {
                _repulls[reply] = list = [];
            }

            list.Add(e);
        }

        return e;
    }

    /// <summary>Marks an entry of <see cref="AwaitRepull"/> read once the client has read up to <paramref name="end"/>.</summary>
    public void ReadAt(object entry, ServerConnection connection, long end)
    {
        var e = (Entry)entry;
        if (end < 0)
        {
            e.MarkRead();
            return;
        }

        WhenRead(e, connection, end, e.Epoch);
    }

    /// <summary>
    /// Marks <paramref name="e"/> read once the client has dispatched its write (ending at <paramref name="end"/>).
    /// <paramref name="epoch"/> is <see cref="LeaveEpoch"/> from before the write: the client can read it, and its code
    /// call <see cref="LeaveRead()"/>, before this runs, and an entry read by then is left as if it had been seen.
    /// </summary>
    private void WhenRead(Entry e, ServerConnection connection, long end, long epoch)
    {
        e.End = end;
        connection.Outbox.WhenRead(end, e.MarkRead);
        if (e.ReadAt != 0 && LeaveEpoch != epoch)
        {
            ReleaseWhere(o => ReferenceEquals(o, e) && LeftSince(epoch, o));
        }
    }

    /// <summary>
    /// A pull request arrived on <paramref name="reply"/>: takes what the engine waited for there, to be released with
    /// <see cref="Release(object?)"/> once the new request took what it could (so the engine is never idle in between,
    /// and a new request that ends at once keeps its own wait).
    /// </summary>
    public object? DetachRepulls(string reply)
    {
        lock (_gate)
        {
            return _repulls.Remove(reply, out var list) ? list : null;
        }
    }

    /// <summary>Releases what <see cref="DetachRepulls"/> took.</summary>
    public void Release(object? detached) => Release((List<Entry>?)detached);

    /// <summary>A pull request arrived on <paramref name="reply"/>, or nobody listens on it any more.</summary>
    public void Repulled(string reply)
    {
        List<Entry>? released;
        lock (_gate)
        {
            _repulls.Remove(reply, out released);
        }

        Release(released);
    }

    /// <summary>
    /// A subscription went away while its pull request was still open: the loop that read its deliveries stopped (a
    /// cancelled consume), so what it received and did not settle is no longer waited for. (A fetch goes away after its
    /// request ended, and its messages are still in its caller's hands.)
    /// </summary>
    public void Abandoned(string reply) => ReleaseWhere(e => !e.Repull && e.Reply == reply, readOnly: false);

    /// <summary>Stops counting one delivery (by its ack subject), read or not.</summary>
    public void Leave(string ackSubject) => Release(Take(ackSubject));

    /// <summary>The reply subjects awaiting a next pull request that <paramref name="pattern"/> matches.</summary>
    public List<string> AwaitingMatching(string pattern, bool wildcard)
    {
        lock (_gate)
        {
            if (!wildcard)
            {
                return _repulls.ContainsKey(pattern) ? [pattern] : [];
            }

            return [.. _repulls.Keys.Where(k => Subjects.Matches(pattern, k))];
        }
    }

    /// <summary>A connection closed: whatever it owed is answered.</summary>
    public void Closed(ServerConnection connection)
    {
        List<Entry> released = [];
        lock (_gate)
        {
            foreach (var e in _deliveries.Values.Where(e => e.Connection == connection).ToList())
            {
                _deliveries.Remove(e.Key);
                released.Add(e);
            }

            foreach (var (reply, list) in _repulls.ToList())
            {
                released.AddRange(list.Where(e => e.Connection == connection));
                list.RemoveAll(e => e.Connection == connection);
                if (list.Count == 0)
                {
                    _repulls.Remove(reply);
                }
            }
        }

        Release(released);
    }

    /// <summary>Stops counting what clients have read and not answered.</summary>
    /// <returns>How many deliveries (and expired requests) stopped counting.</returns>
    public int LeaveRead() => Leave(static _ => true);

    /// <summary>Stops counting what clients have read and not answered of one consumer's deliveries.</summary>
    /// <returns>How many deliveries stopped counting.</returns>
    public int LeaveRead(string stream, string consumer) => Leave(e => !e.Repull && e.Stream == stream && e.Consumer == consumer);

    /// <summary>Stops counting what a client read and has been silent about for the grace period.</summary>
    public void Tick(long now)
    {
        if (grace == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        var released = ReleaseWhere(e =>
        {
            var since = Math.Max(e.ReadAt, e.Connection.LastInbound);
            return TimeProvider.System.GetElapsedTime(since, now) >= grace;
        });
        Interlocked.Add(ref _graceReleases, released);
    }

    private int Leave(Func<Entry, bool> quiet)
    {
        lock (_gate)
        {
            _leaves.Enqueue((Interlocked.Increment(ref _leaveEpoch), quiet));
            if (_leaves.Count > 64)
            {
                _leaves.Dequeue(); // a write that began 64 leaves ago has long been counted
            }
        }

        return ReleaseWhere(quiet, handedOutIsRead: true);
    }

    /// <summary>Whether a LeaveRead numbered after <paramref name="epoch"/> left <paramref name="e"/>. Under
    /// <see cref="_gate"/> (ReleaseWhere's predicate).</summary>
    private bool LeftSince(long epoch, Entry e)
    {
        foreach (var (n, quiet) in _leaves)
        {
            if (n > epoch && quiet(e))
            {
                return true;
            }
        }

        return false;
    }

    private List<Entry>? Take(string ackSubject)
    {
        lock (_gate)
        {
            return _deliveries.Remove(ackSubject, out var e) ? [e] : null;
        }
    }

    /// <param name="quiet">Which entries to release.</param>
    /// <param name="readOnly">Only entries the client has read (dispatched, or with <paramref name="handedOutIsRead"/>
    /// handed to its reader).</param>
    /// <param name="handedOutIsRead">Counts as read what was handed to the client's reader and may still be in its
    /// dispatch: code that leaves what it has read can hold a message whose reader has not come back for more yet.</param>
    private int ReleaseWhere(Func<Entry, bool> quiet, bool readOnly = true, bool handedOutIsRead = false)
    {
        bool Read(Entry e) => e.ReadAt != 0 || (handedOutIsRead && e.End > 0 && e.Connection.Outbox.HandedOut >= e.End);

        List<Entry> released = [];
        lock (_gate)
        {
            foreach (var e in _deliveries.Values.Where(e => (!readOnly || Read(e)) && quiet(e)).ToList())
            {
                _deliveries.Remove(e.Key);
                released.Add(e);
            }

            foreach (var (reply, list) in _repulls.ToList())
            {
                var gone = list.Where(e => (!readOnly || Read(e)) && quiet(e)).ToList();
                released.AddRange(gone);
                list.RemoveAll(gone.Contains);
                if (list.Count == 0)
                {
                    _repulls.Remove(reply);
                }
            }
        }

        Release(released);
        return released.Sum(e => e.Count);
    }

    private void Release(List<Entry>? entries)
    {
        if (entries is null)
        {
            return;
        }

        foreach (var e in entries)
        {
            for (var i = 0; i < e.Count; i++)
            {
                engine.Handled(null);
            }
        }
    }

    /// <summary>One answer owed.</summary>
    private sealed class Entry(string key, ServerConnection connection, string stream, string consumer, ulong streamSequence, bool ackAll, bool repull)
    {
        private long _readAt;

        public string Key { get; } = key;

        public ServerConnection Connection { get; } = connection;

        public string Stream { get; } = stream;

        public string Consumer { get; } = consumer;

        public ulong StreamSequence { get; } = streamSequence;

        private long _end;

        /// <summary>Gets or sets <see cref="LeaveEpoch"/> from before the answered write began.</summary>
        public long Epoch { get; init; }

        /// <summary>Gets or sets where the answered write ends in the connection's outbox (0 until known).</summary>
        public long End
        {
            get => Interlocked.Read(ref _end);
            set => Interlocked.Exchange(ref _end, value);
        }

        public bool AckAll { get; } = ackAll;

        public bool Repull { get; } = repull;

        /// <summary>Gets the reply subject (the subscription) it was written to.</summary>
        public string Reply { get; init; } = string.Empty;

        /// <summary>Gets or sets how many deliveries it stands for (under the tracker's lock).</summary>
        public int Count { get; set; } = 1;

        /// <summary>Gets the wall-clock timestamp at which the client had read it; 0 before.</summary>
        public long ReadAt => Interlocked.Read(ref _readAt);

        public void MarkRead() => Interlocked.Exchange(ref _readAt, TimeProvider.System.GetTimestamp());
    }
}
