using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Goflux.Tests.Fakes;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports each timer it creates, so a test advances time only once the code under
/// test is actually waiting (no polling, no wall clock).
/// </summary>
internal sealed class SignallingTimeProvider : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();

    /// <summary>Waits for the next timer to be created and returns its due time.</summary>
    public ValueTask<TimeSpan> NextTimerAsync(CancellationToken cancellationToken) => _created.Reader.ReadAsync(cancellationToken);

    /// <summary>Gets whether a created timer was not yet consumed by <see cref="NextTimerAsync"/>.</summary>
    public bool HasPendingTimer => _created.Reader.TryPeek(out _);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _created.Writer.TryWrite(dueTime);
        return timer;
    }
}
