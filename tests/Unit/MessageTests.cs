using Goflux.Tests.Fakes;
using Goflux.Transport;

namespace Goflux.Tests;

public class MessageTests
{
    private static readonly DeliveryInfo Delivery = new("ORDERS", "worker", 42, 7, 2, 5, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    public static TheoryData<string> SettleActions => ["ack", "nak", "nak-delay", "term"];

    [Fact]
    public void Constructor_Defaults_ExposeWhatWasGiven()
    {
        // Arrange
        var headers = new MessageHeaders().Add("k", "v");

        // Act
        var message = new Message<string>("orders.created", "payload", headers, "id-1", Delivery);

        // Assert
        message.Subject.Should().Be("orders.created");
        message.Payload.Should().Be("payload");
        message.Headers.Should().BeSameAs(headers);
        message.MessageId.Should().Be("id-1");
        message.Delivery.Should().Be(Delivery);
        message.Delivery!.Value.Redelivered.Should().BeTrue();
        message.Outcome.Should().Be(AckOutcome.None);
        message.IsSettled.Should().BeFalse();
        message.Capabilities.Should().Be(AckCapabilities.None);
    }

    [Fact]
    public void Delivery_AnAckerHoldingTheSameMetadata_IsReadFromTheAcker()
    {
        // Arrange
        var acker = new RecordingAcker { Delivery = Delivery };

        // Act
        var message = new Message<string>("orders.created", "payload", delivery: Delivery, acker: acker);
        var later = Delivery with { NumPending = 99 };
        acker.Delivery = later;

        // Assert: the message keeps no copy, it reads the acker's metadata.
        message.Delivery.Should().Be(later);
    }

    [Fact]
    public void Delivery_AnAckerHoldingOtherOrNoMetadata_KeepsTheGivenMetadata()
    {
        // Arrange
        var other = new RecordingAcker { Delivery = Delivery with { StreamSequence = 1 } };
        var none = new RecordingAcker();

        // Act
        var withOther = new Message<string>("a", "p", delivery: Delivery, acker: other);
        var withNone = new Message<string>("a", "p", delivery: Delivery, acker: none);
        var withoutDelivery = new Message<string>("a", "p", acker: other);

        // Assert
        withOther.Delivery.Should().Be(Delivery);
        withNone.Delivery.Should().Be(Delivery);
        withoutDelivery.Delivery.Should().BeNull("a message built without metadata has none, whatever its acker holds");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TermOrNakWithDelay_MessageKeepingItsOwnMetadata_KeepsBothTheMetadataAndWhatTheSettlingCarried(bool term)
    {
        // Arrange: the metadata is the message's own (the acker holds other), so the message keeps it beside the
        // term reason or nak delay it is settled with.
        var acker = new RecordingAcker { Delivery = Delivery with { StreamSequence = 1 } };
        var message = new Message<string>("a", "p", delivery: Delivery, acker: acker);

        // Act
        var settled = term
            ? await message.TermAsync("poison", TestContext.Current.CancellationToken)
            : await message.NakAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        // Assert
        settled.Should().BeTrue();
        message.Delivery.Should().Be(Delivery);
        message.TermReason.Should().Be(term ? "poison" : null);
        message.NakDelay.Should().Be(term ? null : TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task TermAsync_NoReason_KeepsTheMetadataAndReportsNoReason()
    {
        // Arrange
        var message = new Message<string>("a", "p", delivery: Delivery, acker: new RecordingAcker());

        // Act
        await message.TermAsync(cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        message.Outcome.Should().Be(AckOutcome.Terminated);
        message.TermReason.Should().BeNull();
        message.NakDelay.Should().BeNull();
        message.Delivery.Should().Be(Delivery);
    }

    [Fact]
    public void Constructor_NoHeaders_UsesReadOnlyEmpty()
    {
        // Act
        var message = new Message<int>("a", 1);

        // Assert
        message.Headers.Should().BeSameAs(MessageHeaders.Empty);
        message.Delivery.Should().BeNull();
        message.MessageId.Should().BeNull();
    }

    [Theory]
    [MemberData(nameof(SettleActions))]
    public async Task AckNakOrTerm_SecondSettleOfAnyKind_ReturnsFalseAndSendsNothingMore(string first)
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var acker = new RecordingAcker();
        var message = new Message<string>("a", "p", acker: acker);
        var firstResult = await Settle(message, first, ct);
        var outcome = message.Outcome;

        // Act
        var results = new List<bool>();
        foreach (var action in SettleActions)
        {
            results.Add(await Settle(message, action, ct));
        }

        // Assert
        firstResult.Should().BeTrue();
        results.Should().AllSatisfy(r => r.Should().BeFalse());
        acker.Calls.Should().HaveCount(1);
        message.Outcome.Should().Be(outcome);
        message.IsSettled.Should().BeTrue();
    }

    [Fact]
    public async Task AckAsync_FirstCall_SendsAckAndRecordsOutcome()
    {
        // Arrange
        var acker = new RecordingAcker();
        var message = new Message<string>("a", "p", acker: acker);

        // Act
        var settled = await message.AckAsync(TestContext.Current.CancellationToken);

        // Assert
        settled.Should().BeTrue();
        acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
        message.Outcome.Should().Be(AckOutcome.Acked);
    }

    [Fact]
    public async Task NakAsync_NoDelay_SendsImmediateNak()
    {
        // Arrange
        var acker = new RecordingAcker();
        var message = new Message<string>("a", "p", acker: acker);

        // Act
        await message.NakAsync(TestContext.Current.CancellationToken);

        // Assert
        acker.Calls.Should().Equal(new AckCall(AckKind.Nak, Delay: null));
        message.Outcome.Should().Be(AckOutcome.Naked);
        message.NakDelay.Should().BeNull();
    }

    [Fact]
    public async Task NakAsync_WithDelayAndCapability_SendsDelay()
    {
        // Arrange
        var acker = new RecordingAcker(AckCapabilities.NakDelay);
        var message = new Message<string>("a", "p", acker: acker);

        // Act
        await message.NakAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        // Assert
        acker.Calls.Should().Equal(new AckCall(AckKind.Nak, Delay: TimeSpan.FromSeconds(30)));
        message.Outcome.Should().Be(AckOutcome.NakedWithDelay);
        message.NakDelay.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task NakAsync_WithDelayButNoDelayCapability_FallsBackToPlainNak()
    {
        // Arrange
        var acker = new RecordingAcker(AckCapabilities.All & ~AckCapabilities.NakDelay);
        var message = new Message<string>("a", "p", acker: acker);

        // Act
        var settled = await message.NakAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        // Assert
        settled.Should().BeTrue();
        acker.Calls.Should().Equal(new AckCall(AckKind.Nak, Delay: null));
        message.Outcome.Should().Be(AckOutcome.Naked);
        message.NakDelay.Should().BeNull();
    }

    [Fact]
    public async Task NakAsync_NegativeDelay_ThrowsAndLeavesMessageUnsettled()
    {
        // Arrange
        var acker = new RecordingAcker();
        var message = new Message<string>("a", "p", acker: acker);

        // Act
        var act = () => message.NakAsync(TimeSpan.FromTicks(-1), TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().ThrowAsync<ArgumentOutOfRangeException>();
        message.IsSettled.Should().BeFalse();
        acker.Calls.Should().BeEmpty();
        (await message.AckAsync(TestContext.Current.CancellationToken)).Should().BeTrue();
    }

    [Fact]
    public async Task NakAsync_ZeroDelay_IsAllowed()
    {
        // Arrange
        var acker = new RecordingAcker();
        var message = new Message<string>("a", "p", acker: acker);

        // Act
        var settled = await message.NakAsync(TimeSpan.Zero, TestContext.Current.CancellationToken);

        // Assert
        settled.Should().BeTrue();
        acker.Calls.Should().Equal(new AckCall(AckKind.Nak, Delay: TimeSpan.Zero));
    }

    [Fact]
    public async Task TermAsync_WithCapability_SendsTermWithReason()
    {
        // Arrange
        var acker = new RecordingAcker();
        var message = new Message<string>("a", "p", acker: acker);

        // Act
        await message.TermAsync("poison", TestContext.Current.CancellationToken);

        // Assert
        acker.Calls.Should().Equal(new AckCall(AckKind.Term, Reason: "poison"));
        message.Outcome.Should().Be(AckOutcome.Terminated);
        message.TermReason.Should().Be("poison");
    }

    [Fact]
    public async Task TermAsync_NoTermCapability_FallsBackToAck()
    {
        // Arrange
        var acker = new RecordingAcker(AckCapabilities.NakDelay | AckCapabilities.InProgress);
        var message = new Message<string>("a", "p", acker: acker);

        // Act
        var settled = await message.TermAsync("poison", TestContext.Current.CancellationToken);

        // Assert
        settled.Should().BeTrue();
        acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
        message.Outcome.Should().Be(AckOutcome.Acked);
        message.TermReason.Should().BeNull();
    }

    [Theory]
    [InlineData("bad\r")]
    [InlineData("bad\nreason")]
    public async Task TermAsync_ReasonWithCrOrLf_ThrowsAndLeavesMessageUnsettled(string reason)
    {
        // Arrange
        var acker = new RecordingAcker();
        var message = new Message<string>("a", "p", acker: acker);

        // Act
        var act = () => message.TermAsync(reason, TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().ThrowAsync<ArgumentException>().WithMessage("*CR or LF*");
        message.IsSettled.Should().BeFalse();
        acker.Calls.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(SettleActions))]
    public async Task AckNakOrTerm_NoAcker_SettlesLocallyOnce(string action)
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var message = new Message<string>("a", "p");

        // Act
        var first = await Settle(message, action, ct);
        var second = await message.AckAsync(ct);

        // Assert
        first.Should().BeTrue();
        second.Should().BeFalse();
        message.IsSettled.Should().BeTrue();
        message.Outcome.Should().Be(action switch
        {
            "ack" => AckOutcome.Acked,
            "nak" => AckOutcome.Naked,
            "nak-delay" => AckOutcome.NakedWithDelay,
            _ => AckOutcome.Terminated,
        });
    }

    [Fact]
    public async Task InProgressAsync_BeforeSettle_SignalsWithoutSettling()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var acker = new RecordingAcker();
        var message = new Message<string>("a", "p", acker: acker);

        // Act
        var first = await message.InProgressAsync(ct);
        var second = await message.InProgressAsync(ct);
        var acked = await message.AckAsync(ct);

        // Assert
        first.Should().BeTrue();
        second.Should().BeTrue();
        acked.Should().BeTrue();
        acker.Calls.Should().Equal(new AckCall(AckKind.InProgress), new AckCall(AckKind.InProgress), new AckCall(AckKind.Ack));
    }

    [Fact]
    public async Task InProgressAsync_AfterSettle_IsNoOp()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var acker = new RecordingAcker();
        var message = new Message<string>("a", "p", acker: acker);
        await message.NakAsync(ct);

        // Act
        var signalled = await message.InProgressAsync(ct);

        // Assert
        signalled.Should().BeFalse();
        acker.Calls.Should().Equal(new AckCall(AckKind.Nak));
    }

    [Fact]
    public async Task InProgressAsync_NoCapabilityOrNoAcker_ReturnsFalse()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var acker = new RecordingAcker(AckCapabilities.Term);
        var withAcker = new Message<string>("a", "p", acker: acker);
        var withoutAcker = new Message<string>("a", "p");

        // Act
        var a = await withAcker.InProgressAsync(ct);
        var b = await withoutAcker.InProgressAsync(ct);

        // Assert
        a.Should().BeFalse();
        b.Should().BeFalse();
        acker.Calls.Should().BeEmpty();
        withAcker.IsSettled.Should().BeFalse();
    }

    [Theory]
    [InlineData("ack", false)]
    [InlineData("ack", true)]
    [InlineData("nak", false)]
    [InlineData("nak", true)]
    [InlineData("nak-delay", false)]
    [InlineData("nak-delay", true)]
    [InlineData("term", false)]
    [InlineData("term", true)]
    [InlineData("in-progress", false)]
    [InlineData("in-progress", true)]
    public async Task AckNakTermOrInProgress_TransportFails_ThrowsGofluxExceptionStageTransportWithCause(string action, bool synchronously)
    {
        // Arrange
        var cause = new IOException("connection reset");
        var acker = new RecordingAcker { FailWith = cause, FailSynchronously = synchronously };
        var message = new Message<string>("orders.created", "p", acker: acker);

        // Act
        var act = () => (action == "in-progress" ? message.InProgressAsync(TestContext.Current.CancellationToken) : Settle(message, action, TestContext.Current.CancellationToken)).AsTask();

        // Assert
        var thrown = await act.Should().ThrowAsync<GofluxException>();
        thrown.Which.Stage.Should().Be(GofluxStage.Transport);
        thrown.Which.InnerException.Should().BeSameAs(cause);
        thrown.Which.Subject.Should().Be("orders.created");
        thrown.Which.Message.Should().Contain("connection reset");
        acker.Calls.Should().HaveCount(1);
    }

    [Fact]
    public async Task AckAsync_TransportCancelled_PropagatesCancellationUnwrapped()
    {
        // Arrange
        var acker = new RecordingAcker { FailWith = new OperationCanceledException() };
        var message = new Message<string>("a", "p", acker: acker);

        // Act
        var act = () => message.AckAsync(TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task AckAsync_ConcurrentSettles_ExactlyOneWins()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var acker = new RecordingAcker();
        var message = new Message<string>("a", "p", acker: acker);

        // Act
        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() => (i % 2 == 0 ? message.AckAsync(ct) : message.NakAsync(ct)).AsTask(), ct)));

        // Assert
        results.Count(r => r).Should().Be(1);
        acker.Calls.Should().HaveCount(1);
    }

    private static ValueTask<bool> Settle<T>(Message<T> message, string action, CancellationToken ct) => action switch
    {
        "ack" => message.AckAsync(ct),
        "nak" => message.NakAsync(ct),
        "nak-delay" => message.NakAsync(TimeSpan.FromSeconds(5), ct),
        "term" => message.TermAsync("reason", ct),
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };
}
