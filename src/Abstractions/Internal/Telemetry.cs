using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry.Context.Propagation;

namespace Goflux.Internal;

internal static class Telemetry
{
    internal static readonly ActivitySource Source = new(GofluxTelemetry.SourceName, typeof(Telemetry).Assembly.GetName().Version?.ToString(3));
    internal static readonly Meter Meter = new(GofluxTelemetry.SourceName, typeof(Telemetry).Assembly.GetName().Version?.ToString(3));

    internal static readonly Counter<long> Sent = Meter.CreateCounter<long>(GofluxTelemetry.Metrics.SentMessages, "{message}", "Number of messages producers attempted to send.");
    internal static readonly Counter<long> Consumed = Meter.CreateCounter<long>(GofluxTelemetry.Metrics.ConsumedMessages, "{message}", "Number of messages delivered to the consumer.");
    internal static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>(GofluxTelemetry.Metrics.OperationDuration, "s", "Duration of messaging operations initiated by a producer.");
    internal static readonly Histogram<double> ProcessDuration = Meter.CreateHistogram<double>(GofluxTelemetry.Metrics.ProcessDuration, "s", "Duration of processing operations.");
    internal static readonly Counter<long> AckOutcomes = Meter.CreateCounter<long>(GofluxTelemetry.Metrics.AckOutcome, "{outcome}", "Number of message acknowledgment outcomes by action.");

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
