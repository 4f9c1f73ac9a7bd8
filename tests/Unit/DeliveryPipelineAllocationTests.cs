using Goflux.Codecs;
using Goflux.Transport;

namespace Goflux.Tests;

/// <summary>
/// An allocation budget for the delivery pipeline's own path, counted on this thread on a loop that completes
/// synchronously (decoder, handler and acker all finish at once), so the machine's load does not move it. A regression
/// shows here in bytes (a copy of the metadata, a state machine box, a closure per message) before it shows as a slower
/// benchmark.
/// </summary>
public sealed class DeliveryPipelineAllocationTests
{
    /// <summary>The <see cref="Message{T}"/> the handler gets (80 B) is all one delivery may cost the pipeline; the
    /// budget leaves room for noise, not for a second object.</summary>
    private const int BudgetPerMessage = 96;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ProcessAsync_MetadataTheAckersOwn_AllocatesOnlyTheMessage(bool telemetry)
    {
        // Arrange
        var options = SubscriberOptions.Default with { EnableTelemetry = telemetry };
        var sut = new DeliveryPipeline<int>(new FirstByteDecoder(), options, "orders.*", "worker");
        var acker = new SilentAcker();
        var body = new byte[] { 7 };
        var handled = 0;
        MessageHandler<int> handler = (m, _) =>
        {
            handled += m.Payload;
            return ValueTask.CompletedTask;
        };
        Run(1_000).Should().BeTrue("every delivery completes synchronously (warm-up)");

        // Act
        const int count = 20_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var synchronous = Run(count);
        var perMessage = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / count;

        // Assert
        synchronous.Should().BeTrue();
        handled.Should().Be(7 * (1_000 + count));
        acker.Acks.Should().Be(1_000 + count);
        acker.DeliveryReads.Should().Be(1, "the pipeline asks once, for the consumer's stream; no message copies the metadata");
        perMessage.Should().BeLessThan(BudgetPerMessage, "one delivered message costs the pipeline its Message<T>, 80 B");

        bool Run(int n)
        {
            for (var i = 0; i < n; i++)
            {
                if (!sut.ProcessAsync(new IncomingMessage("orders.created", body, null, acker), handler, CancellationToken.None).IsCompletedSuccessfully)
                {
                    return false;
                }
            }

            return true;
        }
    }

    private sealed class FirstByteDecoder : IMessageDecoder<int>
    {
        public int Decode(ReadOnlySpan<byte> data) => data[0];
    }

    /// <summary>Settles at once, allocating nothing; holds metadata that names the stream.</summary>
    private sealed class SilentAcker : IMessageAcker
    {
        private static readonly DeliveryInfo Metadata = new("ORDERS", "worker", 1, 1, 1, 0, DateTimeOffset.UnixEpoch);

        public int Acks { get; private set; }

        public int DeliveryReads { get; private set; }

        public AckCapabilities Capabilities => AckCapabilities.All;

        public DeliveryInfo? Delivery
        {
            get
            {
                DeliveryReads++;
                return Metadata;
            }
        }

        public ValueTask AckAsync(CancellationToken cancellationToken)
        {
            Acks++;
            return default;
        }

        public ValueTask NakAsync(TimeSpan? delay, CancellationToken cancellationToken) => default;

        public ValueTask InProgressAsync(CancellationToken cancellationToken) => default;

        public ValueTask TermAsync(string? reason, CancellationToken cancellationToken) => default;
    }
}
