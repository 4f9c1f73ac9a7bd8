using System.Diagnostics.Metrics;

namespace Goflux.Testing.Internal;

/// <summary>An <see cref="IMeterFactory"/> whose meters are scoped to it, so collectors on it see one test's measurements only.</summary>
internal sealed class ScopedMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];
    private bool _disposed;

    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_meters)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var existing in _meters)
            {
                if (existing.Name == options.Name && existing.Version == options.Version)
                {
                    return existing;
                }
            }

            var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
            _meters.Add(meter);
            return meter;
        }
    }

    public void Dispose()
    {
        lock (_meters)
        {
            _disposed = true;
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }

            _meters.Clear();
        }
    }
}
