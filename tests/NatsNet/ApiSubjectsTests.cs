using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using FluentAssertions;
using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using NATS.Client.ObjectStore;
using NATS.Net;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>
/// The inventory of the JetStream API that NATS.Net can send, read from NATS.Net's own assemblies (every <c>$JS.API</c>
/// subject fragment in their string literals), and what the engine does with each: serves it, or refuses it with a
/// message naming what it does not model. A NATS.Net upgrade that adds or drops an API fails the first test and says
/// which.
/// </summary>
public sealed class ApiSubjectsTests
{
    /// <summary>Every API subject fragment NATS.Net 3.3.2 has (JetStream, KeyValueStore and ObjectStore packages).</summary>
    public static readonly string[] Known =
    [
        ".INFO",
        "$JS.API.INFO",
        ".STREAM.CREATE.",
        ".STREAM.UPDATE.",
        ".STREAM.DELETE.",
        ".STREAM.INFO.",
        ".STREAM.NAMES",
        ".STREAM.LIST",
        ".STREAM.PURGE.",
        ".STREAM.PURGE.OBJ_",
        ".STREAM.MSG.GET.",
        ".STREAM.MSG.DELETE.",
        ".DIRECT.GET.",
        ".CONSUMER.CREATE.",
        ".CONSUMER.DELETE.",
        ".CONSUMER.INFO.",
        ".CONSUMER.NAMES.",
        ".CONSUMER.LIST.",
        ".CONSUMER.MSG.NEXT.",
        ".CONSUMER.PAUSE.",
        ".CONSUMER.UNPIN.",
        ".CONSUMER.RESET.",
    ];

    /// <summary>What the engine does with each, by the NATS.Net call that sends it.</summary>
    public static TheoryData<string> Calls => [.. Known];

