using NATS.Client.Core;
using Xunit;

namespace Goflux.Tests.Support;

/// <summary>
/// A real NATS server with JetStream for a test assembly or collection, found by <see cref="NatsServerLocator"/>
/// (<c>NATS_URL</c>, then Testcontainers, then a nats-server binary). Fails, never skips, when there is none.
/// </summary>
public class NatsServerFixture : IAsyncLifetime
{
    private NatsServerHandle? _server;
    private string? _serverVersion;

    /// <summary>Client URL, e.g. <c>nats://127.0.0.1:4222</c>.</summary>
    public string Url => Server.Url;

    /// <summary>How the server was found.</summary>
    public NatsServerSource Source => Server.Source;

    /// <summary>The server's version as it reports it in its INFO.</summary>
    public string ServerVersion => _serverVersion ?? throw NotInitialized();

    private NatsServerHandle Server => _server ?? throw NotInitialized();

    /// <summary>Opens a new connection to the server; the caller disposes it.</summary>
    public async Task<NatsConnection> CreateConnectionAsync(CancellationToken cancellationToken = default)
    {
        var connection = new NatsConnection(new NatsOpts
        {
            Url = Url,
            Name = "goflux-tests",
            ConnectTimeout = TimeSpan.FromSeconds(10),
        });
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        _server = await NatsServerLocator.StartAsync(NatsServerLocator.ProcessEnvironment(), cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            _serverVersion = connection.ServerInfo?.Version
                ?? throw new InvalidOperationException($"The server at {Url} sent no version in its INFO.");
        }
        catch
        {
            await _server.DisposeAsync().ConfigureAwait(false);
            _server = null;
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            await server.DisposeAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public override string ToString() => _server?.ToString() ?? "(not started)";

    private static InvalidOperationException NotInitialized() =>
        new("The NATS server fixture has not been initialised (use it as an xunit assembly or collection fixture).");
}
