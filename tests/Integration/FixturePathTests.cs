using FluentAssertions;
using Goflux.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Integration.Tests;

/// <summary>Each way of getting a real server works on its own, and the assembly fixture hands out a working one.</summary>
public sealed class FixturePathTests(NatsServerFixture fixture)
{
    [Fact]
    public async Task StartBinaryAsync_ProvisionedBinary_ServesJetStream()
    {
        var ct = TestContext.Current.CancellationToken;
        var lookup = await NatsServerLocator.FindBinaryAsync(null, ct);
        if (lookup.Path is null)
        {
            Assert.Fail($"No nats-server {NatsServerVersion.Minimum}+ binary found. {NatsServerLocator.HowToGetAServer} " +
                        $"Looked at: {string.Join("; ", lookup.Notes)}.");
        }

        await using var server = await NatsServerLaunchers.StartBinaryAsync(lookup.Path, null, ct);

        server.Source.Should().Be(NatsServerSource.Binary);
        server.Url.Should().StartWith("nats://127.0.0.1:");
        await AssertServesJetStreamAsync(server.Url, ct);
    }

    [Fact]
    public async Task FindBinaryAsync_NoVariableNoPath_FindsTheBinaryProvisionedAboveTheTestBinaries()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new NatsServerOptions
        {
            // What a user's test project in this repository sees without any set-up: no GOFLUX_NATS_SERVER, nothing on PATH.
            Environment = new Dictionary<string, string?> { ["PATH"] = string.Empty },
        };

        var lookup = await NatsServerLocator.FindBinaryAsync(options, ct);

        lookup.Path.Should().NotBeNull(
            $"the default search looks for {NatsServerOptions.DefaultSearchUpwardFor} above the test binaries, where scripts/provision-nats.sh puts it (run it, or `make test`, once). Looked at: {string.Join("; ", lookup.Notes)}");
        lookup.Path.Should().EndWith(NatsServerOptions.DefaultSearchUpwardFor);
    }

    [Fact]
    public async Task StartContainerAsync_DockerEngine_ServesJetStream()
    {
        var ct = TestContext.Current.CancellationToken;
        // Fails (does not skip) with instructions when no Docker engine answers.
        await using var server = await NatsServerLaunchers.StartContainerAsync(NatsServerLocator.ImageFor(NatsServerOptions.Default), null, ct);

        server.Source.Should().Be(NatsServerSource.Testcontainers);
        server.Url.Should().StartWith("nats://127.0.0.1:");
        await AssertServesJetStreamAsync(server.Url, ct);
    }

    [Fact]
    public async Task StartContainerAsync_NoDockerEngine_FailsWithHowTo()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new NatsServerOptions
        {
            Environment = new Dictionary<string, string?>
            {
                ["DOCKER_HOST"] = $"unix://{Path.Combine(Path.GetTempPath(), $"goflux-no-docker-{Guid.NewGuid():N}.sock")}",
            },
        };

        var start = () => NatsServerLaunchers.StartContainerAsync("nats:2.10", options, ct);

        (await start.Should().ThrowAsync<InvalidOperationException>())
            .Which.Message.Should().Contain("No Docker engine answers").And.Contain("Start a Docker engine");
    }

    [Fact]
    public async Task StartAsync_NatsUrlSet_UsesEnvironmentUrl()
    {
        var ct = TestContext.Current.CancellationToken;
        var lookup = await NatsServerLocator.FindBinaryAsync(null, ct);
        lookup.Path.Should().NotBeNull($"a nats-server binary must exist. {NatsServerLocator.HowToGetAServer}");
        await using var running = await NatsServerLaunchers.StartBinaryAsync(lookup.Path!, null, ct);
        var options = new NatsServerOptions
        {
            Environment = new Dictionary<string, string?>
            {
                [NatsServerLocator.UrlVariable] = running.Url,
                // Would otherwise be chosen next; NATS_URL must win over both.
                ["DOCKER_HOST"] = "unix:///var/run/docker.sock",
                [NatsServerLocator.BinaryVariable] = lookup.Path,
            },
        };

        await using var resolved = await NatsServerLocator.StartAsync(options, ct);

        resolved.Source.Should().Be(NatsServerSource.EnvironmentUrl);
        resolved.Url.Should().Be(running.Url);
        await AssertServesJetStreamAsync(resolved.Url, ct);
    }

    [Fact]
    public async Task AssemblyFixture_Started_ServesJetStream()
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.StartAsync(ct);

        fixture.Url.Should().StartWith("nats://");
        NatsServerVersion.IsSupported(fixture.ServerVersion).Should().BeTrue(
            $"the oracle must be nats-server {NatsServerVersion.Minimum}+ (got {fixture.ServerVersion} via {fixture.Source})");
        await using var connection = await fixture.CreateConnectionAsync(ct);
        await AssertServesJetStreamAsync(connection, ct);
    }

    private static async Task AssertServesJetStreamAsync(string url, CancellationToken ct)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = url, Name = "goflux-fixture-path-tests" });
        await connection.ConnectAsync();
        await AssertServesJetStreamAsync(connection, ct);
    }

    private static async Task AssertServesJetStreamAsync(NatsConnection connection, CancellationToken ct)
    {
        var version = connection.ServerInfo?.Version;
        NatsServerVersion.IsSupported(version).Should().BeTrue($"nats-server {NatsServerVersion.Minimum}+ expected, got '{version}'");
        connection.ServerInfo!.JetStreamAvailable.Should().BeTrue("the server must run with -js");

        var js = new NatsJSContext(connection);
        var id = Guid.NewGuid().ToString("N");
        var stream = $"FIXTURE_{id}";
        var subject = $"fixture.{id}";
        await js.CreateStreamAsync(new StreamConfig(stream, [subject]) { Storage = StreamConfigStorage.Memory }, ct);
        try
        {
            var ack = await js.PublishAsync(subject, "hello"u8.ToArray(), cancellationToken: ct);

            ack.Error.Should().BeNull();
            ack.Stream.Should().Be(stream);
            ack.Seq.Should().Be(1);
            ack.Duplicate.Should().BeFalse();
        }
        finally
        {
            await js.DeleteStreamAsync(stream, ct);
        }
    }
}
