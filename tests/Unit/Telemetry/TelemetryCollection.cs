namespace Goflux.Tests.Telemetry;

/// <summary>
/// Tests that listen to the process-wide "Goflux" ActivitySource and Meter, or set an ambient Activity. They run alone,
/// after the parallel tests, so no listener of theirs changes what another test sees; they still filter what they
/// captured by a unique subject.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}
