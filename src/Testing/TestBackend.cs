using System.Diagnostics;
using Goflux.Codecs;
using Goflux.InMemory;
using Goflux.Testing.Internal;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.Testing;

/// <summary>
/// One test's backend: the in-memory engine on a fake clock, or a real nats-server with JetStream. The same test body
/// runs on either: streams and consumers from NATS.Net's configs (names made unique for the test and deleted
/// afterwards), publishers and subscribers, letting time pass, consumer and stream info, advisories, an
/// <see cref="OutcomeLedger"/> of every delivery with waits on it, what was published (<see cref="Published{T}"/>), and the
/// test's own telemetry. Laid under an application's own registration with
/// <see cref="GofluxTestHarnessExtensions.AddGofluxTestHarness"/>, it records the application's hosted consumers and
/// publishers the same way.
/// </summary>
/// <remarks>
/// <para>
/// Names: every stream gets a suffix and every subject a prefix unique to this backend (<see cref="Subject"/>), on both
/// backends alike, so tests can share a server and run in parallel. Its publishers put the prefix in front of the subject
/// they are given (<c>"orders.placed"</c> is published as <c>backend.Subject("orders.placed")</c>), and the configs you
/// pass keep their plain names and are not changed; messages arrive with the prefixed subject.
/// </para>
/// <para>
/// Time: on the engine, <see cref="LetTimePassAsync"/> and the waits move virtual time (a 30-second nak delay takes no wall
/// time, and nothing waits on the wall clock); on a server, time is real: <see cref="LetTimePassAsync"/> waits that long
/// and the waits poll until <see cref="TestBackendOptions.Patience"/> runs out.
/// </para>
/// </remarks>
public sealed partial class TestBackend : IAsyncDisposable
{
    private readonly TestBackendOptions _options;
    private int _disposed;

    private TestBackend(TestBackendKind kind, string id, BackendDriver driver, TestBackendOptions options)
    {
        Kind = kind;
        Id = id;
        Driver = driver;
        _options = options;
        SubjectPrefix = "t" + id;
        StartedAt = driver.Clock.GetUtcNow();
        Telemetry = new TestTelemetry(SubjectPrefix, driver.Clock);
        Backend = new TestBackendView(this, forHost: false);
        HostBackend = new TestBackendView(this, forHost: true);
    }

    /// <summary>Gets which backend this is.</summary>
    public TestBackendKind Kind { get; }

    /// <summary>Gets the id that makes this backend's names unique.</summary>
    public string Id { get; }

    /// <summary>Gets the prefix of every subject of this backend.</summary>
    public string SubjectPrefix { get; }

    /// <summary>Gets a value indicating whether time is virtual (the engine) rather than real (a server).</summary>
    public bool IsVirtualTime => Kind == TestBackendKind.InMemory;

    /// <summary>Gets the clock: the engine's fake clock, or the system clock on a server.</summary>
    public TimeProvider Clock => Driver.Clock;

    /// <summary>Gets when the backend started, on <see cref="Clock"/>.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Gets how much time has passed since the backend started, on <see cref="Clock"/>.</summary>
    public TimeSpan Elapsed => Clock.GetUtcNow() - StartedAt;

    /// <summary>Gets the in-memory engine, or <see langword="null"/> on a server.</summary>
    public InMemoryJetStream? Engine => (Driver as EngineDriver)?.Engine;

    /// <summary>Gets the JetStream context, or <see langword="null"/> on the engine.</summary>
    public INatsJSContext? JetStream => (Driver as JetStreamDriver)?.Js;

    /// <summary>
    /// Gets this backend as an <see cref="IGofluxBackend"/>, for code under test that takes one: names are made unique as
    /// everywhere on this backend (stream <c>ORDERS</c> is <see cref="StreamName"/>("ORDERS"), its subjects get
    /// <see cref="SubjectPrefix"/>), the streams it creates are deleted with it, and what its publishers store is in
    /// <see cref="Published{T}"/>.
    /// </summary>
    public IGofluxBackend Backend { get; }

