using System.Text;
using Goflux.Tests.Fakes;
using Goflux.Transport;

namespace Goflux.Tests;

public class PublishPipelineTests
{
    private readonly FakeTransportPublisher _transport = new();
    private PublisherOptions _options = PublisherOptions.Default;

    [Fact]
    public async Task PublishAsync_ValidMessage_SendsEncodedBodyAndReturnsTransportResult()
    {
        // Arrange
        var sut = CreateSut();

        // Act
        var result = await sut.PublishAsync("orders.created", "héllo", null, TestContext.Current.CancellationToken);

        // Assert
        result.Should().Be(new PublishResult("TEST", 1, false));
        var sent = _transport.Sent.Should().ContainSingle().Subject;
        sent.Subject.Should().Be("orders.created");
        sent.Body.Should().Equal(Encoding.UTF8.GetBytes("héllo"));
    }

    [Fact]
    public async Task PublishAsync_TwoPublishes_EachBodyIsItsOwn()
    {
        // Arrange
        var sut = CreateSut();
        var ct = TestContext.Current.CancellationToken;

        // Act
        await sut.PublishAsync("a", "first-and-longer", null, ct);
        await sut.PublishAsync("a", "second", null, ct);

        // Assert
        _transport.Sent.Select(s => Encoding.UTF8.GetString(s.Body)).Should().Equal("first-and-longer", "second");
    }

    [Theory]
    [InlineData("")]
    [InlineData("orders created")]
    [InlineData("a..b")]
    [InlineData("a.*")]
    [InlineData("a.>")]
    [InlineData("a.\tb")]
    [InlineData("a.b\r\n")]
    public async Task PublishAsync_InvalidSubject_ThrowsArgumentExceptionNamingSubjectAndSendsNothing(string subject)
    {
        // Arrange
        var encoder = new CountingEncoder();
        var sut = new PublishPipeline<string>(_transport, encoder, _options);

        // Act
        var act = () => sut.PublishAsync(subject, "x", null, TestContext.Current.CancellationToken).AsTask();

        // Assert
        var thrown = await act.Should().ThrowAsync<ArgumentException>();
        thrown.Which.ParamName.Should().Be("subject");
        thrown.Which.Message.Should().Contain($"'{Printable(subject)}'");
        _transport.Sent.Should().BeEmpty();
        encoder.Calls.Should().Be(0);
    }

