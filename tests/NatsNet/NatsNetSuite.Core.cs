using FluentAssertions;
using NATS.Client.Core;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>Core NATS as NATS.Net uses it: publish, subscribe with wildcards and queue groups, request/reply, headers.</summary>
public abstract partial class NatsNetSuite
{
    [Fact]
    public async Task Core_PublishSubscribe_WildcardsReceiveWhatMatches()
    {
        var (_, p) = Unique("CORE");
        await using var star = await Client.Connection.SubscribeCoreAsync<string>($"{p}.*", cancellationToken: Ct);
        await using var gt = await Client.Connection.SubscribeCoreAsync<string>($"{p}.>", cancellationToken: Ct);
        await Client.PingAsync(Ct); // both subscriptions are known to the server

        await Client.PublishAsync($"{p}.a", "one", cancellationToken: Ct);
        await Client.PublishAsync($"{p}.a.b", "two", cancellationToken: Ct);

        var fromStar = await star.Msgs.ReadAsync(Ct);
        fromStar.Subject.Should().Be($"{p}.a");
        fromStar.Data.Should().Be("one");
        var fromGt = new[] { (await gt.Msgs.ReadAsync(Ct)).Data, (await gt.Msgs.ReadAsync(Ct)).Data };
        fromGt.Should().Equal("one", "two");
        await Client.PingAsync(Ct);
        star.Msgs.TryRead(out _).Should().BeFalse("'*' matches one token only");
    }

    [Fact]
    public async Task Core_Request_ReplyFromAnotherClient_WithHeaders()
    {
        var (_, p) = Unique("REQ");
        await using var responder = await T.NewClientAsync();
        await using var sub = await responder.Connection.SubscribeCoreAsync<string>($"{p}.echo", cancellationToken: Ct);
        await responder.PingAsync(Ct);
        var serve = Task.Run(
            async () =>
            {
                var req = await sub.Msgs.ReadAsync(Ct);
                await req.ReplyAsync($"re:{req.Data}:{req.Headers?["X-Trace"]}", headers: new NatsHeaders { ["X-Answer"] = "42" }, cancellationToken: Ct);
            },
            Ct);

        var reply = await Client.RequestAsync<string, string>($"{p}.echo", "hi", headers: new NatsHeaders { ["X-Trace"] = "t1" }, cancellationToken: Ct);
        await serve;

        reply.Data.Should().Be("re:hi:t1");
        reply.Headers!["X-Answer"].ToString().Should().Be("42");
    }

    [Fact]
    public async Task Core_Request_NobodyListens_NoResponders()
    {
        var (_, p) = Unique("NORESP");

        var act = async () => await Client.RequestAsync<string, string>($"{p}.nobody", "hi", cancellationToken: Ct);

        await act.Should().ThrowAsync<NatsNoRespondersException>();
    }

    [Fact]
    public async Task Core_QueueGroup_EachMessageGoesToOneMember()
    {
        var (_, p) = Unique("QUEUE");
        await using var a = await Client.Connection.SubscribeCoreAsync<int>($"{p}.work", queueGroup: "workers", cancellationToken: Ct);
        await using var b = await Client.Connection.SubscribeCoreAsync<int>($"{p}.work", queueGroup: "workers", cancellationToken: Ct);
        await Client.PingAsync(Ct);

        for (var i = 0; i < 20; i++)
        {
            await Client.PublishAsync($"{p}.work", i, cancellationToken: Ct);
        }

        var got = new List<int>();
        while (got.Count < 20)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            wait.CancelAfter(TimeSpan.FromSeconds(10));
            var read = await Task.WhenAny(a.Msgs.WaitToReadAsync(wait.Token).AsTask(), b.Msgs.WaitToReadAsync(wait.Token).AsTask());
            await read;
            while (a.Msgs.TryRead(out var m))
            {
                got.Add(m.Data);
            }

            while (b.Msgs.TryRead(out var m))
            {
                got.Add(m.Data);
            }
        }

        got.Order().Should().Equal(Enumerable.Range(0, 20), "every message reaches exactly one member of the group");
    }
}
