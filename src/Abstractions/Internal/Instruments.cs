using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Goflux.Internal;

/// <summary>
/// The goflux instruments of one <see cref="Meter"/>: the shared static meter by default, or a meter made by an
/// <see cref="IMeterFactory"/> (so a host's or a test's listeners see only their own measurements).
/// </summary>
internal sealed class Instruments
{
    private static readonly ConditionalWeakTable<Meter, Instruments> ByMeter = new();

    private Instruments(Meter meter)
    {
        Sent = meter.CreateCounter<long>(GofluxTelemetry.Metrics.SentMessages, "{message}", "Number of messages producers attempted to send.");
        Consumed = meter.CreateCounter<long>(GofluxTelemetry.Metrics.ConsumedMessages, "{message}", "Number of messages delivered to the consumer.");
        OperationDuration = meter.CreateHistogram<double>(GofluxTelemetry.Metrics.OperationDuration, "s", "Duration of messaging operations initiated by a producer.");
        ProcessDuration = meter.CreateHistogram<double>(GofluxTelemetry.Metrics.ProcessDuration, "s", "Duration of processing operations.");
        AckOutcomes = meter.CreateCounter<long>(GofluxTelemetry.Metrics.AckOutcome, "{outcome}", "Number of message acknowledgment outcomes by action.");
    }

    /// <summary>Gets the instruments of the shared static meter.</summary>
    internal static Instruments Default { get; } = new(Telemetry.Meter);

    internal Counter<long> Sent { get; }

    internal Counter<long> Consumed { get; }

    internal Histogram<double> OperationDuration { get; }

    internal Histogram<double> ProcessDuration { get; }

    internal Counter<long> AckOutcomes { get; }

    /// <summary>The instruments for <paramref name="factory"/>: its meter named <see cref="GofluxTelemetry.SourceName"/>, or the shared one.</summary>
    internal static Instruments For(IMeterFactory? factory)
    {
        if (factory is null)
        {
            return Default;
        }

        var meter = factory.Create(new MeterOptions(GofluxTelemetry.SourceName) { Version = Telemetry.Version });
        return ByMeter.GetValue(meter, static m => new Instruments(m));
    }
}
