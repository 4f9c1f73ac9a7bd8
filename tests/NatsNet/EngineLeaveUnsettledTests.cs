using FluentAssertions;
using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>
/// <see cref="InMemoryJetStream.LeaveUnsettled()"/> leaves what the client has read. A client can hold a message its
/// socket reader handed over before that reader comes back for more bytes (NATS.Net dispatches a read buffer, then reads
/// again), so "read" is what was handed to the reader, not what the engine saw dispatched.
/// </summary>
public sealed class EngineLeaveUnsettledTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LeaveUnsettled_AMessageHandedToTheReaderWhichHasNotComeBackForMore_IsLeft()
    {
        // A grace far beyond the hang guard: only LeaveUnsettled can end the wait for this delivery.
        await using var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { TimeProvider = new FakeTimeProvider(), UnsettledGrace = TimeSpan.FromMinutes(30) });
        await engine.CreateOrUpdateStreamAsync(new StreamConfig("S", ["s.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        await engine.CreateOrUpdateConsumerAsync("S", new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit }, Ct);
        await engine.PublishAsync("s.a", "m1"u8.ToArray(), cancellationToken: Ct);
        var opts = engine.CreateNatsOpts();
        await using var reader = new RawReader(await opts.SocketConnectionFactory!.ConnectAsync(new Uri(opts.Url), opts, Ct));
        (await reader.ReadLineAsync()).Should().StartWith("INFO ");
        await reader.SendAsync("CONNECT {\"verbose\":false,\"headers\":true,\"protocol\":1}\r\nPING\r\n");
        (await reader.ReadLineAsync()).Should().Be("PONG");

        // A fetch of one, read off the socket: the reader does not come back for more bytes.
        await reader.SendAsync("SUB _INBOX.f 1\r\nPUB $JS.API.CONSUMER.MSG.NEXT.S.c _INBOX.f 11\r\n{\"batch\":1}\r\n");
        var msg = await reader.ReadLineAsync();
        var payload = await reader.ReadLineAsync();
        engine.LeaveUnsettled();
        await reader.SendAsync("UNSUB 1\r\n"); // the fetch goes away, as NATS.Net's does
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        guard.CancelAfter(TimeSpan.FromSeconds(60)); // a hang guard, not a timing assumption
        var idle = async () => await engine.WaitForIdleAsync(guard.Token);

        msg.Should().StartWith("MSG s.a 1 $JS.ACK.S.c.1.1.1.");
        payload.Should().Be("m1");
        await idle.Should().NotThrowAsync("the message was in the client's hands when it was left");
        var info = await engine.GetConsumerInfoAsync("S", "c", Ct);
        info.NumAckPending.Should().Be(1, "left unsettled, not settled");
    }

    /// <summary>A raw in-process socket, read line by line: the socket is called only when no whole line is buffered.</summary>
    private sealed class RawReader(INatsSocketConnection socket)
        : ProtocolTests.LineReader((buffer, ct) => socket.ReceiveAsync(buffer).AsTask().WaitAsync(ct).ToValueTask())
    {
        public override async Task SendAsync(byte[] bytes) => await socket.SendAsync(bytes);

        public override ValueTask DisposeAsync() => socket.DisposeAsync();
    }
}
