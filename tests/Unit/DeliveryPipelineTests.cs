using System.Text;
using System.Text.Json;
using Goflux.Codecs;
using Goflux.Tests.Fakes;
using Goflux.Transport;
using Microsoft.Extensions.Logging;

namespace Goflux.Tests;

public class DeliveryPipelineTests
{
    private static readonly DeliveryInfo Delivery = new("ORDERS", "worker", 101, 55, 3, 9, new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.Zero));

    private readonly RecordingAcker _acker = new();
    private readonly CapturingLogger _logger = new();
    private SubscriberOptions _options;

    public DeliveryPipelineTests() => _options = SubscriberOptions.Default with { Logger = _logger };

    [Fact]
    public async Task ProcessAsync_HandlerReturns_AcksOnce()
    {
        // Arrange
        var sut = CreateSut();
        Message<string>? seen = null;

        // Act
        await sut.ProcessAsync(Incoming("hello"), (m, _) =>
        {
            seen = m;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Assert
        seen!.Payload.Should().Be("hello");
        seen.Subject.Should().Be("orders.created");
        _acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
        seen.Outcome.Should().Be(AckOutcome.Acked);
    }

    [Fact]
    public async Task ProcessAsync_HandlerThrows_NaksLogsAndDoesNotThrow()
    {
        // Arrange
        var sut = CreateSut();
        var error = new InvalidOperationException("handler broke");

        // Act
        var act = () => sut.ProcessAsync(Incoming("x"), (_, _) => throw error, TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().NotThrowAsync();
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak));
        var entry = _logger.Entries.Should().ContainSingle(e => e.EventId.Id == 2).Subject;
        entry.Level.Should().Be(LogLevel.Error);
        entry.Exception.Should().BeSameAs(error);
        entry.Message.Should().Contain("orders.created");
    }

    [Fact]
    public async Task ProcessAsync_HandlerThrowsAsynchronously_Naks()
    {
        // Arrange
        var sut = CreateSut();

        // Act
        await sut.ProcessAsync(Incoming("x"), async (_, _) =>
        {
            await Task.Yield();
            throw new TimeoutException();
        }, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak));
    }

    [Fact]
    public async Task ProcessAsync_HandlerSettledItself_NoAutomaticSettle()
    {
        // Arrange
        var sut = CreateSut();

        // Act
        await sut.ProcessAsync(Incoming("x"), async (m, ct) => await m.TermAsync("mine", ct), TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Term, Reason: "mine"));
    }

    [Fact]
    public async Task ProcessAsync_HandlerSettledThenThrew_NoNak()
    {
        // Arrange
        var sut = CreateSut();

        // Act
        await sut.ProcessAsync(Incoming("x"), async (m, ct) =>
        {
            await m.AckAsync(ct);
            throw new InvalidOperationException();
        }, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
    }

    [Fact]
    public async Task ProcessAsync_ManualAckHandlerReturns_NothingAutomatic()
    {
        // Arrange
        _options = _options with { ManualAck = true };
        var sut = CreateSut();

        // Act
        await sut.ProcessAsync(Incoming("x"), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().BeEmpty();
    }

    [Fact]
    public async Task ProcessAsync_ManualAckHandlerThrows_NothingAutomaticButLogged()
    {
        // Arrange
        _options = _options with { ManualAck = true };
        var sut = CreateSut();

        // Act
        await sut.ProcessAsync(Incoming("x"), (_, _) => throw new InvalidOperationException(), TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().BeEmpty();
        _logger.Entries.Should().ContainSingle(e => e.EventId.Id == 2);
    }

    [Fact]
    public async Task ProcessAsync_ManualAckWithAutoAckMiddleware_HandlerThrows_NaksExactlyOnce()
    {
        // Arrange
        _options = _options with { ManualAck = true };
        var sut = CreateSut();
        var handler = Middleware.Apply<string>((_, _) => throw new InvalidOperationException(), Middleware.AutoAck<string>());

        // Act
        await sut.ProcessAsync(Incoming("x"), handler, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak));
    }

    [Fact]
    public async Task ProcessAsync_DecodeFails_TermsWithReasonLogsAndNeverRunsHandler()
    {
        // Arrange
        var cause = new FormatException("unexpected byte\r\nat 3");
        var sut = new DeliveryPipeline<string>(new ThrowingDecoder<string>(cause), _options, "orders.*", "worker");
        var handlerRan = false;

        // Act
        await sut.ProcessAsync(Incoming("x"), (_, _) =>
        {
            handlerRan = true;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Assert
        handlerRan.Should().BeFalse();
        var call = _acker.Calls.Should().ContainSingle().Subject;
        call.Kind.Should().Be(AckKind.Term);
        call.Reason.Should().Be("decode failed: unexpected byte at 3");
        var entry = _logger.Entries.Should().ContainSingle().Subject;
        entry.EventId.Id.Should().Be(1);
        entry.Level.Should().Be(LogLevel.Error);
        entry.Exception.Should().BeSameAs(cause);
        entry.Message.Should().Contain("orders.created");
    }

    [Fact]
    public void Decode_DecoderThrows_ReturnsTheFailureInsteadOfThrowing()
    {
        // Arrange
        var cause = new FormatException("bad");
        var sut = new DeliveryPipeline<string>(new ThrowingDecoder<string>(cause), _options, "orders.*", null);

        // Act
        var decoded = sut.Decode("abc"u8);

        // Assert
        decoded.IsDecoded.Should().BeTrue();
        decoded.Error.Should().BeSameAs(cause);
        decoded.Payload.Should().BeNull();
        decoded.BodyLength.Should().Be(3);
    }

    [Fact]
    public async Task ProcessAsync_DecodedAhead_HandlerGetsThatPayloadAndTheBodyIsNotDecodedAgain()
    {
        // Arrange: the body handed over later is not even valid for the decoder.
        var decodes = 0;
        var decoder = new CountingDecoder(() => decodes++);
        var sut = new DeliveryPipeline<string>(decoder, _options, "orders.*", null);
        var decoded = sut.Decode("ahead"u8);
        string? seen = null;

        // Act
        await sut.ProcessAsync(Incoming(string.Empty), decoded, (m, _) =>
        {
            seen = m.Payload;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Assert
        seen.Should().Be("ahead");
        decodes.Should().Be(1);
        _acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
    }

    [Fact]
    public async Task ProcessAsync_DecodedAheadFailed_TermsWithTheDecodersReasonAndNeverRunsHandler()
    {
        // Arrange
        var sut = new DeliveryPipeline<string>(new ThrowingDecoder<string>(new FormatException("  unexpected\tbyte \u00e9 ")), _options, "orders.*", null);
        var decoded = sut.Decode("x"u8);
        var handlerRan = false;

        // Act
        await sut.ProcessAsync(Incoming("x"), decoded, (_, _) =>
        {
            handlerRan = true;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Assert
        handlerRan.Should().BeFalse();
        var call = _acker.Calls.Should().ContainSingle().Subject;
        call.Kind.Should().Be(AckKind.Term);
        call.Reason.Should().StartWith("decode failed: unexpected");
        _logger.Entries.Should().ContainSingle(e => e.EventId.Id == 1);
    }

    [Fact]
    public async Task ProcessAsync_NothingDecodedAhead_DecodesTheBody()
    {
        // Arrange
        var sut = CreateSut();
        string? seen = null;

        // Act
        await sut.ProcessAsync(Incoming("body"), default, (m, _) =>
        {
            seen = m.Payload;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Assert
        seen.Should().Be("body");
    }

    [Fact]
    public async Task ProcessAsync_InvalidJson_TermsThroughTheJsonCodec()
    {
        // Arrange
        var sut = new DeliveryPipeline<int[]>(new JsonCodec<int[]>(JsonSerializerOptions.Default), _options, "orders.*", null);
        var handlerRan = false;

        // Act
        await sut.ProcessAsync(Incoming("{not json"), (_, _) =>
        {
            handlerRan = true;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Assert
        handlerRan.Should().BeFalse();
        _acker.Calls.Should().ContainSingle().Which.Kind.Should().Be(AckKind.Term);
        _acker.Calls[0].Reason.Should().StartWith("decode failed: ");
    }

    [Fact]
    public async Task ProcessAsync_DecodeFailsWithoutTermCapability_AcksInstead()
    {
        // Arrange
        var acker = new RecordingAcker(AckCapabilities.None);
        var sut = new DeliveryPipeline<string>(new ThrowingDecoder<string>(new FormatException()), _options, "orders.*", null);

        // Act
        await sut.ProcessAsync(Incoming("x", acker: acker), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
    }

    [Fact]
    public async Task ProcessAsync_SettleFails_LogsAndDoesNotThrow()
    {
        // Arrange
        var acker = new RecordingAcker { FailWith = new IOException("gone") };
        var sut = CreateSut();

        // Act
        var act = () => sut.ProcessAsync(Incoming("x", acker: acker), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().NotThrowAsync();
        var entry = _logger.Entries.Should().ContainSingle(e => e.EventId.Id == 3).Subject;
        entry.Level.Should().Be(LogLevel.Warning);
        entry.Exception.Should().BeOfType<GofluxException>().Which.Stage.Should().Be(GofluxStage.Transport);
    }

    [Fact]
    public async Task ProcessAsync_WireHeaders_HandlerSeesOnlyApplicationHeadersWithoutPrefix()
    {
        // Arrange
        var wire = new MessageHeaders()
            .Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
            .Add(WireHeaders.MessageId, "id-7")
            .Add(WireHeaders.NatsMsgId, "id-7")
            .Add("X-Goflux-Tenant", "acme")
            .Add("X-Goflux-Tag", "a")
            .Add("X-Goflux-Tag", "b")
            .Add("X-Goflux-", "no name")
            .Add("x-goflux-Other", "wrong case prefix")
            .Add("Custom", "not ours");
        var sut = CreateSut();
        Message<string>? seen = null;

        // Act
        await sut.ProcessAsync(Incoming("x", wire), (m, _) =>
        {
            seen = m;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Assert
        seen!.Headers.Names.Should().Equal("Tenant", "Tag");
        seen.Headers["Tenant"].Should().Be("acme");
        seen.Headers.TryGetValues("Tag", out var tags).Should().BeTrue();
        tags.Should().Equal("a", "b");
        seen.MessageId.Should().Be("id-7");
    }

    [Fact]
    public async Task ProcessAsync_NoHeaders_MessageHasEmptyHeadersAndNoId()
    {
        // Arrange
        var sut = CreateSut();
        Message<string>? seen = null;

        // Act
        await sut.ProcessAsync(Incoming("x"), (m, _) =>
        {
            seen = m;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Assert
        seen!.Headers.Count.Should().Be(0);
        seen.MessageId.Should().BeNull();
    }

    [Fact]
    public async Task ProcessAsync_DeliveryInfo_PassedThroughToTheMessage()
    {
        // Arrange
        var sut = CreateSut();
        Message<string>? seen = null;

        // Act
        await sut.ProcessAsync(Incoming("x", delivery: Delivery), (m, _) =>
        {
            seen = m;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Assert
        seen!.Delivery.Should().Be(Delivery);
        seen.Delivery!.Value.NumDelivered.Should().Be(3);
        seen.Delivery.Value.Redelivered.Should().BeTrue();
        seen.Capabilities.Should().Be(AckCapabilities.All);
    }

    [Fact]
    public async Task ProcessAsync_DeliveryTheAckersOwn_MessageReadsItThroughTheAckerOnlyWhenAsked()
    {
        // Arrange
        var sut = CreateSut();
        // The first delivery names the consumer's stream for the metrics; the pipeline does not ask again.
        await sut.ProcessAsync(Incoming("first", delivery: Delivery), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);
        var acker = new RecordingAcker { Delivery = Delivery };
        Message<string>? seen = null;
        var readsInHandler = -1;

        // Act
        await sut.ProcessAsync(new IncomingMessage("orders.created", "x"u8.ToArray(), null, acker), (m, _) =>
        {
            seen = m;
            readsInHandler = acker.DeliveryReads;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);
        acker.Delivery = Delivery with { NumPending = 0 };
        var later = seen!.Delivery;

        // Assert
        readsInHandler.Should().Be(0, "a delivery whose metadata no one reads never asks its acker for it");
        later.Should().Be(Delivery with { NumPending = 0 }, "the message keeps no copy: it reads the acker's metadata when asked");
        acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
    }

    [Fact]
    public void IncomingMessage_DeliveryTheAckersOwn_ReadsTheAckersCurrentMetadata()
    {
        // Arrange
        var acker = new RecordingAcker();
        var incoming = new IncomingMessage("orders.created", ReadOnlyMemory<byte>.Empty, null, acker);
        var before = incoming.Delivery;

        // Act
        acker.Delivery = Delivery;

        // Assert
        before.Should().BeNull();
        incoming.Delivery.Should().Be(Delivery);
        incoming.Acker.Should().BeSameAs(acker);
    }

    [Fact]
    public void IncomingMessage_DeliveryTheAckersOwnWithoutAnAcker_Throws()
    {
        // Act
        var act = () => new IncomingMessage("orders.created", ReadOnlyMemory<byte>.Empty, null, null!);

        // Assert
        act.Should().Throw<ArgumentNullException>().WithParameterName("acker");
    }

    [Fact]
    public async Task ProcessAsync_NoDeliveryInfo_MessageDeliveryIsNull()
    {
        // Arrange
        var sut = CreateSut();
        Message<string>? seen = null;

        // Act
        await sut.ProcessAsync(Incoming("x", delivery: null), (m, _) =>
        {
            seen = m;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Assert
        seen!.Delivery.Should().BeNull();
    }

    [Fact]
    public async Task ProcessAsync_NoAcker_SettlesLocally()
    {
        // Arrange
        var sut = CreateSut();
        Message<string>? seen = null;

        // Act
        await sut.ProcessAsync(new IncomingMessage("orders.created", Encoding.UTF8.GetBytes("x"), null, null, null), (m, _) =>
        {
            seen = m;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Assert
        seen!.Outcome.Should().Be(AckOutcome.Acked);
    }

    [Fact]
    public async Task ProcessAsync_CancellationToken_ReachesTheHandler()
    {
        // Arrange
        using var cts = new CancellationTokenSource();
        var sut = CreateSut();
        CancellationToken seen = default;

        // Act
        await sut.ProcessAsync(Incoming("x"), (_, ct) =>
        {
            seen = ct;
            return ValueTask.CompletedTask;
        }, cts.Token);

        // Assert
        seen.Should().Be(cts.Token);
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        // Act
        var noDecoder = () => new DeliveryPipeline<string>(null!, null, "a", null);
        var badSubject = () => new DeliveryPipeline<string>(Utf8Codec.Instance, null, "a.>.b", null);
        var badOptions = () => new DeliveryPipeline<string>(Utf8Codec.Instance, SubscriberOptions.Default with { MaxMessages = 0, TimeProvider = null! }, "a", null);

        // Assert
        noDecoder.Should().Throw<ArgumentNullException>();
        badSubject.Should().Throw<ArgumentException>().WithParameterName("subscription");
        badOptions.Should().Throw<ArgumentException>().Which.Message.Should().Contain("MaxMessages").And.Contain("TimeProvider");
    }

    [Fact]
    public async Task ProcessAsync_NullHandler_Throws()
    {
        // Arrange
        var sut = CreateSut();

        // Act
        var act = () => sut.ProcessAsync(Incoming("x"), null!, TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().ThrowAsync<ArgumentNullException>();
        _acker.Calls.Should().BeEmpty();
    }

    private DeliveryPipeline<string> CreateSut() => new(Utf8Codec.Instance, _options, "orders.*", "worker");

    private IncomingMessage Incoming(string body, MessageHeaders? headers = null, DeliveryInfo? delivery = null, RecordingAcker? acker = null)
        => new("orders.created", Encoding.UTF8.GetBytes(body), headers, delivery, acker ?? _acker);

    private sealed class CountingDecoder(Action counted) : IMessageDecoder<string>
    {
        public string Decode(ReadOnlySpan<byte> data)
        {
            counted();
            return data.IsEmpty ? throw new FormatException("empty") : Encoding.UTF8.GetString(data);
        }
    }
}
