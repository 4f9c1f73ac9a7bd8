using NATS.Client.Core;

namespace Goflux.Contract.Tests.Backends;

/// <summary>
/// A core NATS subscription on a deliver subject, read in the background: deliveries are collected with their ack
/// subjects, idle heartbeats skipped, flow control requests answered (an empty reply, as NATS.Net's push consumer does).
/// </summary>
internal sealed class CorePushReceiver : PushReceiver
{
    private readonly INatsSub<byte[]> _sub;
    private readonly Task _reader;
    private readonly Lock _gate = new();
    private TaskCompletionSource? _drained;
    private int _busy;

    private CorePushReceiver(INatsConnection connection, INatsSub<byte[]> sub, Action<string>? onRead)
    {
        _sub = sub;
        _reader = Task.Run(async () =>
        {
            while (await sub.Msgs.WaitToReadAsync())
            {
                Volatile.Write(ref _busy, 1);
                while (sub.Msgs.TryRead(out var msg))
                {
                    await TakeAsync(connection, msg, onRead);
                }

                TaskCompletionSource? drained;
                lock (_gate)
                {
                    Volatile.Write(ref _busy, 0);
                    drained = _drained;
                    _drained = null;
                }

                drained?.TrySetResult();
            }
        });
    }

    /// <summary>Subscribes; when this returns the server has processed the subscription (a PING round trip).</summary>
    public static async Task<CorePushReceiver> StartAsync(INatsConnection connection, string subject, string? queueGroup, Action<string>? onRead = null)
    {
        var sub = await connection.SubscribeCoreAsync<byte[]>(subject, queueGroup);
        await connection.PingAsync();
        return new CorePushReceiver(connection, sub, onRead);
    }

    /// <summary>Completes once what the connection has dispatched to this subscription so far has been read.</summary>
    public Task DrainedAsync()
    {
        lock (_gate)
        {
            if (!Waiting() && Volatile.Read(ref _busy) == 0)
            {
                return Task.CompletedTask;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    private bool Waiting() => _sub.Msgs.CanCount
        ? _sub.Msgs.Count > 0
        : _sub.Msgs.CanPeek ? _sub.Msgs.TryPeek(out _) : throw new NotSupportedException("The subscription's channel can neither count nor peek.");

    public override async ValueTask DisposeAsync()
    {
        await _sub.DisposeAsync();
        await _reader.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private async Task TakeAsync(INatsConnection connection, NatsMsg<byte[]> msg, Action<string>? onRead)
    {
        if (msg.Headers is { Code: 100 })
        {
            if (msg.ReplyTo is { } fc)
            {
                await connection.PublishAsync<byte[]>(fc, []); // a flow control request
            }

            return; // an idle heartbeat
        }

        if (msg.ReplyTo is null)
        {
            return;
        }

        Add(new JetStreamBackend.RawMsg(connection, msg));
        onRead?.Invoke(msg.ReplyTo);
    }
}
