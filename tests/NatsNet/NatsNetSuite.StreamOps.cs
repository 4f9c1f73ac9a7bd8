using FluentAssertions;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using NATS.Net;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>Purge by subject / keep / sequence, message delete, get by subject, direct get, max bytes, Key/Value (S-14, S-68).</summary>
public abstract partial class NatsNetSuite
{
    [Fact]
    public async Task StreamOps_PurgeByFilterKeepAndSequence()
    {
        var (s, p) = Unique("PURGEF");
        var stream = await StreamAsync(s, p);
        for (var i = 1; i <= 3; i++)
        {
            await Js.PublishAsync($"{p}.a", Bytes($"a{i}"), cancellationToken: Ct);
            await Js.PublishAsync($"{p}.b", Bytes($"b{i}"), cancellationToken: Ct);
        }

        var byFilter = await Js.PurgeStreamAsync(s, new StreamPurgeRequest { Filter = $"{p}.a", Keep = 1 }, Ct);
        var bySeq = await Js.PurgeStreamAsync(s, new StreamPurgeRequest { Seq = 4 }, Ct);
        await stream.RefreshAsync(Ct);
        var left = await FetchNowAsync(await ConsumerAsync(s, "c"), 10);

        byFilter.Purged.Should().Be(2, "keep 1 of the three on .a");
        bySeq.Purged.Should().Be(1, "below sequence 4 only b1 was left");
        left.Select(Text).Should().Equal("b2", "a3", "b3");
        stream.Info.State.Messages.Should().Be(3);
    }

    [Fact]
    public async Task StreamOps_PurgeWithSequenceAndKeep_BadRequest10003()
    {
        var (s, p) = Unique("PURGESK");
        await StreamAsync(s, p);

        var act = async () => await Js.PurgeStreamAsync(s, new StreamPurgeRequest { Seq = 2, Keep = 1 }, Ct);

        (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10003);
    }

    [Fact]
    public async Task StreamOps_DeleteMessage_ThenGetIsNotFound_AndDeletingAgainFails()
    {
        var (s, p) = Unique("MSGDEL");
        var stream = await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 3);

        var deleted = await Js.DeleteMessageAsync(s, new StreamMsgDeleteRequest { Seq = 2 }, Ct);
        var get = async () => await stream.GetAsync(new StreamMsgGetRequest { Seq = 2 }, Ct);
        var again = async () => await Js.DeleteMessageAsync(s, new StreamMsgDeleteRequest { Seq = 2 }, Ct);
        await stream.RefreshAsync(Ct);