    /// <summary>Gets every delivery to the handlers subscribed through <see cref="SubscribeAsync{T}"/>, and to the hosted
    /// consumers of a host this backend lies under (<see cref="GofluxTestHarnessExtensions.AddGofluxTestHarness"/>).</summary>
    public OutcomeLedger Ledger { get; } = new();

    /// <summary>Gets this backend's spans, metrics and logs.</summary>
    public TestTelemetry Telemetry { get; }

    /// <summary>Gets the consumer advisories seen so far on this backend's streams (on a server: from <c>$JS.EVENT.ADVISORY.&gt;</c>).</summary>
    public IReadOnlyList<JetStreamAdvisory> Advisories => Driver.Advisories;

    /// <summary>Gets the backend this test backend runs on, with names as given (not made unique).</summary>
    internal BackendDriver Driver { get; }

    /// <summary>Gets the view of this backend a host's registration runs on (see <see cref="GofluxTestHarnessExtensions"/>).</summary>
    internal IGofluxBackend HostBackend { get; }

    /// <summary>Gets what this backend created and must release.</summary>
    internal OwnedResources Owned { get; } = new();

    /// <summary>Gets what this backend's publishers stored.</summary>
    internal PublishLog PublishLog { get; } = new();

    /// <summary>Starts a backend for one test.</summary>
    /// <param name="kind">The engine or a server.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="TestBackendOptions.Default"/>.</param>
    /// <param name="cancellationToken">A token to stop starting.</param>
    /// <returns>The backend; dispose it at the end of the test.</returns>
    /// <exception cref="InvalidOperationException">A JetStream backend found no server; the message says how to get one.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static async Task<TestBackend> StartAsync(TestBackendKind kind, TestBackendOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= TestBackendOptions.Default;
        options.Validate();
        var id = Guid.NewGuid().ToString("N")[..10];
        if (kind == TestBackendKind.InMemory)
        {
            return new TestBackend(kind, id, new EngineDriver(options.Epoch), options);
        }

