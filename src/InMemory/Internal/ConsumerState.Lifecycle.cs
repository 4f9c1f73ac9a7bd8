namespace Goflux.InMemory.Internal;

/// <summary>The consumer's lifecycle: CREATED/DELETED advisories and removal after its inactive threshold (S-47).</summary>
internal sealed partial class ConsumerState
{
    private InactivityCheck? _inactivity;
    private DateTimeOffset _lastActivity;

    /// <summary>Raises the consumer's CREATED or DELETED advisory (S-106), as the server does on create and on delete
    /// (by the API, with its stream, or for inactivity).</summary>
    /// <param name="created">CREATED when <see langword="true"/>, else DELETED.</param>
    public void Advise(bool created)
    {
        var stream = Stream.Name;
        _ctx.RaiseAdvisory(new(
            JetStreamAdvisory.ConsumerActionType,
            $"$JS.EVENT.ADVISORY.CONSUMER.{(created ? "CREATED" : "DELETED")}.{stream}.{Name}",
            _ctx.Now,
            stream,
            Name,
            StreamSequence: null,
            ConsumerSequence: null,
            Deliveries: null,
            Reason: null));
    }

    /// <summary>Counts as activity for the inactive threshold: a pull request received, a delivery, an acknowledgement.</summary>
    private void Touch(DateTimeOffset now) => _lastActivity = now;

    /// <summary>(Re)starts the inactivity check for the configured threshold, or stops it when there is none.</summary>
    private void ArmInactivity(DateTimeOffset now)
    {
        if (IsPush)
        {
            return; // a push consumer's delete timer follows its interest (ConsumerState.Push.cs)
        }

        var threshold = Config.InactiveThreshold;
        if (threshold <= TimeSpan.Zero || Deleted)
        {
            if (_inactivity is { } old)
            {
                Scheduler.Unschedule(old);
            }

            return;
        }

        _lastActivity = now;
        _inactivity ??= new InactivityCheck(this);
        _ctx.Scheduler.Schedule(_inactivity, EngineContext.Add(now, threshold));
    }

    /// <summary>
    /// The threshold passed since the check was armed: an idle consumer is deleted (ephemerals and, on 2.10, durables alike),
    /// with a DELETED advisory; a busy one is checked again one threshold after its last activity. An open pull request is
    /// activity: a running subscription keeps its consumer. The server adds up to about a second of jitter; the engine
    /// deletes at the threshold.
    /// </summary>
    private void OnInactivityDue(DateTimeOffset now)
    {
        if (Deleted)
        {
            return;
        }

        if (_dsubj is not null)
        {
            // A push consumer is deleted unless interest came back (S-131).
            if (!_active && Config.InactiveThreshold > TimeSpan.Zero)
            {
                Stream.RemoveConsumer(this, Errors.ConsumerNotFound());
            }

            return;
        }

        var threshold = Config.InactiveThreshold;
        if (threshold <= TimeSpan.Zero)
        {
            return;
        }

        if (_waiting.Count > 0)
        {
            _lastActivity = now;
        }

        var due = EngineContext.Add(_lastActivity, threshold);
        if (due > now)
        {
            _ctx.Scheduler.Schedule(_inactivity!, due);
            return;
        }

        Stream.RemoveConsumer(this, Errors.ConsumerNotFound());
    }

    /// <summary>The scheduler's handle on a consumer's inactivity deadline (the consumer itself holds its pending check).</summary>
    private sealed class InactivityCheck(ConsumerState consumer) : Scheduled
    {
        internal override void OnDue(DateTimeOffset now) => consumer.OnInactivityDue(now);
    }
}
