namespace Goflux.InMemory.Internal;

/// <summary>
/// One engine operation: the engine lock taken on entry; on disposal the lock released, then the effects the operation
/// queued run (hand-offs, request endings, advisories) and the timer is re-armed when a deadline moved earlier. Every
/// engine operation runs inside one (<c>using var op = ctx.Enter();</c>), so the protocol — enter, change state, leave —
/// is kept in one place: an exception thrown halfway still releases the lock and still runs the effects queued before
/// it, and the effects queue can never be left latched.
/// </summary>
/// <remarks>
/// A <see langword="ref"/> struct: it lives on the stack of the operation, cannot be captured by a lambda or survive
/// an <see langword="await"/>, so nothing can hold the lock across a suspension.
/// </remarks>
internal ref struct EngineOperation
{
    private readonly EngineContext _ctx;
    private bool _open;

    internal EngineOperation(EngineContext ctx)
    {
        _ctx = ctx;
        ctx.Gate.Enter();
        _open = true;
    }

    /// <summary>Releases the lock, then runs the queued effects and re-arms the timer. Outside the lock.</summary>
    public void Dispose()
    {
        if (!_open)
        {
            return;
        }

        _open = false;
        List<Effect>? batch;
        try
        {
            _ctx.RunDeferred();
            _ctx.RewritePayloadsIfWasteful();
            batch = _ctx.Effects.Take();
        }
        finally
        {
            _ctx.Gate.Exit();
        }

        _ctx.RunEffectsAndRearm(batch);
    }
}
