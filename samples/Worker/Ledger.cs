namespace Goflux.Worker;

/// <summary>Counts what the two consumers handled, so the producer knows when the demo is over.</summary>
internal sealed class Ledger(int expected)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _billed;
    private int _shipped;

    public Task Done => _done.Task;

    public void Billed() => Check(Interlocked.Increment(ref _billed), Volatile.Read(ref _shipped));

    public void Shipped() => Check(Volatile.Read(ref _billed), Interlocked.Increment(ref _shipped));

    private void Check(int billed, int shipped)
    {
        if (billed >= expected && shipped >= expected)
        {
            _done.TrySetResult();
        }
    }
}
