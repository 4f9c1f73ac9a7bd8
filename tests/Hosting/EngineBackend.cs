using Goflux.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Goflux.Hosting.Tests;

/// <summary>The in-memory engine under a host, as an application registers it: <c>UseBackend</c> with the engine's backend.</summary>
internal static class EngineBackend
{
    /// <summary>Runs the host on <paramref name="engine"/> (not owned), or on one engine on the container's clock, registered
    /// so a test can resolve it.</summary>
    public static GofluxBuilder UseEngine(this GofluxBuilder goflux, InMemoryJetStream? engine = null)
    {
        if (engine is null)
        {
            goflux.Services.TryAddSingleton(sp => new InMemoryJetStream(sp.GetService<TimeProvider>() ?? TimeProvider.System));
        }
        else
        {
            goflux.Services.TryAddSingleton(engine);
        }

        return goflux.UseBackend(sp => new InMemoryBackend(sp.GetRequiredService<InMemoryJetStream>()));
    }
}
