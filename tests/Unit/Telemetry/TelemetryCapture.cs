using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Goflux.Tests.Telemetry;

/// <summary>An OpenTelemetry SDK tracer and meter provider for "Goflux" with in-memory exporters.</summary>
internal sealed class TelemetryCapture : IDisposable
{
    private readonly List<Activity> _spans = [];
    private readonly List<MetricSnapshot> _metrics = [];
    private readonly TracerProvider _tracerProvider;
    private readonly MeterProvider _meterProvider;

    public TelemetryCapture(Sampler? sampler = null)
    {
        var tracing = Sdk.CreateTracerProviderBuilder().AddSource(GofluxTelemetry.SourceName).AddInMemoryExporter(_spans);
        if (sampler is not null)
        {
            tracing.SetSampler(sampler);
        }

        _tracerProvider = tracing.Build();
        _meterProvider = Sdk.CreateMeterProviderBuilder().AddMeter(GofluxTelemetry.SourceName).AddInMemoryExporter(_metrics).Build();
    }

    public IReadOnlyList<Activity> Spans(string name)
    {
        lock (_spans)
        {
            return [.. _spans.Where(s => s.DisplayName == name)];
        }
    }

    /// <summary>Collects the metrics and returns the points of <paramref name="metric"/> whose tag <paramref name="key"/> is <paramref name="value"/>.</summary>
    public IReadOnlyList<MetricPoint> Points(string metric, string key, string value)
    {
        _meterProvider.ForceFlush();
        var snapshot = _metrics.LastOrDefault(m => m.Name == metric);
        if (snapshot is null)
        {
            return [];
        }

        return [.. snapshot.MetricPoints.Where(p => Tags(p).TryGetValue(key, out var v) && Equals(v, value))];
    }

    public static Dictionary<string, object?> Tags(MetricPoint point)
    {
        var tags = new Dictionary<string, object?>();
        foreach (var tag in point.Tags)
        {
            tags[tag.Key] = tag.Value;
        }

        return tags;
    }

    public void Dispose()
    {
        _tracerProvider.Dispose();
        _meterProvider.Dispose();
    }
}
