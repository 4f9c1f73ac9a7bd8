using NATS.Client.Core;

namespace Goflux.JetStream.Internal;

/// <summary>Waits, within a deadline, for a connection to be open before anything is handed to it.</summary>
internal static class ConnectionWait
{
    /// <summary>
    /// Completes when <paramref name="connection"/> is open, starting the first connect when it never was. Fails with a
    /// <see cref="GofluxException"/> whose outcome is <see cref="PublishOutcome.NotSent"/> when it does not open within
    /// <paramref name="timeout"/>; a cancelled <paramref name="cancellationToken"/> ends the wait with an
    /// <see cref="OperationCanceledException"/> (nothing was sent either way).
    /// </summary>
    internal static async ValueTask WaitForOpenAsync(INatsConnection connection, string subject, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ValueTask OnOpened(object? sender, NatsEventArgs args)
        {
            opened.TrySetResult();
            return default;
        }

        connection.ConnectionOpened += OnOpened;
        try
        {
            var state = connection.ConnectionState;
            if (state == NatsConnectionState.Open)
            {
                return;
            }

            if (state == NatsConnectionState.Closed)
            {
                StartConnect(connection, opened);
            }

            try
            {
                await opened.Task.WaitAsync(timeout, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw Errors.NotSent(subject, $"the connection did not open within the publish timeout of {Errors.Seconds(timeout)} (it is {Describe(connection.ConnectionState)})");
            }
            catch (Exception ex) when (ex is not OperationCanceledException && Errors.IsNatsFailure(ex) || ex is ObjectDisposedException)
            {
                throw Errors.NotSent(subject, $"could not connect: {ex.Message}", ex);
            }
        }
        finally
        {
            connection.ConnectionOpened -= OnOpened;
        }
    }

    private static void StartConnect(INatsConnection connection, TaskCompletionSource opened)
    {
        _ = ConnectAsync();

        async Task ConnectAsync()
        {
            try
            {
                await connection.ConnectAsync().ConfigureAwait(false);
                opened.TrySetResult();
            }
#pragma warning disable CA1031 // The failure is handed to the waiter.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                opened.TrySetException(ex);
            }
        }
    }

    private static string Describe(NatsConnectionState state) => state switch
    {
        NatsConnectionState.Reconnecting => "reconnecting: the server is not reachable",
        NatsConnectionState.Connecting => "connecting",
        _ => state.ToString().ToLowerInvariant(),
    };
}
