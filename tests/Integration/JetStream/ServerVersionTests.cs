using FluentAssertions;
using Goflux.JetStream.Internal;
using Xunit;

namespace Goflux.Integration.Tests.JetStream;

/// <summary>Which servers get a terminate reason, without a server.</summary>
public sealed class ServerVersionTests
{
    [Theory]
    [InlineData("2.10.27", true)]
    [InlineData("2.10.4", true)]
    [InlineData("2.11.0-beta.2", true)]
    [InlineData("v2.12.1", true)]
    [InlineData("2.10.3", false)]
    [InlineData("2.9.10", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("garbage", false)]
    public void SupportsTermReason_Version_OnlyFrom2_10_4(string? version, bool expected)
    {
        var parsed = ServerVersion.Parse(version);

        (parsed is { } v && v >= ServerVersion.TermReasonMinimum).Should().Be(expected);
    }

    [Fact]
    public void Parse_PreReleaseSuffix_IsIgnored()
    {
        ServerVersion.Parse("2.11.0-beta.2").Should().Be(new Version(2, 11, 0));
        ServerVersion.Parse("2.10").Should().Be(new Version(2, 10, 0));
    }
}
