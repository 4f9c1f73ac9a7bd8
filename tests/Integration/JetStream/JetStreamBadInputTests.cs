using FluentAssertions;
using Goflux.JetStream;
using Goflux.Testing;
using NATS.Client.Core;
using Xunit;

namespace Goflux.Integration.Tests.JetStream;

/// <summary>Invalid publishes fail with an exception that names the problem, and nothing reaches the stream.</summary>
public sealed class JetStreamBadInputTests(NatsServerFixture server)
{
    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("{0}.a b", "whitespace")]
    [InlineData("{0}..b", "empty token")]
    [InlineData("{0}.", "empty token")]
    [InlineData("{0}.*", "wildcard token '*'")]
    [InlineData("{0}.>", "wildcard token '>'")]
    public async Task PublishAsync_InvalidSubject_ThrowsArgumentExceptionAndSendsNothing(string pattern, string problem)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        var subject = string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, scope.Prefix);

        var act = async () => await publisher.PublishAsync(subject, new Event("1", "x"), cancellationToken: ct);

        var thrown = await act.Should().ThrowAsync<ArgumentException>();
        thrown.Which.ParamName.Should().Be("subject");
        thrown.Which.Message.Should().Contain(problem).And.Contain($"'{subject}'");
        (await scope.MessageCountAsync(ct)).Should().Be(0);
    }

    [Fact]
    public async Task PublishAsync_NullSubject_ThrowsArgumentNullException()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);

        var act = async () => await publisher.PublishAsync(null!, new Event("1", "x"), cancellationToken: ct);

        (await act.Should().ThrowAsync<ArgumentNullException>()).Which.ParamName.Should().Be("subject");
        (await scope.MessageCountAsync(ct)).Should().Be(0);
    }

    [Fact]
    public async Task PublishAsync_NullPayload_ThrowsArgumentNullExceptionAndSendsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);

        var act = async () => await publisher.PublishAsync(scope.Subject(), null!, cancellationToken: ct);

        var thrown = await act.Should().ThrowAsync<ArgumentNullException>();
        thrown.Which.ParamName.Should().Be("value");
        thrown.Which.Message.Should().Contain("must not be null").And.Contain(scope.Subject());
        (await scope.MessageCountAsync(ct)).Should().Be(0);
    }

    [Theory]
    [InlineData("Bad\r\nName", "ok", "contains CR or LF")]
    [InlineData("Name", "bad\nvalue", "contains CR or LF")]
    [InlineData("Name", "bad\rvalue", "contains CR or LF")]
    public void MessageHeaders_CrLf_ThrowsArgumentException(string name, string value, string problem)
    {
        var act = () => new MessageHeaders().Add(name, value);

        act.Should().Throw<ArgumentException>().WithMessage($"*{problem}*");
    }

    [Fact]
    public async Task PublishAsync_MessageIdWithCrLf_ThrowsArgumentExceptionAndSendsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);

        var act = async () => await publisher.PublishAsync(scope.Subject(), new Event("1", "x"), new PublishOptions { MessageId = "id\r\nInjected: yes" }, ct);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("X-Message-ID").And.Contain("CR or LF");
        (await scope.MessageCountAsync(ct)).Should().Be(0);
    }

    [Fact]
    public async Task PublishAsync_PayloadOverMaxPayload_ThrowsGofluxExceptionAndSendsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        var max = scope.Connection.ServerInfo!.MaxPayload;

        var act = async () => await publisher.PublishAsync(scope.Subject(), new Event("1", new string('x', max)), cancellationToken: ct);

        var thrown = await act.Should().ThrowAsync<GofluxException>();
        thrown.Which.Stage.Should().Be(GofluxStage.Publish);
        thrown.Which.Subject.Should().Be(scope.Subject());
        thrown.Which.Message.Should().Contain($"max payload of {max} bytes").And.Contain("nothing was sent");
        thrown.Which.IsPermanent.Should().BeTrue();
        scope.Connection.ConnectionState.Should().Be(NatsConnectionState.Open, "the server would close a connection that sent an oversized message");
        (await scope.MessageCountAsync(ct)).Should().Be(0);
    }

    [Fact]
    public async Task PublishAsync_NeverConnectedConnectionAndPayloadOverMaxPayload_ThrowsGofluxException()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var fresh = new NatsConnection(new NatsOpts { Url = server.Url });
        var js = new NATS.Client.JetStream.NatsJSContext(fresh);
        await using var publisher = new JetStreamPublisher<Event>(js, EventJsonContext.Codec);

        var act = async () => await publisher.PublishAsync(scope.Subject(), new Event("1", new string('x', 2 * 1024 * 1024)), cancellationToken: ct);

        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        thrown.Stage.Should().Be(GofluxStage.Publish);
        thrown.Message.Should().Contain("max payload");
        fresh.ConnectionState.Should().Be(NatsConnectionState.Open);
        (await scope.MessageCountAsync(ct)).Should().Be(0);
    }
}