        deleted.Success.Should().BeTrue();
        (await get.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10037);
        (await again.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10043, "sequence not found");
        stream.Info.State.Messages.Should().Be(2);
        stream.Info.State.NumDeleted.Should().Be(1);
    }

    [Fact]
    public async Task StreamOps_GetLastAndNextBySubject()
    {
        var (s, p) = Unique("GETSUBJ");
        var stream = await StreamAsync(s, p);
        await Js.PublishAsync($"{p}.a", Bytes("a1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.b", Bytes("b1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.a", Bytes("a2"), cancellationToken: Ct);

        var last = await stream.GetAsync(new StreamMsgGetRequest { LastBySubj = $"{p}.a" }, Ct);
        var next = await stream.GetAsync(new StreamMsgGetRequest { NextBySubj = $"{p}.b", Seq = 1 }, Ct);
        var none = async () => await stream.GetAsync(new StreamMsgGetRequest { LastBySubj = $"{p}.zzz" }, Ct);

        last.Message.Seq.Should().Be(3);
        next.Message.Seq.Should().Be(2);
        (await none.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10037);
    }

    [Fact]
    public async Task StreamOps_DirectGetLastBySubject_InTheSubject()
    {
        var (s, p) = Unique("DIRSUBJ");
        await StreamAsync(s, p, c => c.AllowDirect = true);
        await Js.PublishAsync($"{p}.a", Bytes("a1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.a", Bytes("a2"), cancellationToken: Ct);

        var msg = await Client.RequestAsync<byte[], string>($"$JS.API.DIRECT.GET.{s}.{p}.a", [], cancellationToken: Ct);

        msg.Data.Should().Be("a2");
        msg.Headers!["Nats-Sequence"].ToString().Should().Be("2");
    }

    [Fact]
    public async Task StreamOps_FetchByMaxBytes_EndsWhereTheNextMessageWouldNotFit()
    {
        var (s, p) = Unique("MBYTES");
        await StreamAsync(s, p);
        for (var i = 0; i < 5; i++)
        {
            await Js.PublishAsync($"{p}.a", new byte[100], cancellationToken: Ct);
        }

        var c = await ConsumerAsync(s, "c");

        // Each delivery counts its subject, ack subject and payload, about 175 bytes: two fit in 500, three do not.
        var got = new List<INatsJSMsg<byte[]>>();
        await foreach (var m in c.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxBytes = 500, Expires = TimeSpan.FromSeconds(5) }, cancellationToken: Ct))
        {
            got.Add(m);
        }

        got.Should().HaveCount(2, "S-68: the request ends with 409 Message Size Exceeds MaxBytes");
        (await Js.GetConsumerAsync(s, "c", Ct)).Info.NumPending.Should().Be(3);
    }

    [Fact]
    public async Task KeyValue_PutGetUpdateDelete_AsNatsNetsKeyValueStoreDoesThem()
    {
        var (bucket, _) = Unique("kv");
        var kv = Client.CreateKeyValueStoreContext();
        var store = await kv.CreateStoreAsync(new NatsKVConfig(bucket) { History = 3, Storage = NatsKVStorageType.Memory }, Ct);

        var r1 = await store.PutAsync("color", "red", cancellationToken: Ct);
        var r2 = await store.UpdateAsync("color", "blue", r1, cancellationToken: Ct);
        var stale = async () => await store.UpdateAsync("color", "green", r1, cancellationToken: Ct);
        var entry = await store.GetEntryAsync<string>("color", cancellationToken: Ct);
        await store.DeleteAsync("color", cancellationToken: Ct);
        var gone = async () => await store.GetEntryAsync<string>("color", cancellationToken: Ct);

        r2.Should().Be(r1 + 1);
        await stale.Should().ThrowAsync<NatsKVWrongLastRevisionException>();
        entry.Value.Should().Be("blue");
        entry.Revision.Should().Be(r2);
        await gone.Should().ThrowAsync<NatsKVKeyDeletedException>();
        await kv.DeleteStoreAsync(bucket, Ct);
    }

    /// <summary>
    /// Key/Value as applications read it: the keys (an ordered push consumer, headers only, last per subject), a key's
    /// history, a watch that sends what is there and then each change, and a purge that leaves a marker. NATS.Net builds
    /// all of these from push consumers with flow control and idle heartbeats and from direct gets.
    /// </summary>
    [Fact]
    public async Task KeyValue_KeysHistoryWatchAndPurge_AsNatsNetsKeyValueStoreDoesThem()
    {
        var (bucket, _) = Unique("kvw");
        var kv = Client.CreateKeyValueStoreContext();
        var store = await kv.CreateStoreAsync(new NatsKVConfig(bucket) { History = 5, Storage = NatsKVStorageType.Memory }, Ct);
        await store.PutAsync("a", "a1", cancellationToken: Ct);
        await store.PutAsync("b", "b1", cancellationToken: Ct);
        await store.PutAsync("a", "a2", cancellationToken: Ct);

        var keys = new List<string>();
        await foreach (var k in store.GetKeysAsync(cancellationToken: Ct))
        {
            keys.Add(k);
        }

        var history = new List<string?>();
        await foreach (var e in store.HistoryAsync<string>("a", cancellationToken: Ct))
        {
            history.Add(e.Value);
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        var seen = new List<string>();
        await foreach (var e in store.WatchAsync<string>(cancellationToken: cts.Token))
        {
            seen.Add($"{e.Key}={e.Value} {e.Operation} r{e.Revision}");
            if (seen.Count == 2)
            {
                await store.PutAsync("b", "b2", cancellationToken: Ct);
                await store.DeleteAsync("a", cancellationToken: Ct);
            }

            if (seen.Count == 4)
            {
                break;
            }
        }

        await store.PurgeAsync("b", cancellationToken: Ct);
        var purged = async () => await store.GetEntryAsync<string>("b", cancellationToken: Ct);
        var status = await store.GetStatusAsync(Ct);

        keys.Should().BeEquivalentTo("a", "b");
        history.Should().Equal("a1", "a2");
        seen.Should().Equal("b=b1 Put r2", "a=a2 Put r3", "b=b2 Put r4", "a= Del r5");
        await purged.Should().ThrowAsync<NatsKVKeyDeletedException>();
        status.Info.State.Messages.Should().Be(4, "a1, a2, the delete marker of a, and the purge marker of b (b1, b2 purged)");
        await kv.DeleteStoreAsync(bucket, Ct);
    }
}
