using FluentAssertions;
using Goflux.JetStream.Internal;
using Goflux.Transport;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Xunit;

namespace Goflux.Integration.Tests.JetStream;

/// <summary>The acker of one JetStream delivery reads the delivery's metadata from its ack subject only when asked.</summary>
public sealed class JetStreamAckerTests
{
    private static readonly JetStreamAckContext Context = new("ORDERS", "worker", null, JetStreamAcker.Base);

    [Fact]
    public void Delivery_AskedFor_ReadsTheAckSubjectThenAndWithoutAllocating()
    {
        // Arrange
        var msg = new FakeJSMsg("$JS.ACK.ORDERS.worker.2.42.17.1700000000000000000.5");
        var acker = new JetStreamAcker<string>(msg, Context);
        var readsBefore = msg.ReplyToReads;
        _ = acker.Delivery; // compiled before measuring

        // Act
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var delivery = acker.Delivery;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        // Assert
        readsBefore.Should().Be(0, "building the acker reads nothing from the delivery");
        delivery.Should().Be(new DeliveryInfo("ORDERS", "worker", 42, 17, 2, 5, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000)));
        delivery!.Value.Stream.Should().BeSameAs(Context.Stream);
        delivery.Value.Consumer.Should().BeSameAs(Context.Consumer);
        allocated.Should().Be(0, "the acker keeps no copy and reading one allocates nothing");
        msg.ReplyToReads.Should().Be(2);
    }

    [Fact]
    public void Delivery_NoAckSubject_IsNullFromNatsNetsOwnReading()
    {
        // Arrange
        var msg = new FakeJSMsg("_INBOX.reply");
        var acker = new JetStreamAcker<string>(msg, Context);

        // Act
        var delivery = acker.Delivery;

        // Assert
        delivery.Should().BeNull();
        msg.MetadataReads.Should().Be(1, "NATS.Net's own reading is the fallback");
    }

    [Fact]
    public void Capabilities_AreTheSubscriptionsContext()
    {
        // Arrange
        var withReason = new JetStreamAckContext("ORDERS", "worker", null, JetStreamAcker.Base | AckCapabilities.TermReason);

        // Act
        var acker = new JetStreamAcker<string>(new FakeJSMsg(null), withReason);

        // Assert
        acker.Capabilities.Should().Be(AckCapabilities.NakDelay | AckCapabilities.Term | AckCapabilities.InProgress | AckCapabilities.TermReason);
    }

    private sealed class FakeJSMsg(string? replyTo) : INatsJSMsg<string>
    {
        private int _replyToReads;
        private int _metadataReads;

        public int ReplyToReads => _replyToReads;

        public int MetadataReads => _metadataReads;

        public string Subject => "orders.created";

        public int Size => 0;

        public NatsHeaders? Headers => null;

        public string? Data => "x";

        public INatsConnection? Connection => null;

        public NatsJSMsgMetadata? Metadata
        {
            get
            {
                Interlocked.Increment(ref _metadataReads);
                return null;
            }
        }

        public string? ReplyTo
        {
            get
            {
                Interlocked.Increment(ref _replyToReads);
                return replyTo;
            }
        }

        public NatsException? Error => null;

        public void EnsureSuccess()
        {
        }

        public ValueTask ReplyAsync(NatsHeaders? headers = null, string? replyTo = null, NatsPubOpts? opts = null, CancellationToken cancellationToken = default) => default;

        public ValueTask AckAsync(AckOpts? opts = null, CancellationToken cancellationToken = default) => default;

        public ValueTask NakAsync(AckOpts? opts = null, CancellationToken cancellationToken = default) => default;

        public ValueTask AckProgressAsync(AckOpts? opts = null, CancellationToken cancellationToken = default) => default;

        public ValueTask AckTerminateAsync(AckOpts? opts = null, CancellationToken cancellationToken = default) => default;
    }
}
