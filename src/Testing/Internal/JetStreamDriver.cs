using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Goflux.InMemory;
using Goflux.JetStream;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.Testing.Internal;

internal sealed class JetStreamDriver : BackendDriver
{
    private const string AdvisorySubjects = "$JS.EVENT.ADVISORY.>";
    private readonly NatsConnection _connection;
    private readonly ConcurrentQueue<JetStreamAdvisory> _advisories = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<string, bool> _ownsStream;
    private readonly TimeSpan _stopTimeout;
    private Task _advisoryLoop = Task.CompletedTask;

    private JetStreamDriver(NatsConnection connection, Func<string, bool> ownsStream, TimeSpan stopTimeout)
    {
        _connection = connection;
        _ownsStream = ownsStream;
        _stopTimeout = stopTimeout;
        Js = new NatsJSContext(connection);
        Backend = new JetStreamBackend(Js);
    }

    public NatsJSContext Js { get; }

    public override IGofluxBackend Backend { get; }

    public NatsConnection Connection => _connection;

    public override TimeProvider Clock => TimeProvider.System;

    public override IReadOnlyList<JetStreamAdvisory> Advisories => [.. _advisories.Where(a => _ownsStream(a.Stream))];

    /// <summary>Gets every advisory seen on the server, whoever's stream it is about.</summary>
    public IReadOnlyList<JetStreamAdvisory> AllAdvisories => [.. _advisories];

    public static async Task<JetStreamDriver> StartAsync(NatsServerFixture server, Func<string, bool> ownsStream, CancellationToken cancellationToken)
    {
        var connection = await server.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        var driver = new JetStreamDriver(connection, ownsStream, server.Options.StopTimeout);
        try
        {
            var subscription = await connection.SubscribeCoreAsync<byte[]>(AdvisorySubjects, cancellationToken: cancellationToken).ConfigureAwait(false);
            await connection.PingAsync(cancellationToken).ConfigureAwait(false); // the subscription is registered with the server
            driver._advisoryLoop = driver.ReadAdvisoriesAsync(subscription);
            return driver;
        }
        catch
        {
            await driver.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override Task LetTimePassAsync(TimeSpan duration, CancellationToken cancellationToken) =>
        Task.Delay(duration, TimeProvider.System, cancellationToken);

    public override Task SettleAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        // The advisory loop unsubscribes as it ends: let it finish before the connection goes (unsubscribing on a
        // disposed connection throws ObjectDisposedException, seen once when the two raced).
        try
        {
            await _advisoryLoop.WaitAsync(_stopTimeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        await _connection.DisposeAsync().AsTask().WaitAsync(_stopTimeout).ConfigureAwait(false);
        _stop.Dispose();
    }

    internal static JetStreamAdvisory? Parse(string subject, byte[]? data)
    {
        if (data is null || data.Length == 0)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(data);
            var r = doc.RootElement;
            string? Str(string n) => r.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            ulong? Num(string n) => r.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetUInt64() : null;
            if (Str("type") is not { } type || Str("stream") is not { } stream)
            {
                return null;
            }

            var timestamp = Str("timestamp") is { } ts
                ? DateTimeOffset.Parse(ts, CultureInfo.InvariantCulture)
                : TimeProvider.System.GetUtcNow();
            return new JetStreamAdvisory(
                type,
                subject,
                timestamp,
                stream,
                Str("consumer") ?? string.Empty,
                Num("stream_seq"),
                Num("consumer_seq"),
                Num("deliveries"),
                Str("reason"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task ReadAdvisoriesAsync(INatsSub<byte[]> subscription)
    {
        await using (subscription.ConfigureAwait(false))
        {
            try
            {
                await foreach (var msg in subscription.Msgs.ReadAllAsync(_stop.Token).ConfigureAwait(false))
                {
                    if (Parse(msg.Subject, msg.Data) is { } advisory)
                    {
                        _advisories.Enqueue(advisory);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
