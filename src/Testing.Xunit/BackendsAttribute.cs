using System.Reflection;
using Xunit;
using Xunit.Sdk;
using Xunit.v3;

namespace Goflux.Testing.Xunit;

/// <summary>
/// Runs a theory once per backend: its <see cref="TestBackendKind"/> parameter is <see cref="TestBackendKind.InMemory"/>,
/// then <see cref="TestBackendKind.JetStream"/>. Start the backend in the body with <see cref="TestBackend.StartAsync"/>.
/// </summary>
/// <remarks>
/// <para>
/// The engine cases never need a server. A JetStream case without a server fails with a message that says how to get
/// one; it is never skipped silently. To run the engine cases only, set <c>GOFLUX_TEST_BACKENDS=inmemory</c>: the JetStream
/// cases are then reported as skipped, with that reason.
/// </para>
/// <example>
/// <code>
/// [Theory, Backends]
/// public async Task Handler_ThrowsOnce_IsRedelivered(TestBackendKind kind)
/// {
///     await using var backend = await TestBackend.StartAsync(kind);
///     ...
/// }
/// </code>
/// </example>
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class BackendsAttribute : DataAttribute
{
    /// <inheritdoc />
    public override ValueTask<IReadOnlyCollection<ITheoryDataRow>> GetData(MethodInfo testMethod, DisposalTracker disposalTracker)
    {
        ArgumentNullException.ThrowIfNull(testMethod);
        var rows = new List<ITheoryDataRow>();
        foreach (var kind in TestBackends.All)
        {
            var row = new TheoryDataRow<TestBackendKind>(kind);
            if (!TestBackends.IsSelected(kind))
            {
                row.Skip = TestBackends.NotSelectedReason(kind);
            }

            rows.Add(row);
        }

        return new(rows);
    }

    /// <inheritdoc />
    public override bool SupportsDiscoveryEnumeration() => true;
}
