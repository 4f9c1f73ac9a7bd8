using System.Globalization;

namespace Goflux.InMemory.Internal;

/// <summary>
/// Push delivery (S-124 to S-133), as nats-server 2.10 does it: a consumer with a deliver subject delivers while that
/// subject has interest (it is "active"), to the listeners a publish on the subject would reach; it takes no pull
/// requests. Interest is registered for the deliver subject and the deliver group the consumer had when it was created
/// (or its deliver subject last changed): the server does not register again when only the group changes (S-130). An
/// inactive consumer with an inactive threshold is deleted one threshold after it lost interest (or was created
/// without), unless interest comes back first (S-131).
/// </summary>
internal sealed partial class ConsumerState
{
    private readonly List<PushListener> _route = [];
    private bool _active;
    private string? _dsubj;
    private string? _igroup;

    /// <summary>Gets a value indicating whether the consumer is push based (has a deliver subject).</summary>
    public bool IsPush => !string.IsNullOrEmpty(Config.DeliverSubject);

    /// <summary>Gets the deliver subject the consumer delivers to, or <see langword="null"/> for a pull consumer.</summary>
    public string? DeliverSubject => _dsubj;

    /// <summary>Gets a value indicating whether the consumer is push based and its deliver subject has interest.</summary>
    public bool PushBound => _dsubj is not null && _active;

    /// <summary>Gets the last delivered consumer and stream sequences (what an idle heartbeat reports).</summary>
    public (ulong ConsumerSeq, ulong StreamSeq) LastDelivered => (_dseq - 1, _sseq == 0 ? 0 : _sseq - 1);

    /// <summary>Gets a value indicating whether something can take a delivery now: a waiting pull request, or interest
    /// on the deliver subject.</summary>
    private bool CanDeliver => _dsubj is not null ? _active : _waiting.Count > 0;

    /// <summary>The deliver subject's listeners changed: interest is looked up again.</summary>
    public void OnInterestChanged()
    {
        if (_dsubj is not null)
        {
            UpdateDeliveryInterest(_ctx.Push.HasInterest(_dsubj, _igroup));
        }
    }

    /// <summary>Registers the consumer on its deliver subject and looks up its interest (creation).</summary>
    private void StartPush()
    {
        _dsubj = Config.DeliverSubject;
        _igroup = Config.DeliverGroup;
        _ctx.Push.Track(this, _dsubj!);
        _active = _ctx.Push.HasInterest(_dsubj!, _igroup);
        if (!_active)
        {
            ArmDeleteTimer();
        }
    }

    /// <summary>An update of a push consumer: a new deliver subject registers again (with the group it now has); a new
    /// inactive threshold restarts a running delete timer.</summary>
    private void ReconfigurePush(TimeSpan oldThreshold)
    {
        if (Config.DeliverSubject != _dsubj)
        {
            _ctx.Push.Untrack(this, _dsubj!);
            _dsubj = Config.DeliverSubject;
            _igroup = Config.DeliverGroup;
            _ctx.Push.Track(this, _dsubj!);
            OnInterestChanged();
        }

        if (Config.InactiveThreshold != oldThreshold && !_active)
        {
            if (_inactivity is { } t)
            {
                Scheduler.Unschedule(t);
            }

            ArmDeleteTimer();
        }
    }

    /// <summary>The consumer is stopped: it no longer delivers to its subject.</summary>
    private void StopPush()
    {
        if (_dsubj is not null)
        {
            _ctx.Push.Untrack(this, _dsubj);
        }

        _active = false;
    }

    /// <summary>
    /// The server's <c>updateDeliveryInterest</c>: interest gained stops the delete timer and delivers what waits;
    /// interest lost starts the delete timer unless it already runs.
    /// </summary>
    private void UpdateDeliveryInterest(bool interest)
    {
        if (Deleted)
        {
            return;
        }

        var was = _active;
        _active = interest;
        if (interest)
        {
            if (_inactivity is { } t)
            {
                Scheduler.Unschedule(t);
            }

            if (!was)
            {
                Dispatch();
            }

            return;
        }

        if (_inactivity is { ScheduledDue: var due } && due != DateTimeOffset.MaxValue)
        {
            return;
        }

        ArmDeleteTimer();
    }

    private void ArmDeleteTimer()
    {
        var threshold = Config.InactiveThreshold;
        if (threshold <= TimeSpan.Zero || Deleted)
        {
            return;
        }

        _inactivity ??= new InactivityCheck(this);
        _ctx.Scheduler.Schedule(_inactivity, EngineContext.Add(_ctx.Now, threshold));
    }

    /// <summary>The push side of the delivery loop: the listeners this delivery goes to, or none.</summary>
    private List<PushListener> RoutePush()
    {
        _ctx.Push.Route(_dsubj!, _route);
        return _route;
    }

    /// <summary>Hands one message to the deliver subject's listeners and records it as delivered.</summary>
    private void DeliverToListeners(List<PushListener> receivers, StoredMessage m, ulong dc, ulong pending, DateTimeOffset now)
    {
        var d = Record(m, dc, pending, now);
        var duplicate = _ctx.Faults.TakeDuplicateDelivery();
        foreach (var l in receivers)
        {
            HandOff(l, l.TracksHandling, d);
            if (duplicate)
            {
                HandOff(l, l.TracksHandling, d);
            }
        }
    }

    /// <summary>The delivery as the consumer sends it: with <c>headers_only</c>, the stored headers and
    /// <c>Nats-Msg-Size</c> (the payload's length) and no payload (S-132).</summary>
    private InMemoryDelivery MakeDelivery(StoredMessage m, DeliveryInfo info)
    {
        if (!Config.HeadersOnly)
        {
            return new InMemoryDelivery(this, m.Subject, m.Data, m.Headers, info);
        }

        var headers = m.Headers?.Clone() ?? new MessageHeaders();
        headers.Add("Nats-Msg-Size", m.Data.Length.ToString(CultureInfo.InvariantCulture));
        return new InMemoryDelivery(this, m.Subject, ReadOnlyMemory<byte>.Empty, headers, info);
    }
}
