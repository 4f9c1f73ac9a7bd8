using System.Collections.Concurrent;
using FluentAssertions;
using Goflux.Codecs;
using Goflux.InMemory;
using Goflux.Streaming;
using Goflux.Tests.Shared;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>How a failing handler's message is settled.</summary>
public enum FailurePath
{
    /// <summary>Auto-ack: the handler throws, the pipeline naks.</summary>
    AutoAck,

    /// <summary>RetryAck, a retryable error: nak with the policy's delay.</summary>
    RetryAckRetryable,

    /// <summary>RetryAck, a non-retryable error: term with "non-retryable: …".</summary>
    RetryAckNonRetryable,

    /// <summary>RetryAck, the last allowed attempt: term with "gave up after N attempts: …".</summary>
    RetryAckLastAttempt,

    /// <summary>The decoder throws: term with "decode failed: …".</summary>
    DecodeFailure,

    /// <summary>ToChannel + ProcessAsync with a RetryAck handler, non-retryable: term.</summary>
    ProcessAsync,
}

/// <summary>
/// Every failure path settles whatever the exception says (S-83): each hostile text of <see cref="ExceptionTexts"/> is
/// one message; the handler (or the decoder) throws it, and each delivery must end settled as the path says, with the
/// term reason the server reports in its advisory equal to the sanitised text. A settlement that threw would leave the
/// message pending (ack wait 5 minutes), and the scenario would see it unsettled.
/// </summary>
public abstract partial class ContractSuite
{
    private static readonly RetryPolicy FailureRetry = new() { InitialDelay = TimeSpan.FromSeconds(1), MaxAttempts = 5 };

    [Theory]
    [InlineData(FailurePath.AutoAck)]
    [InlineData(FailurePath.RetryAckRetryable)]
    [InlineData(FailurePath.RetryAckNonRetryable)]
    [InlineData(FailurePath.RetryAckLastAttempt)]
    [InlineData(FailurePath.DecodeFailure)]
    [InlineData(FailurePath.ProcessAsync)]
    public async Task S83_FailingHandler_HostileExceptionTexts_EveryDeliverySettlesAsThePolicySays(FailurePath path)
    {
        var (stream, prefix) = Unique("S83F");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromMinutes(5));
        var labels = ExceptionTexts.All.Select(t => t.Label).ToArray();
        await using (var publisher = B.CreatePublisher(Codec))
        {
            foreach (var label in labels)
            {
                await publisher.PublishAsync(prefix + ".orders", new Event(label, label), cancellationToken: Ct);
            }
        }

        var handled = 0;
        var allHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var expectedHandled = path is FailurePath.AutoAck or FailurePath.RetryAckRetryable ? 2 * labels.Length : labels.Length;
        MessageHandler<Event> throwing = (m, _) => m.Delivery!.Value.NumDelivered == 1
            ? throw ExceptionTexts.Create(m.Payload.Name)
            : ValueTask.CompletedTask;
        MessageHandler<Event> counted(MessageHandler<Event> inner) => async (m, ct) =>
        {
            try
            {
                await inner(m, ct);
            }
            finally
            {
                if (Interlocked.Increment(ref handled) == expectedHandled)
                {
                    allHandled.TrySetResult();
                }
            }
        };

        var decoder = path == FailurePath.DecodeFailure ? new ThrowingEventDecoder() : (IMessageDecoder<Event>)Codec;
        var manual = SubscriberOptions.Default with { ManualAck = true };
        var subscriber = await B.CreateSubscriberAsync(stream, "c", decoder, path is FailurePath.AutoAck or FailurePath.DecodeFailure ? null : manual);
        using var stop = new CancellationTokenSource();
        Task running;
        switch (path)
        {
            case FailurePath.AutoAck:
                running = subscriber.SubscribeAsync(prefix + ".>", counted(throwing), stop.Token);
                break;
            case FailurePath.RetryAckRetryable:
                running = subscriber.SubscribeAsync(prefix + ".>", counted(Middleware.RetryAck<Event>(FailureRetry)(throwing)), stop.Token);
                break;
            case FailurePath.RetryAckNonRetryable:
                running = subscriber.SubscribeAsync(prefix + ".>", counted(Middleware.RetryAck<Event>(FailureRetry with { ShouldRetry = _ => false })(throwing)), stop.Token);
                break;
            case FailurePath.RetryAckLastAttempt:
                running = subscriber.SubscribeAsync(prefix + ".>", counted(Middleware.RetryAck<Event>(FailureRetry with { MaxAttempts = 1 })(throwing)), stop.Token);
                break;
            case FailurePath.DecodeFailure:
                running = subscriber.SubscribeAsync(prefix + ".>", (_, _) => throw new InvalidOperationException("the handler never runs"), stop.Token);
                allHandled.TrySetResult();
                break;
            default:
                var reader = subscriber.ToChannel(prefix + ".>", 4, stop.Token);
                running = reader.ProcessAsync(2, counted(Middleware.RetryAck<Event>(FailureRetry with { ShouldRetry = _ => false })(throwing)), stop.Token);
                break;
        }

        try
        {
            if (path == FailurePath.RetryAckRetryable)
            {
                await B.EventuallyAsync(() => Task.FromResult(Volatile.Read(ref handled)), n => n >= labels.Length);
                await B.LetTimePassAsync(TimeSpan.FromSeconds(1.5)); // past the policy's 1 s nak delay
            }

            await allHandled.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct); // a hang guard; on the engine it completes without time passing
            var n = (ulong)labels.Length;
            var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumAckPending == 0 && i.AckFloor?.StreamSeq == n);
            info.NumAckPending.Should().Be(0, "no delivery may be left unsettled ({0})", Counters(info));
            info.AckFloor!.StreamSeq.Should().Be(n);

            var advisories = await B.AdvisoriesAsync(stream, atLeast: labels.Length);
            switch (path)
            {
                case FailurePath.AutoAck or FailurePath.RetryAckRetryable:
                    info.Delivered!.ConsumerSeq.Should().Be(2 * n, "each message failed once and came back once");
                    advisories.Where(a => a.Type == JetStreamAdvisory.NakType).Select(a => a.StreamSequence).Should().BeEquivalentTo(Enumerable.Range(1, labels.Length).Select(i => (ulong)i));
                    advisories.Should().NotContain(a => a.Type == JetStreamAdvisory.TerminatedType);
                    break;
                default:
                    var prefixText = path switch
                    {
                        FailurePath.RetryAckLastAttempt => "gave up after 1 attempts: ",
                        FailurePath.DecodeFailure => "decode failed: ",
                        _ => "non-retryable: ",
                    };
                    info.Delivered!.ConsumerSeq.Should().Be(n, "a terminated message is never redelivered");
                    var reasons = advisories.Where(a => a.Type == JetStreamAdvisory.TerminatedType).ToDictionary(a => a.StreamSequence!.Value, a => a.Reason);
                    reasons.Should().HaveCount(labels.Length);
                    for (var i = 0; i < labels.Length; i++)
                    {
                        reasons[(ulong)i + 1].Should().Be(ExceptionTexts.ExpectedReason(prefixText, labels[i]), "the reason of case '{0}'", labels[i]);
                    }

                    break;
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await running.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            }
            catch (OperationCanceledException)
            {
            }

            await subscriber.DisposeAsync();
        }
    }

    /// <summary>Decodes an event, then fails with the hostile text its name picks.</summary>
    private sealed class ThrowingEventDecoder : IMessageDecoder<Event>
    {
        public Event Decode(ReadOnlySpan<byte> data) => throw ExceptionTexts.Create(Codec.Decode(data).Name);
    }
}
