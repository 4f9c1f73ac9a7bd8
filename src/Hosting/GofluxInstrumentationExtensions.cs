using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Goflux.Hosting;

/// <summary>
/// Subscribes OpenTelemetry to goflux's activities and metrics (source and meter <see cref="GofluxTelemetry.SourceName"/>).
/// </summary>
public static class GofluxInstrumentationExtensions
{
    /// <summary>Adds goflux's <c>send</c> and <c>process</c> activities to the tracer provider.</summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static TracerProviderBuilder AddGofluxInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(GofluxTelemetry.SourceName);
    }

    /// <summary>Adds goflux's messaging metrics to the meter provider.</summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static MeterProviderBuilder AddGofluxInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(GofluxTelemetry.SourceName);
    }
}
