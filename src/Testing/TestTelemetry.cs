using System.Diagnostics;
using System.Diagnostics.Metrics;
using Goflux.Testing.Internal;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Goflux.Testing;

/// <summary>
/// The spans, metrics and logs of one <see cref="TestBackend"/> and of nothing else, so tests on both backends can run in
/// parallel in one process.
/// </summary>
/// <remarks>
/// <para>
/// Metrics: the backend's publishers and subscribers record on the meter of <see cref="MeterFactory"/> (through
/// <see cref="PublisherOptions.MeterFactory"/> and <see cref="SubscriberOptions.MeterFactory"/>); a
/// <see cref="MetricCollector{T}"/> per goflux instrument listens to that meter only.
/// </para>
/// <para>
/// Spans: goflux's <see cref="ActivitySource"/> is shared by the process; this capture keeps the spans whose subject lies
/// under the backend's subject prefix (see <see cref="TestBackend.Subject"/>), which no other test uses.
/// </para>
/// <para>Logs: <see cref="Logger"/> is handed to the backend's publishers and subscribers unless their options name one.</para>
/// </remarks>
public sealed class TestTelemetry : IDisposable
{
    private readonly string _prefix;
    private readonly ScopedMeterFactory _meterFactory = new();
    private readonly ActivityListener _listener;
    private readonly List<Activity> _spans = [];
    private readonly Dictionary<string, MetricCollector<long>> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MetricCollector<double>> _histograms = new(StringComparer.Ordinal);

    internal TestTelemetry(string subjectPrefix, TimeProvider clock)
    {
        _prefix = subjectPrefix + ".";
        foreach (var name in new[] { GofluxTelemetry.Metrics.SentMessages, GofluxTelemetry.Metrics.ConsumedMessages, GofluxTelemetry.Metrics.AckOutcome })
        {
            _counters[name] = new MetricCollector<long>(_meterFactory, GofluxTelemetry.SourceName, name, clock);
        }

        foreach (var name in new[] { GofluxTelemetry.Metrics.OperationDuration, GofluxTelemetry.Metrics.ProcessDuration })
        {
            _histograms[name] = new MetricCollector<double>(_meterFactory, GofluxTelemetry.SourceName, name, clock);
        }

        Logs = new FakeLogCollector();
        Logger = new FakeLogger(Logs, "Goflux");
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GofluxTelemetry.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = OnStopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Gets the meter factory the backend's publishers and subscribers record on.</summary>
    public IMeterFactory MeterFactory => _meterFactory;

    /// <summary>Gets the logger handed to the backend's publishers and subscribers.</summary>
    public ILogger Logger { get; }

    /// <summary>Gets what <see cref="Logger"/> recorded.</summary>
    public FakeLogCollector Logs { get; }

    /// <summary>Gets every finished goflux span of this backend, in the order they ended.</summary>
    public IReadOnlyList<Activity> Spans
    {
        get
        {
            lock (_spans)
            {
                return [.. _spans];
            }
        }
    }

    /// <summary>The producer spans (<c>send …</c>), optionally of one message id.</summary>
    /// <param name="messageId">The message id, or <see langword="null"/> for all.</param>
    /// <returns>The spans.</returns>
    public IReadOnlyList<Activity> ProducerSpans(string? messageId = null) => Of(ActivityKind.Producer, messageId);

    /// <summary>The consumer spans (<c>process …</c>), optionally of one message id.</summary>
    /// <param name="messageId">The message id, or <see langword="null"/> for all.</param>
    /// <returns>The spans.</returns>
    public IReadOnlyList<Activity> ConsumerSpans(string? messageId = null) => Of(ActivityKind.Consumer, messageId);

    /// <summary>The span with <paramref name="spanId"/>, or <see langword="null"/>.</summary>
    /// <param name="spanId">The span id (for example a <see cref="DeliveryRecord.ProducerSpanId"/>).</param>
    /// <returns>The span, or <see langword="null"/> when this backend recorded none with that id.</returns>
    public Activity? Span(ActivitySpanId? spanId) => spanId is { } id ? Spans.FirstOrDefault(s => s.SpanId == id) : null;

    /// <summary>The collector of a goflux counter (<see cref="GofluxTelemetry.Metrics"/>: sent, consumed, ack outcome).</summary>
    /// <param name="instrument">The instrument name.</param>
    /// <returns>The collector.</returns>
    /// <exception cref="ArgumentException"><paramref name="instrument"/> is not a goflux counter.</exception>
    public MetricCollector<long> Counter(string instrument) =>
        _counters.TryGetValue(instrument, out var c) ? c : throw new ArgumentException($"'{instrument}' is not a goflux counter; use one of {string.Join(", ", _counters.Keys)}.", nameof(instrument));

    /// <summary>The collector of a goflux histogram (<see cref="GofluxTelemetry.Metrics"/>: operation and process duration).</summary>
    /// <param name="instrument">The instrument name.</param>
    /// <returns>The collector.</returns>
    /// <exception cref="ArgumentException"><paramref name="instrument"/> is not a goflux histogram.</exception>
    public MetricCollector<double> Histogram(string instrument) =>
        _histograms.TryGetValue(instrument, out var c) ? c : throw new ArgumentException($"'{instrument}' is not a goflux histogram; use one of {string.Join(", ", _histograms.Keys)}.", nameof(instrument));

    /// <summary>
    /// The sum of a goflux counter's measurements whose tags include every pair in <paramref name="tags"/> (e.g.
    /// <c>(GofluxTelemetry.Attributes.Stream, "ORDERS_…")</c>).
    /// </summary>
    /// <param name="instrument">The counter's name.</param>
    /// <param name="tags">Tag names and values every counted measurement must carry.</param>
    /// <returns>The sum.</returns>
    public long Sum(string instrument, params (string Name, object? Value)[] tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        return Counter(instrument).GetMeasurementSnapshot()
            .Where(m => tags.All(t => m.Tags.TryGetValue(t.Name, out var v) && Equals(v?.ToString(), t.Value?.ToString())))
            .Sum(m => m.Value);
    }

    /// <summary>The number of messages settled as <paramref name="outcome"/>, from the ack-outcome metric.</summary>
    /// <param name="outcome">The outcome, for example <see cref="AckOutcome.NakedWithDelay"/>.</param>
    /// <returns>The count.</returns>
    public long AckOutcomes(AckOutcome outcome) => Sum(GofluxTelemetry.Metrics.AckOutcome, (GofluxTelemetry.Attributes.AckAction, GofluxTelemetry.AckActionOf(outcome)));

    /// <inheritdoc />
    public void Dispose()
    {
        _listener.Dispose();
        foreach (var c in _counters.Values)
        {
            c.Dispose();
        }

        foreach (var h in _histograms.Values)
        {
            h.Dispose();
        }

        _meterFactory.Dispose();
    }

    private IReadOnlyList<Activity> Of(ActivityKind kind, string? messageId) =>
        [.. Spans.Where(s => s.Kind == kind && (messageId is null || Equals(s.GetTagItem(GofluxTelemetry.Attributes.MessageId), messageId)))];

    private void OnStopped(Activity activity)
    {
        if (activity.GetTagItem(GofluxTelemetry.Attributes.DestinationName) is string subject && subject.StartsWith(_prefix, StringComparison.Ordinal))
        {
            lock (_spans)
            {
                _spans.Add(activity);
            }
        }
    }
}