    [Fact]
    public async Task PublishAsync_NullSubject_ThrowsArgumentNullExceptionAndSendsNothing()
    {
        // Arrange
        var sut = CreateSut();

        // Act
        var act = () => sut.PublishAsync(null!, "x", null, TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().ThrowAsync<ArgumentNullException>().WithParameterName("subject");
        _transport.Sent.Should().BeEmpty();
    }

    [Fact]
    public async Task PublishAsync_NullPayload_ThrowsArgumentNullExceptionNamingSubjectAndSendsNothing()
    {
        // Arrange
        var encoder = new CountingEncoder();
        var sut = new PublishPipeline<string>(_transport, encoder, _options);

        // Act
        var act = () => sut.PublishAsync("orders.created", null!, null, TestContext.Current.CancellationToken).AsTask();

        // Assert
        (await act.Should().ThrowAsync<ArgumentNullException>().WithParameterName("value")).Which.Message.Should().Contain("orders.created");
        _transport.Sent.Should().BeEmpty();
        encoder.Calls.Should().Be(0);
    }

    [Theory]
    [InlineData("id\r\n")]
    [InlineData("id\nX-Injected: 1")]
    public async Task PublishAsync_MessageIdWithCrOrLf_ThrowsArgumentExceptionAndSendsNothing(string messageId)
    {
        // Arrange
        var sut = CreateSut();

        // Act
        var act = () => sut.PublishAsync("a", "x", new PublishOptions { MessageId = messageId }, TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().ThrowAsync<ArgumentException>().WithMessage("*X-Message-ID*CR or LF*");
        _transport.Sent.Should().BeEmpty();
    }

    [Fact]
    public async Task PublishAsync_EmptyMessageId_ThrowsArgumentExceptionAndSendsNothing()
    {
        // Arrange
        var sut = CreateSut();

        // Act
        var act = () => sut.PublishAsync("a", "x", new PublishOptions { MessageId = string.Empty }, TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().ThrowAsync<ArgumentException>().WithMessage("*message id*empty*");
        _transport.Sent.Should().BeEmpty();
    }

    [Fact]
    public void PublishOptionsHeaders_ValueWithCrLf_IsRejectedBeforeAPublishCanCarryIt()
    {
        // Arrange
        var headers = new MessageHeaders();

        // Act
        var act = () => headers.Add("Note", "a\r\nNats-Msg-Id: forged");

        // Assert
        act.Should().Throw<ArgumentException>().WithMessage("*'Note'*CR or LF*");
        headers.Count.Should().Be(0);
    }

    [Fact]
    public async Task PublishAsync_PayloadOverMaxPayload_ThrowsPublishStageAndSendsNothing()
    {
        // Arrange
        var transport = new FakeTransportPublisher { MaxPayload = 10 };
        var sut = new PublishPipeline<string>(transport, Utf8Codec.Instance, _options);

        // Act
        var act = () => sut.PublishAsync("big", new string('x', 11), null, TestContext.Current.CancellationToken).AsTask();

        // Assert
        var thrown = await act.Should().ThrowAsync<GofluxException>();
        thrown.Which.Stage.Should().Be(GofluxStage.Publish);
        thrown.Which.Subject.Should().Be("big");
        thrown.Which.Message.Should().Contain("11 bytes").And.Contain("10 bytes").And.Contain("nothing was sent");
        thrown.Which.IsPermanent.Should().BeTrue("no retry can make an oversized message fit");
        transport.Sent.Should().BeEmpty();
    }

    [Fact]
    public async Task PublishAsync_PayloadExactlyMaxPayload_IsSent()
    {
        // Arrange
        var transport = new FakeTransportPublisher { MaxPayload = 10 };
        var sut = new PublishPipeline<string>(transport, Utf8Codec.Instance, _options);

        // Act
        await sut.PublishAsync("fits", new string('x', 10), null, TestContext.Current.CancellationToken);

        // Assert
        transport.Sent.Should().ContainSingle();
    }

    [Fact]
    public async Task PublishAsync_BodyFitsButHeadersPushItOver_ThrowsAndSendsNothing()
    {
        // Arrange
        var transport = new FakeTransportPublisher { MaxPayload = 20 };
        var sut = new PublishPipeline<string>(transport, Utf8Codec.Instance, _options);

        // Act
        var act = () => sut.PublishAsync("a", new string('x', 15), new PublishOptions { MessageId = "id-1" }, TestContext.Current.CancellationToken).AsTask();

        // Assert
        (await act.Should().ThrowAsync<GofluxException>()).Which.Stage.Should().Be(GofluxStage.Publish);
        transport.Sent.Should().BeEmpty();
    }

    [Fact]
    public async Task PublishAsync_EncoderThrows_ThrowsEncodeStageWithCauseAndSendsNothing()
    {
        // Arrange
        var cause = new NotSupportedException("cannot encode");
        var sut = new PublishPipeline<string>(_transport, new ThrowingEncoder<string>(cause), _options);

        // Act
        var act = () => sut.PublishAsync("orders.created", "x", null, TestContext.Current.CancellationToken).AsTask();

        // Assert
        var thrown = await act.Should().ThrowAsync<GofluxException>();
        thrown.Which.Stage.Should().Be(GofluxStage.Encode);
        thrown.Which.InnerException.Should().BeSameAs(cause);
        thrown.Which.Subject.Should().Be("orders.created");
        thrown.Which.Message.Should().Contain("cannot encode");
        _transport.Sent.Should().BeEmpty();
    }

    [Fact]
    public async Task PublishAsync_TransportThrowsArbitraryException_ThrowsPublishStageWithCause()
    {
        // Arrange
        var cause = new IOException("broken pipe");
        _transport.OnPublish = (_, _) => throw cause;
        var sut = CreateSut();

        // Act
        var act = () => sut.PublishAsync("orders.created", "x", null, TestContext.Current.CancellationToken).AsTask();

        // Assert
        var thrown = await act.Should().ThrowAsync<GofluxException>();
        thrown.Which.Stage.Should().Be(GofluxStage.Publish);
        thrown.Which.InnerException.Should().BeSameAs(cause);
        thrown.Which.Subject.Should().Be("orders.created");
        thrown.Which.Message.Should().Contain("broken pipe");
    }

    [Fact]
    public async Task PublishAsync_TransportFaultsAsynchronously_ThrowsPublishStageWithCause()
    {
        // Arrange
        var cause = new TimeoutException("no ack");
        _transport.OnPublish = async (_, _) =>
        {
            await Task.Yield();
            throw cause;
        };
        var sut = CreateSut();

        // Act
        var act = () => sut.PublishAsync("a", "x", null, TestContext.Current.CancellationToken).AsTask();

        // Assert
        (await act.Should().ThrowAsync<GofluxException>()).Which.InnerException.Should().BeSameAs(cause);
    }

    [Fact]
    public async Task PublishAsync_TransportThrowsGofluxException_PassesItThroughUnwrapped()
    {
        // Arrange
        var original = new GofluxException(GofluxStage.Transport, "stream not found", subject: "a", errorCode: 10059);
        _transport.OnPublish = (_, _) => throw original;
        var sut = CreateSut();

        // Act
        var act = () => sut.PublishAsync("a", "x", null, TestContext.Current.CancellationToken).AsTask();

        // Assert
        var thrown = await act.Should().ThrowAsync<GofluxException>();
        thrown.Which.Should().BeSameAs(original);
        thrown.Which.ErrorCode.Should().Be(10059);
    }

    [Fact]
    public async Task PublishAsync_TransportCancelled_PropagatesOperationCanceledException()
    {
        // Arrange
        _transport.OnPublish = (_, ct) => throw new OperationCanceledException(ct);
        var sut = CreateSut();

        // Act
        var act = () => sut.PublishAsync("a", "x", null, TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task PublishAsync_CancellationToken_ReachesTheTransport()
    {
        // Arrange
        using var cts = new CancellationTokenSource();
        CancellationToken seen = default;
        _transport.OnPublish = (_, ct) =>
        {
            seen = ct;
            return new(new PublishResult("S", 1, false));
        };
        var sut = CreateSut();

        // Act
        await sut.PublishAsync("a", "x", null, cts.Token);

        // Assert
        seen.Should().Be(cts.Token);
    }

    [Fact]
    public async Task PublishAsync_MessageId_SentAsXMessageIdWithoutNatsMsgIdByDefault()
    {
        // Arrange
        var sut = CreateSut();

        // Act
        await sut.PublishAsync("a", "x", new PublishOptions { MessageId = "order-42" }, TestContext.Current.CancellationToken);

        // Assert
        var headers = _transport.Sent.Single().Headers!;
        headers[WireHeaders.MessageId].Should().Be("order-42");
        headers.Contains(WireHeaders.NatsMsgId).Should().BeFalse();
    }

    [Fact]
    public async Task PublishAsync_DeduplicateByMessageId_AlsoSendsNatsMsgId()
    {
        // Arrange
        _options = _options with { DeduplicateByMessageId = true };
        var sut = CreateSut();

        // Act
        await sut.PublishAsync("a", "x", new PublishOptions { MessageId = "order-42" }, TestContext.Current.CancellationToken);

        // Assert
        var headers = _transport.Sent.Single().Headers!;
        headers[WireHeaders.MessageId].Should().Be("order-42");
        headers["Nats-Msg-Id"].Should().Be("order-42");
    }

    [Fact]
    public async Task PublishAsync_DeduplicateWithoutMessageId_SendsNoNatsMsgId()
    {
        // Arrange
        _options = _options with { DeduplicateByMessageId = true };
        var sut = CreateSut();

        // Act
        await sut.PublishAsync("a", "x", new PublishOptions { Headers = new MessageHeaders().Add("k", "v") }, TestContext.Current.CancellationToken);

        // Assert
        var headers = _transport.Sent.Single().Headers!;
        headers.Contains(WireHeaders.NatsMsgId).Should().BeFalse();
        headers.Contains(WireHeaders.MessageId).Should().BeFalse();
    }

    [Fact]
    public async Task PublishAsync_ApplicationHeaders_SentPrefixedWithCaseAndValuesKept()
    {
        // Arrange
        var app = new MessageHeaders().Add("Tenant", "acme").Add("Tag", "a").Add("Tag", "b");
        var sut = CreateSut();

        // Act
        await sut.PublishAsync("a", "x", new PublishOptions { Headers = app }, TestContext.Current.CancellationToken);

        // Assert
        var headers = _transport.Sent.Single().Headers!;
        headers.Names.Should().Contain("X-Goflux-Tenant");
        headers["X-Goflux-Tenant"].Should().Be("acme");
        headers.TryGetValues("X-Goflux-Tag", out var tags).Should().BeTrue();
        tags.Should().Equal("a", "b");
        headers.Contains("Tenant").Should().BeFalse();
        app.Names.Should().Equal(["Tenant", "Tag"], "the caller's headers are not modified");
    }

    [Fact]
    public async Task PublishAsync_TokenCancelledBeforeSending_OperationCanceledAndNothingSent()
    {
        // Arrange
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var sut = CreateSut();

        // Act
        var act = () => sut.PublishAsync("a", "x", null, cts.Token).AsTask();

        // Assert
        await act.Should().ThrowAsync<OperationCanceledException>();
        _transport.Sent.Should().BeEmpty();
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("   ")]
    [InlineData("\t")]
    public async Task PublishAsync_WhitespaceMessageId_RejectedBeforeSending(string id)
    {
        // Arrange
        var sut = CreateSut();

        // Act
        var act = () => sut.PublishAsync("a", "x", new PublishOptions { MessageId = id }, TestContext.Current.CancellationToken).AsTask();

        // Assert
        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("must not be empty or whitespace");
        _transport.Sent.Should().BeEmpty();
    }

    [Fact]
    public async Task PublishAsync_SubjectOverMaxLength_RejectedBeforeSending_MaxLengthItselfSent()
    {
        // Arrange
        var longest = "a." + new string('x', Subjects.MaxLength - 2);
        var tooLong = longest + "y";
        var multiByte = "a." + new string('\u00e9', Subjects.MaxLength / 2);
        var sut = CreateSut();

        // Act
        await sut.PublishAsync(longest, "x", null, TestContext.Current.CancellationToken);
        var over = () => sut.PublishAsync(tooLong, "x", null, TestContext.Current.CancellationToken).AsTask();
        var overInBytes = () => sut.PublishAsync(multiByte, "x", null, TestContext.Current.CancellationToken).AsTask();

        // Assert
        (await over.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain($"{Subjects.MaxLength + 1} bytes long, over the limit of {Subjects.MaxLength} bytes");
        (await overInBytes.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain($"{Subjects.MaxLength + 2} bytes long");
        _transport.Sent.Should().ContainSingle().Which.Subject.Should().Be(longest);
    }

    [Fact]
    public void Constructor_NullArguments_Throw()
    {
        // Act
        var noTransport = () => new PublishPipeline<string>(null!, Utf8Codec.Instance);
        var noEncoder = () => new PublishPipeline<string>(_transport, null!);
        var noClock = () => new PublishPipeline<string>(_transport, Utf8Codec.Instance, PublisherOptions.Default with { TimeProvider = null! });

        // Assert
        noTransport.Should().Throw<ArgumentNullException>();
        noEncoder.Should().Throw<ArgumentNullException>();
        noClock.Should().Throw<ArgumentException>().WithMessage("*TimeProvider must not be null*");
    }

    [Fact]
    public void Constructor_NullOptions_UsesDefault()
    {
        // Act
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance, null);

        // Assert
        sut.Options.Should().BeSameAs(PublisherOptions.Default);
        sut.Options.EnableTelemetry.Should().BeTrue();
        sut.Options.DeduplicateByMessageId.Should().BeFalse();
    }

    private PublishPipeline<string> CreateSut() => new(_transport, Utf8Codec.Instance, _options);

    private static string Printable(string s) => s
        .Replace("\r", "\\r", StringComparison.Ordinal)
        .Replace("\n", "\\n", StringComparison.Ordinal)
        .Replace("\t", "\\t", StringComparison.Ordinal);

    private sealed class CountingEncoder : Codecs.IMessageEncoder<string>
    {
        public int Calls { get; private set; }

        public void Encode(string value, System.Buffers.IBufferWriter<byte> output)
        {
            Calls++;
            Utf8Codec.Instance.Encode(value, output);
        }
    }
}
