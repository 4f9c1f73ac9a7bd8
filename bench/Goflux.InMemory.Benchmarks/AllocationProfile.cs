using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Goflux.InMemory.Benchmarks;

/// <summary>
/// Samples allocations by type from the runtime's own events (one <c>GCAllocationTick</c> per ~100 KB allocated), so
/// a profile of bytes per message by type can be printed beside a measurement. Small types are attributed roughly: the
/// type named by a tick is the one whose allocation crossed the 100 KB mark.
/// </summary>
internal sealed class AllocationProfile : EventListener
{
    private const int AllocationTickEventId = 10;
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private volatile bool _recording;

    public void Start()
    {
        _bytes.Clear();
        _recording = true;
    }

    public void Stop() => _recording = false;

    public void Print(long messages, int top = 20)
    {
        var total = _bytes.Values.Sum();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"allocation ticks: {total / (double)messages:N0} B/message sampled"));
        foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {bytes / (double)messages,8:N1} B  {type}"));
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventId != AllocationTickEventId || eventData.Payload is null)
        {
            return;
        }

        var names = eventData.PayloadNames!;
        var type = names.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload[t] as string ?? "?" : "?";
        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(eventData.Payload[a], CultureInfo.InvariantCulture) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }
}
