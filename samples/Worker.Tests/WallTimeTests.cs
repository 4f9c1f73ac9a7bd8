using System.Diagnostics;
using FluentAssertions;
using FluentAssertions.Extensions;
using Goflux.Testing;
using Xunit;

namespace Shipping.Tests;

/// <summary>On the engine the worker's test moves virtual time: its 30-second nak delay costs no wall time.</summary>
public sealed class WallTimeTests
{
    [Fact]
    public async Task ShippingCase_OnTheEngineAfterJit_TakesWellUnderASecondOfWallTime()
    {
        var tests = new ShippingTests();
        await tests.OrderPlaced_CarrierTimesOutOnce_NakedFor30sThenBookedAndAnnounced(TestBackendKind.InMemory); // JIT

        var wall = Stopwatch.StartNew();
        await tests.OrderPlaced_CarrierTimesOutOnce_NakedFor30sThenBookedAndAnnounced(TestBackendKind.InMemory);
        wall.Stop();

        // Measured at 9-36 ms on a loaded 2-core machine; a wait on the wall clock anywhere would take the 30 s of the delay.
        TestContext.Current.TestOutputHelper?.WriteLine($"shipping case on the engine: {wall.Elapsed.TotalMilliseconds:0.0} ms");
        wall.Elapsed.Should().BeLessThan(1.Seconds(), "host start, a 30-second nak delay in virtual time and host stop");
    }
}
