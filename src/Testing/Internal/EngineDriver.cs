using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace Goflux.Testing.Internal;

internal sealed class EngineDriver : BackendDriver
{
    private readonly FakeTimeProvider _clock;

    public EngineDriver(DateTimeOffset epoch)
    {
        _clock = new FakeTimeProvider(epoch);
        Engine = new InMemoryJetStream(_clock);
        Backend = new InMemoryBackend(Engine);
    }

    public InMemoryJetStream Engine { get; }

    public override IGofluxBackend Backend { get; }

    public override TimeProvider Clock => _clock;

    public override IReadOnlyList<JetStreamAdvisory> Advisories => Engine.Advisories;

    public override Task LetTimePassAsync(TimeSpan duration, CancellationToken cancellationToken) => Engine.AdvanceAsync(duration, cancellationToken);

    public override Task SettleAsync(CancellationToken cancellationToken) => Engine.WaitForIdleAsync(cancellationToken);

    public override ValueTask DisposeAsync() => Engine.DisposeAsync();
}
