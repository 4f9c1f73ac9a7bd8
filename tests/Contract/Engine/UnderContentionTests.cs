using Goflux.Tests.Shared;
using Xunit;

namespace Goflux.Contract.Tests.Engine;

/// <summary>
/// Every test that runs on the engine alone, run again and again while busy threads hold every core: virtual time and
/// idleness must not depend on how fast threads are scheduled. A few rounds in every build; <c>make stress</c> runs
/// 1,000 (<c>GOFLUX_STRESS_ROUNDS</c>).
/// </summary>
public sealed class UnderContentionTests
{
    [Fact]
    public async Task EngineTests_RepeatedWithTwoBusyThreadsPerCore_AllPass()
    {
        // Left out: the clock-race tests and the 300-round delay test loop on their own; the 100,000-nak run is a load
        // test; S31 on NATS.Net waits out the client's request timeout in wall time, the same in every round.
        var cases = ContentionRunner.Cases(
            [
                typeof(InMemoryContractTests), typeof(JetStreamOnEngineContractTests), typeof(InMemoryEngineTests),
                typeof(FaultInjectionTests), typeof(LifecycleTests), typeof(LongDurationTests), typeof(VirtualClockTests),
                typeof(VirtualTimeTests),
            ],
            exclude: m => m.Name.Contains("Rounds", StringComparison.Ordinal)
                || m.Name.Contains("HundredThousand", StringComparison.Ordinal)
                || (m.DeclaringType == typeof(ContractSuite) && m.Name.StartsWith("S31_SubjectOverTheMaximumControlLine", StringComparison.Ordinal) && m.ReflectedType == typeof(JetStreamOnEngineContractTests)));

        var report = await ContentionRunner.RunAsync(ContentionRunner.Only(cases), ContentionRunner.Rounds(byDefault: 2), TestContext.Current.CancellationToken);

        Assert.True(report.Length == 0, report);
        Assert.True(cases.Count > 300, $"only {cases.Count} cases found: the runner no longer sees the suite's tests");
    }
}
