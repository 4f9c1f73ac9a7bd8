using NATS.Client.Core;

namespace Goflux.Testing;

/// <summary>
/// A real NATS server with JetStream for the tests of one process (or one test assembly, or one collection), found the
/// first time a test asks for it: tests that never ask (the in-memory engine's) never need a server. Fails, never skips,
/// when there is none: the message says how to get one.
/// </summary>
/// <remarks>
/// <para>
/// Use <see cref="Shared"/> (what <see cref="TestBackend"/> uses by default), or make it a fixture of your test
/// framework: it implements <see cref="IAsyncDisposable"/> only, so an xunit v3 assembly fixture
/// (<c>[assembly: AssemblyFixture(typeof(NatsServerFixture))]</c>) starts nothing until a test calls
/// <see cref="StartAsync"/> or <see cref="CreateConnectionAsync"/>. Derive from it to pass other
/// <see cref="NatsServerOptions"/> (an xunit fixture needs a parameterless constructor), or call <see cref="Create"/>.
/// </para>
/// <para>
/// Where the server comes from, in this order (see <see cref="NatsServerOptions"/>): <c>NATS_URL</c> (a server someone else
/// runs); Testcontainers, when a Docker engine answers (the official <c>nats:2.10</c> image, or <c>GOFLUX_NATS_IMAGE</c> /
/// <see cref="NatsServerOptions.Image"/>); a <c>nats-server</c> 2.10+ binary — <see cref="NatsServerOptions.BinaryPath"/>
/// or <c>GOFLUX_NATS_SERVER</c>, then <see cref="NatsServerOptions.SearchUpwardFor"/> (by default
/// <c>.tools/nats-server/nats-server</c> in the test binaries' folder or any folder above it), then <c>PATH</c> — started
/// on a free loopback port with a temporary store directory.
/// </para>
/// <para>
/// A failed start is remembered: every later test fails at once with the same message instead of trying again.
/// </para>
/// </remarks>
public class NatsServerFixture : IAsyncDisposable
{
    private static readonly Lazy<NatsServerFixture> SharedFixture = new(CreateShared);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NatsServerHandle? _server;
    private string? _serverVersion;
    private Exception? _failure;
    private bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="NatsServerFixture"/> class with the process environment deciding.</summary>
    public NatsServerFixture()
        : this(NatsServerOptions.Default)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NatsServerFixture"/> class (for a derived fixture with its own options).</summary>
    /// <param name="options">Where to look for a server, and the timeouts.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    protected NatsServerFixture(NatsServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    /// <summary>Creates a fixture with <paramref name="options"/>; nothing starts until a test asks for the server.</summary>
    /// <param name="options">Where to look for a server, and the timeouts.</param>
    /// <returns>The fixture.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static NatsServerFixture Create(NatsServerOptions options) => new(options);

    /// <summary>Gets the fixture shared by the whole process: started on first use, stopped when the process exits.</summary>
    public static NatsServerFixture Shared => SharedFixture.Value;

    /// <summary>Gets the options.</summary>
    public NatsServerOptions Options { get; }

    /// <summary>Gets a value indicating whether a server is running for this fixture.</summary>
    public bool IsStarted => Volatile.Read(ref _server) is not null;

    /// <summary>Gets the client URL, e.g. <c>nats://127.0.0.1:4222</c>, starting the server first (blocking) if needed.</summary>
    /// <exception cref="InvalidOperationException">No server could be found or started; the message says how to get one.</exception>
    public string Url => Server.Url;

    /// <summary>Gets how the server was found, starting the server first (blocking) if needed.</summary>
    /// <exception cref="InvalidOperationException">No server could be found or started.</exception>
    internal NatsServerSource Source => Server.Source;

    /// <summary>Gets where the server comes from (the binary's path, the image, or the variable), starting it first (blocking) if needed.</summary>
    /// <exception cref="InvalidOperationException">No server could be found or started.</exception>
    public string Description => Server.ToString();

    /// <summary>Gets the server's version as it reports it in its INFO, starting the server first (blocking) if needed.</summary>
    /// <exception cref="InvalidOperationException">No server could be found or started.</exception>
    public string ServerVersion
    {
        get
        {
            _ = Server;
            return _serverVersion!;
        }
    }

    // Synchronous callers (a property read in a test) start the server the same way; prefer StartAsync.
    private NatsServerHandle Server => Volatile.Read(ref _server) ?? StartServerAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Finds or starts the server, once; later calls return the same server (or the same failure).</summary>
    /// <param name="cancellationToken">A token to stop waiting.</param>
    /// <returns>The server's client URL, e.g. <c>nats://127.0.0.1:4222</c>.</returns>
    /// <exception cref="InvalidOperationException">No server could be found or started; the message says how to get one.</exception>
    /// <exception cref="TimeoutException">Starting took longer than <see cref="NatsServerOptions.StartTimeout"/>.</exception>
    /// <exception cref="ObjectDisposedException">The fixture was disposed.</exception>
    public async Task<string> StartAsync(CancellationToken cancellationToken = default)
        => (await StartServerAsync(cancellationToken).ConfigureAwait(false)).Url;

    private async Task<NatsServerHandle> StartServerAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _server) is { } running)
        {
            return running;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_server is { } started)
            {
                return started;
            }

            if (_failure is not null)
            {
                throw new InvalidOperationException(_failure.Message, _failure);
            }

            NatsServerHandle? server = null;
            try
            {
                server = await NatsServerLocator.StartAsync(Options, cancellationToken).ConfigureAwait(false);
                var connection = await ConnectAsync(server.Url, cancellationToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    _serverVersion = connection.ServerInfo?.Version
                        ?? throw new InvalidOperationException($"The NATS server at {server.Url} sent no version in its INFO.");
                }

                Volatile.Write(ref _server, server);
                return server;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (server is not null)
                {
                    await server.DisposeAsync().ConfigureAwait(false);
                }

                _failure = ex;
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Opens a new connection to the server (starting it first if needed); the caller disposes it.</summary>
    /// <param name="cancellationToken">A token to stop connecting.</param>
    /// <returns>An open connection.</returns>
    /// <exception cref="InvalidOperationException">No server could be found or started.</exception>
    public async Task<NatsConnection> CreateConnectionAsync(CancellationToken cancellationToken = default)
    {
        var url = await StartAsync(cancellationToken).ConfigureAwait(false);
        return await ConnectAsync(url, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops what was started (within <see cref="NatsServerOptions.StopTimeout"/>).</summary>
    /// <returns>A task that completes when the server is stopped.</returns>
    /// <exception cref="TimeoutException">Stopping took longer than the stop timeout.</exception>
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public override string ToString() => _server?.ToString() ?? (_failure is null ? "(not started)" : "(failed to start)");

    /// <summary>Stops what was started.</summary>
    /// <returns>A task that completes when the server is stopped.</returns>
    protected virtual async ValueTask DisposeAsyncCore()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (Interlocked.Exchange(ref _server, null) is { } server)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static async Task<NatsConnection> ConnectAsync(string url, CancellationToken cancellationToken)
    {
        var connection = new NatsConnection(new NatsOpts
        {
            Url = url,
            Name = "goflux-testing",
            ConnectTimeout = TimeSpan.FromSeconds(10),
        });
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static NatsServerFixture CreateShared()
    {
        var fixture = new NatsServerFixture();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                // Bounded by the stop timeout inside.
                fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (TimeoutException ex)
            {
                Console.Error.WriteLine(ex.Message);
            }
        };
        return fixture;
    }
}
