using Goflux.Hosting;
using Goflux.Testing.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Goflux.Testing;

/// <summary>
/// Lays a <see cref="TestBackend"/> under an application's own goflux registration (<c>AddGoflux</c> in its
/// <c>Program</c>), so a test runs the application as it is wired, on the in-memory engine or on a real server.
/// </summary>
public static class GofluxTestHarnessExtensions
{
    /// <summary>
    /// Runs the application's goflux registration on <paramref name="backend"/> instead of the backend it chose
    /// (<c>UseJetStream</c>, <c>UseBackend</c>), without the application exposing anything for it: call it after the
    /// application's registration, for example in <c>WebApplicationFactory.ConfigureTestServices</c> or on the
    /// <c>HostApplicationBuilder</c> the test builds with the application's own registration.
    /// </summary>
    /// <param name="services">The application's service collection.</param>
    /// <param name="backend">The test's backend; the test owns it (dispose it after the host).</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="backend"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// <para>
    /// Then <paramref name="backend"/> is the test's one handle on the application: the declared streams and consumers are
    /// created on it with names made unique for the test (as everything on a <see cref="TestBackend"/>: the application
    /// keeps using its plain names), every delivery to a hosted consumer and how it was settled lands in
    /// <see cref="TestBackend.Ledger"/> (with what the handler threw), what the application publishes in
    /// <see cref="TestBackend.Published{T}"/>, and the spans and metrics of its publishers and hosted consumers in
    /// <see cref="TestBackend.Telemetry"/>. <see cref="TestBackend.WaitForOutcomeAsync"/>,
    /// <see cref="TestBackend.WaitForPublishedAsync{T}"/>, <see cref="TestBackend.LetTimePassAsync"/> and the advisories work
    /// as in any test on the backend.
    /// </para>
    /// <para>
    /// On the engine, the container's <see cref="TimeProvider"/> becomes the engine's fake clock, so the application's own
    /// timers run on virtual time too. The NATS connection the application registered is left alone and never opened
    /// unless something else uses it.
    /// </para>
    /// </remarks>
    public static IServiceCollection AddGofluxTestHarness(this IServiceCollection services, TestBackend backend)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(backend);
        services.RemoveAll<IGofluxBackend>();
        services.AddSingleton(backend.HostBackend);
        services.AddSingleton<IHostedConsumerFilter>(new LedgerFilter(backend));
        if (backend.IsVirtualTime)
        {
            services.Replace(ServiceDescriptor.Singleton(backend.Clock));
        }

        return services;
    }

    /// <summary>Records every delivery to a hosted consumer in the backend's ledger, with what its handler threw.</summary>
    private sealed class LedgerFilter(TestBackend backend) : IHostedConsumerFilter
    {
        public MessageHandler<T> Apply<T>(string stream, string consumer, MessageHandler<T> handler, Middleware<T> pipeline)
            => new LedgerRecorder<T>(backend.Ledger, backend.Clock, backend.StartedAt).Wrap(handler, pipeline);
    }
}