    [Fact]
    public void NatsNetsApiVocabulary_IsTheOneTheEngineWasCheckedAgainst()
    {
        var assemblies = new[] { typeof(NatsJSContext).Assembly, typeof(INatsKVStore).Assembly, typeof(INatsObjStore).Assembly };

        var found = assemblies.SelectMany(ApiFragments).ToHashSet(StringComparer.Ordinal);

        var added = found.Except(Known).Order().ToList();
        var gone = Known.Except(found).Order().ToList();
        var version = typeof(NatsJSContext).Assembly.GetName().Version;
        added.Should().BeEmpty($"NATS.Net {version} sends API subjects the engine was never checked against: serve or refuse each in JetStreamApi and add it to this table");
        gone.Should().BeEmpty($"NATS.Net {version} no longer sends these: drop them from this table");
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task EachApi_IsServedOrRefusedByName(string fragment)
    {
        await using var engine = new InMemoryJetStream(new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        await using var client = engine.CreateClient();
        var js = client.CreateJetStreamContext();
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TimeSpan.FromSeconds(4)); // a refusal comes at once; NATS.Net's own timeout is 5 s
        var ct = guard.Token;
        var stream = await js.CreateStreamAsync(new StreamConfig("S", ["s.>"]) { Storage = StreamConfigStorage.Memory, AllowDirect = true }, ct);
        var consumer = await js.CreateOrUpdateConsumerAsync("S", new ConsumerConfig("c"), ct);
        await js.PublishAsync("s.a", "one", cancellationToken: ct);

        Func<Task> call = fragment switch
        {
            ".INFO" or "$JS.API.INFO" => async () => (await js.GetAccountInfoAsync(ct)).Streams.Should().Be(1),
            ".STREAM.CREATE." => async () => await js.CreateStreamAsync(new StreamConfig("T", ["t.>"]) { Storage = StreamConfigStorage.Memory }, ct),
            ".STREAM.UPDATE." => async () => await js.UpdateStreamAsync(new StreamConfig("S", ["s.>"]) { Storage = StreamConfigStorage.Memory, AllowDirect = true, Description = "d" }, ct),
            ".STREAM.DELETE." => async () => (await js.DeleteStreamAsync("S", ct)).Should().BeTrue(),
            ".STREAM.INFO." => async () => (await js.GetStreamAsync("S", cancellationToken: ct)).Info.State.Messages.Should().Be(1),
            ".STREAM.NAMES" => async () => (await js.ListStreamNamesAsync(cancellationToken: ct).ToListAsync(ct)).Should().Equal("S"),
            ".STREAM.LIST" => async () => (await js.ListStreamsAsync(cancellationToken: ct).ToListAsync(ct)).Should().ContainSingle(),
            ".STREAM.PURGE." => async () => (await js.PurgeStreamAsync("S", new StreamPurgeRequest(), ct)).Purged.Should().Be(1),
            ".STREAM.PURGE.OBJ_" => async () => (await js.PurgeStreamAsync("S", new StreamPurgeRequest { Filter = "s.a" }, ct)).Purged.Should().Be(1),
            ".STREAM.MSG.GET." => async () => (await stream.GetAsync(new StreamMsgGetRequest { Seq = 1 }, ct)).Message.Seq.Should().Be(1),
            ".STREAM.MSG.DELETE." => async () => (await js.DeleteMessageAsync("S", new StreamMsgDeleteRequest { Seq = 1 }, ct)).Success.Should().BeTrue(),
            ".DIRECT.GET." => async () => (await stream.GetDirectAsync<string>(new StreamMsgGetRequest { LastBySubj = "s.a" }, cancellationToken: ct)).Data.Should().Be("one"),
            ".CONSUMER.CREATE." => async () => await js.CreateOrUpdateConsumerAsync("S", new ConsumerConfig("d"), ct),
            ".CONSUMER.DELETE." => async () => (await js.DeleteConsumerAsync("S", "c", ct)).Should().BeTrue(),
            ".CONSUMER.INFO." => async () => (await js.GetConsumerAsync("S", "c", ct)).Info.NumPending.Should().Be(1),
            ".CONSUMER.NAMES." => async () => (await js.ListConsumerNamesAsync("S", ct).ToListAsync(ct)).Should().Equal("c"),
            ".CONSUMER.LIST." => async () => (await js.ListConsumersAsync("S", ct).ToListAsync(ct)).Should().ContainSingle(),
            ".CONSUMER.MSG.NEXT." => async () => (await consumer.NextAsync<string>(cancellationToken: ct))!.Data.Should().Be("one"),
            ".CONSUMER.PAUSE." => () => RefusedNaming(() => js.PauseConsumerAsync("S", "c", DateTimeOffset.UnixEpoch.AddYears(100), ct).AsTask(), "consumer pause"),
            ".CONSUMER.UNPIN." => () => RefusedNaming(() => js.UnpinConsumerAsync("S", "c", "g", ct).AsTask(), "unpin"),
            ".CONSUMER.RESET." => () => RefusedNaming(() => js.ResetConsumerAsync("S", "c", 0, ct).AsTask(), "consumer reset"),
            _ => throw new InvalidOperationException($"no call in the table for {fragment}"),
        };

        await call.Should().NotThrowAsync();
    }

    private static async Task RefusedNaming(Func<Task> call, string feature)
    {
        var e = (await call.Should().ThrowAsync<NatsJSApiException>()).Which;
        e.Error.Description.Should().Contain(feature);
    }

    /// <summary>The <c>$JS.API</c> subject fragments among an assembly's string literals.</summary>
    private static IEnumerable<string> ApiFragments(Assembly assembly)
    {
        using var file = File.OpenRead(assembly.Location);
        using var pe = new PEReader(file);
        var md = pe.GetMetadataReader();
        var found = new List<string>();
        for (var h = MetadataTokens.UserStringHandle(1); !h.IsNil; h = md.GetNextHandle(h))
        {
            var s = md.GetUserString(h);
            if (s.StartsWith(".STREAM.", StringComparison.Ordinal) || s.StartsWith(".CONSUMER.", StringComparison.Ordinal)
                || s.StartsWith(".DIRECT.", StringComparison.Ordinal) || s is ".INFO" || (s.StartsWith("$JS.API.", StringComparison.Ordinal) && s.Length > 8))
            {
                found.Add(s);
            }
        }

        return found;
    }
}
