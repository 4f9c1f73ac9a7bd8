namespace Goflux.Tests.Fakes;

internal static class TestSubjects
{
    /// <summary>A subject no other test uses: telemetry is process-wide, so tests filter what they captured by it.</summary>
    public static string Unique(string prefix) => $"{prefix}.{Guid.NewGuid():N}";
}
