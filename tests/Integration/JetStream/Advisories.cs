using System.Text.Json;
using NATS.Client.Core;

namespace Goflux.Integration.Tests.JetStream;

/// <summary>Listens for the server's consumer advisories of one stream and consumer.</summary>
internal sealed class Advisories : IAsyncDisposable
{
    private readonly INatsSub<byte[]> _sub;

    private Advisories(INatsSub<byte[]> sub) => _sub = sub;

    public static async Task<Advisories> TerminatedAsync(NatsConnection connection, string stream, string consumer, CancellationToken ct)
    {
        var sub = await connection.SubscribeCoreAsync<byte[]>($"$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.{stream}.{consumer}", cancellationToken: ct);
        await connection.PingAsync(ct); // the subscription is registered on the server before the test acts
        return new Advisories(sub);
    }

    public async Task<JsonElement?> NextAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            var msg = await _sub.Msgs.ReadAsync(cts.Token);
            return JsonDocument.Parse(msg.Data).RootElement.Clone();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => _sub.DisposeAsync();
}
