using Goflux.InMemory;

namespace Goflux.Testing.Internal;

/// <summary>
/// A <see cref="TestBackend"/>'s backend (the shared <see cref="IGofluxBackend"/>, as given: names are not made unique) and
/// what a test needs beside it: the clock, letting time pass, settling, and the advisories seen.
/// </summary>
internal abstract class BackendDriver : IAsyncDisposable
{
    public abstract IGofluxBackend Backend { get; }

    public abstract TimeProvider Clock { get; }

    public abstract IReadOnlyList<JetStreamAdvisory> Advisories { get; }

    public abstract Task LetTimePassAsync(TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Engine: waits until nothing is running or deliverable now. Server: returns at once.</summary>
    public abstract Task SettleAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}
