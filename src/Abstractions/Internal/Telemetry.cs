using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry.Context.Propagation;

namespace Goflux.Internal;

internal static class Telemetry
{
    internal static readonly string? Version = typeof(Telemetry).Assembly.GetName().Version?.ToString(3);
    internal static readonly ActivitySource Source = new(GofluxTelemetry.SourceName, Version);
    internal static readonly Meter Meter = new(GofluxTelemetry.SourceName, Version);

    // W3C trace context is injected whether or not an OpenTelemetry SDK configured the global propagator.
    internal static readonly TextMapPropagator Propagator = new CompositeTextMapPropagator([new TraceContextPropagator(), new BaggagePropagator()]);

    internal static string ActionName(AckOutcome outcome) => outcome switch
    {
        AckOutcome.Acked => "ack",
        AckOutcome.Naked => "nak",
        AckOutcome.NakedWithDelay => "nak_delay",
        AckOutcome.Terminated => "term",
        _ => "none",
    };
}
