using Goflux.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Goflux.Hosting;

/// <summary>
/// Registers the goflux health check.
/// </summary>
public static class GofluxHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check reporting each hosted consumer: healthy when every one listens; degraded while one is starting
    /// or interrupted (reconnecting); unhealthy when one has stopped or faulted, with its error. The result's data maps
    /// <c>{stream}/{consumer}</c> to its state.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="name">The check's name.</param>
    /// <param name="tags">Tags to filter checks by (for example <c>ready</c>), or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static IHealthChecksBuilder AddGoflux(this IHealthChecksBuilder builder, string name = "goflux", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp =>
            {
                var host = sp.GetRequiredService<GofluxHostedService>();
                return new GofluxHealthCheck(sp.GetRequiredService<GofluxRegistry>(), () => host.Consumers);
            },
            failureStatus: null,
            tags));
    }
}
