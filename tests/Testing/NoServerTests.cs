namespace Goflux.Testing.Tests;

/// <summary>Without a server anywhere, a JetStream backend fails with the guidance message; nothing is skipped.</summary>
public sealed class NoServerTests
{
    private static NatsServerOptions Nowhere() => new()
    {
        // The default search finds this repository's provisioned binary; look for one that is nowhere instead.
        SearchUpwardFor = "goflux-nowhere/nats-server",
        Environment = new Dictionary<string, string?>
        {
            ["DOCKER_HOST"] = $"unix://{Path.Combine(Path.GetTempPath(), $"goflux-no-docker-{Guid.NewGuid():N}.sock")}",
            ["PATH"] = Path.Combine(Path.GetTempPath(), $"goflux-empty-{Guid.NewGuid():N}"),
        },
    };

    [Fact]
    public async Task StartAsync_NoServerAnywhere_FailsWithHowToGetOne()
    {
        var start = () => NatsServerLocator.StartAsync(Nowhere(), TestContext.Current.CancellationToken);

        (await start.Should().ThrowAsync<InvalidOperationException>())
            .Which.Message.Should().Contain("NATS_URL").And.Contain("Docker").And.Contain("GOFLUX_NATS_SERVER")
            .And.Contain("GOFLUX_TEST_BACKENDS=inmemory").And.Contain("no Docker engine answers")
            .And.Contain(NatsServerOptions.DefaultSearchUpwardFor, "the how-to names the path the fixture searches")
            .And.Contain("goflux-nowhere/nats-server in the test binaries' folder or any folder above it", "the searched path is listed among what was looked at");
    }

    [Fact]
    public async Task TestBackend_JetStreamWithoutServer_FailsWithGuidanceEveryTime()
    {
        await using var fixture = NatsServerFixture.Create(Nowhere());
        var options = new TestBackendOptions { Server = fixture };

        var start = () => TestBackend.StartAsync(TestBackendKind.JetStream, options, TestContext.Current.CancellationToken);

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("No NATS server for the JetStream tests");
        (await start.Should().ThrowAsync<InvalidOperationException>("a failed start is remembered, not retried"))
            .Which.Message.Should().Contain("No NATS server for the JetStream tests");
        fixture.IsStarted.Should().BeFalse();
    }

    [Fact]
    public async Task TestBackend_InMemory_NeedsNoServer()
    {
        await using var backend = await TestBackend.StartAsync(TestBackendKind.InMemory, new TestBackendOptions { Server = NatsServerFixture.Create(Nowhere()) }, TestContext.Current.CancellationToken);

        backend.Engine.Should().NotBeNull();
        backend.IsVirtualTime.Should().BeTrue();
    }

    [Theory]
    [InlineData(null, true, true)]
    [InlineData("", true, true)]
    [InlineData("inmemory", true, false)]
    [InlineData("InMemory, JetStream", true, true)]
    [InlineData("jetstream", false, true)]
    public void IsSelected_Variable_SelectsBackends(string? value, bool inMemory, bool jetStream)
    {
        TestBackends.IsSelected(TestBackendKind.InMemory, value).Should().Be(inMemory);
        TestBackends.IsSelected(TestBackendKind.JetStream, value).Should().Be(jetStream);
    }

    [Fact]
    public void IsSelected_UnknownName_ThrowsNamingIt()
    {
        var select = () => TestBackends.IsSelected(TestBackendKind.InMemory, "inmemroy");

        select.Should().Throw<ArgumentException>().WithMessage("*'inmemroy'*not a backend*");
    }
}