        if (kind != TestBackendKind.JetStream)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a backend.");
        }

        var server = options.Server ?? NatsServerFixture.Shared;
        var suffix = "_" + id;
        var driver = await JetStreamDriver.StartAsync(server, stream => stream.EndsWith(suffix, StringComparison.Ordinal), cancellationToken).ConfigureAwait(false);
        return new TestBackend(kind, id, driver, options);
    }

    /// <summary>This backend's name for <paramref name="subject"/>: the subject under <see cref="SubjectPrefix"/>.</summary>
    /// <param name="subject">A subject or pattern, e.g. <c>orders.placed</c> or <c>orders.&gt;</c>.</param>
    /// <returns>The subject to publish to or filter on.</returns>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is empty.</exception>
    public string Subject(string subject)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        return subject.StartsWith(SubjectPrefix + ".", StringComparison.Ordinal) ? subject : SubjectPrefix + "." + subject;
    }

    /// <summary>This backend's name for a stream called <paramref name="name"/> in its config.</summary>
    /// <param name="name">The configured name.</param>
    /// <returns>The unique name.</returns>
    public string StreamName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return name.EndsWith("_" + Id, StringComparison.Ordinal) ? name : name + "_" + Id;
    }

    /// <summary>
    /// Creates a stream from <paramref name="config"/> (or updates it, the one rule of <see cref="IGofluxBackend"/>) with its
    /// name made unique (<see cref="StreamName"/>) and its subjects under <see cref="SubjectPrefix"/>; the config object itself
    /// is not changed. Deleted when the backend is disposed.
    /// </summary>
    /// <param name="config">NATS.Net's stream config, as you would give a server.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is <see langword="null"/>.</exception>
    /// <exception cref="GofluxException">The backend rejected the config (with the JetStream error code).</exception>
    public async Task<TestStream> CreateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ThrowIfDisposed();
        var info = await Backend.CreateOrUpdateStreamAsync(config, cancellationToken).ConfigureAwait(false);
        return new TestStream(info.Config.Name!, info);
    }

    /// <summary>
    /// Creates (or updates) a consumer on <paramref name="stream"/> from <paramref name="config"/>, its filter subjects put
    /// under <see cref="SubjectPrefix"/>; the config object itself is not changed.
    /// </summary>
    /// <param name="stream">The stream.</param>
    /// <param name="config">NATS.Net's consumer config.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The consumer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="config"/> is <see langword="null"/>.</exception>
    /// <exception cref="GofluxException">The backend rejected the config.</exception>
    public async Task<TestConsumer> CreateConsumerAsync(TestStream stream, ConsumerConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(config);
        ThrowIfDisposed();
        var info = await Backend.CreateOrUpdateConsumerAsync(stream.Name, config, cancellationToken).ConfigureAwait(false);
        return new TestConsumer(stream, info.Name, info);
    }

    /// <summary>Gets a stream's current info.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The info.</returns>
    public Task<StreamInfo> GetStreamInfoAsync(TestStream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Backend.GetStreamInfoAsync(stream.Name, cancellationToken).AsTask();
    }

    /// <summary>Gets a consumer's current info.</summary>
    /// <param name="consumer">The consumer.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The info.</returns>
    public Task<ConsumerInfo> GetConsumerInfoAsync(TestConsumer consumer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        return Backend.GetConsumerInfoAsync(consumer.Stream.Name, consumer.Name, cancellationToken).AsTask();
    }

    /// <summary>
    /// Reads a consumer's counters once they satisfy <paramref name="until"/>: on the engine after it is idle, on a server by
    /// polling (acknowledgements reach a server asynchronously) until <see cref="TestBackendOptions.Patience"/> runs out.
    /// </summary>
    /// <param name="consumer">The consumer.</param>
    /// <param name="until">The condition, or <see langword="null"/> to read at once.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The counters that satisfied the condition, or the last ones read when it never held (assert on them).</returns>
    public async Task<ConsumerCounters> GetCountersAsync(TestConsumer consumer, Func<ConsumerCounters, bool>? until = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        await Driver.SettleAsync(cancellationToken).ConfigureAwait(false);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var counters = ConsumerCounters.From(await GetConsumerInfoAsync(consumer, cancellationToken).ConfigureAwait(false));
            if (until is null || until(counters) || IsVirtualTime || deadline.Elapsed >= _options.Patience)
            {
                return counters;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates a publisher whose telemetry goes to <see cref="Telemetry"/>, which publishes under <see cref="SubjectPrefix"/>
    /// and records what the stream stored in <see cref="Published{T}"/>.
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="encoder">The encoder, or <see langword="null"/> for a System.Text.Json <see cref="JsonCodec{T}"/>.</param>
    /// <param name="options">The options; its meter factory, logger and time provider default to this backend's.</param>
    /// <returns>The publisher.</returns>
    public IPublisher<T> CreatePublisher<T>(IMessageEncoder<T>? encoder = null, PublisherOptions? options = null)
    {
        ThrowIfDisposed();
        return Backend.CreatePublisher(encoder ?? new JsonCodec<T>(), options);
    }

    /// <summary>
    /// The messages of type <typeparamref name="T"/> stored so far through this backend's publishers: the test's own, and
    /// those of a host this backend lies under (what the application published), in the order the stream acknowledged them.
    /// </summary>
    /// <typeparam name="T">The payload type, as the publisher was created for it.</typeparam>
    /// <returns>The messages, with subject, message id, headers and the stream's acknowledgement.</returns>
    public IReadOnlyList<PublishedMessage<T>> Published<T>() => PublishLog.Of<T>();

    /// <summary>
    /// Subscribes <paramref name="handler"/> to <paramref name="consumer"/> in the background until the backend is disposed,
    /// recording every delivery in <see cref="Ledger"/>, and returns once the subscription is listening.
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="consumer">The consumer.</param>
    /// <param name="handler">The handler under test.</param>
    /// <param name="middleware">Middleware around the handler (e.g. <see cref="Middleware.RetryAck{T}"/>), or <see langword="null"/>; the ledger sees what the handler itself threw.</param>
    /// <param name="options">The subscriber options; its meter factory, logger and time provider default to this backend's.</param>
    /// <param name="decoder">The decoder, or <see langword="null"/> for a System.Text.Json <see cref="JsonCodec{T}"/>.</param>
    /// <param name="cancellationToken">A token to stop waiting for the subscription to listen.</param>
    /// <returns>The running subscription.</returns>
    /// <exception cref="GofluxException">The subscription failed to start (e.g. no such consumer).</exception>
    public async Task<TestSubscription> SubscribeAsync<T>(
        TestConsumer consumer,
        MessageHandler<T> handler,
        Middleware<T>? middleware = null,
        SubscriberOptions? options = null,
        IMessageDecoder<T>? decoder = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(handler);
        ThrowIfDisposed();
        var subscriber = await Backend.CreateSubscriberAsync(consumer.Stream.Name, consumer.Name, decoder ?? new JsonCodec<T>(), options, cancellationToken).ConfigureAwait(false);
        var subject = consumer.Info.Config.FilterSubject is { Length: > 0 } filter ? filter : SubjectPrefix + ".>";
        var recorder = new LedgerRecorder<T>(Ledger, Clock, StartedAt);
        var stop = new CancellationTokenSource();
        var loop = subscriber.SubscribeAsync(subject, recorder.Wrap(handler, middleware), stop.Token);
        var subscription = new TestSubscription(consumer, subject, subscriber.Status, loop, stop, subscriber, _options.Patience);
        Owned.AddSubscription(subscription);

        var listening = subscriber.Status.WaitForListeningAsync(cancellationToken);
        var first = await Task.WhenAny(listening, loop).ConfigureAwait(false);
        if (first == loop)
        {
            await loop.ConfigureAwait(false); // throws the subscription's failure
            throw new InvalidOperationException($"The subscription to {consumer} ended before it listened.");
        }

        await listening.ConfigureAwait(false);
        if (!IsVirtualTime && !string.IsNullOrEmpty(consumer.Info.Config.DeliverSubject))
        {
            // A push consumer delivers once the server has seen the subscription on its deliver subject; the client
            // subscribes a moment after it reports listening.
            await WaitForPushBoundAsync(consumer, loop, cancellationToken).ConfigureAwait(false);
        }

        return subscription;
    }

    private async Task WaitForPushBoundAsync(TestConsumer consumer, Task loop, CancellationToken cancellationToken)
    {
        var deadline = TimeProvider.System.GetUtcNow() + _options.Patience;
        while (!loop.IsCompleted)
        {
            var info = await GetConsumerInfoAsync(consumer, cancellationToken).ConfigureAwait(false);
            if (info.PushBound)
            {
                return;
            }

            if (TimeProvider.System.GetUtcNow() >= deadline)
            {
                throw new TimeoutException($"The subscription to push consumer {consumer} listened, but the server saw no subscription on its deliver subject '{info.Config.DeliverSubject}' within {_options.Patience}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Lets <paramref name="duration"/> pass: virtual time on the engine (every deadline on the way fires and is handled), real time on a server.</summary>
    /// <param name="duration">How long.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>A task that completes when the time has passed.</returns>
    public Task LetTimePassAsync(TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        return Driver.LetTimePassAsync(duration, cancellationToken);
    }

    /// <summary>Stops the subscriptions, deletes the streams this backend created, and releases the engine or the connection.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        var errors = await Owned.ReleaseAsync(Driver.Backend, _options.Patience).ConfigureAwait(false);
        try
        {
            await Driver.DisposeAsync().ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            errors.Add(ex);
        }

        Telemetry.Dispose();
        if (errors.Count > 0)
        {
            throw new AggregateException("Cleaning up the test backend failed.", errors);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} ({Id})";

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
}
