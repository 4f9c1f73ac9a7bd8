using Goflux.Hosting.Internal;
using Goflux.JetStream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Extensions.Microsoft.DependencyInjection;

namespace Goflux.Hosting;

/// <summary>
/// Declares what goflux does in a host: the backend (<see cref="UseJetStream()"/>, or <see cref="UseBackend"/>), the streams
/// and consumers created at start, the publishers and the hosted consumers. Obtained from
/// <see cref="GofluxServiceCollectionExtensions.AddGoflux"/>. A test lays the test kit's backend over this registration
/// (<c>services.AddGofluxTestHarness(backend)</c> in <c>Goflux.Testing</c>) without the application changing a line.
/// </summary>
public sealed class GofluxBuilder
{
    private readonly GofluxRegistry _registry;

    internal GofluxBuilder(IServiceCollection services, GofluxRegistry registry)
    {
        Services = services;
        _registry = registry;
    }

    /// <summary>Gets the service collection goflux registers into.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Gets or sets the configuration section the options are bound from: <see cref="GofluxOptions"/> from the section
    /// itself, each hosted consumer's <see cref="GofluxHandlerOptions"/> from
    /// <c>{section}:Consumers:{stream}:{consumer}</c>.
    /// </summary>
    /// <value>The default value is <c>Goflux</c>.</value>
    /// <exception cref="ArgumentException">The value is empty.</exception>
    public string ConfigurationSection
    {
        get => _registry.Section;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _registry.Section = value;
        }
    }

    /// <summary>
    /// Runs on the backend <paramref name="factory"/> builds from the container, for example the in-memory engine's
    /// (<c>UseBackend(_ =&gt; new InMemoryBackend(engine))</c>, from the <c>Goflux.InMemory</c> package). A backend registered
    /// as <see cref="IGofluxBackend"/> before this call (by a test harness) is kept.
    /// </summary>
    /// <param name="factory">Builds the backend; called once, when the container first needs it.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">A backend was already chosen.</exception>
    public GofluxBuilder UseBackend(Func<IServiceProvider, IGofluxBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        SetBackend(nameof(UseBackend));
        Services.TryAddSingleton(factory);
        return this;
    }

    /// <summary>
    /// Runs on NATS JetStream through the <see cref="INatsConnection"/> the application registered with NATS.Net's
    /// <c>services.AddNatsClient(…)</c>; when none is registered, registers a default one (<c>nats://localhost:4222</c>).
    /// </summary>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">A backend was already chosen.</exception>
    public GofluxBuilder UseJetStream()
    {
        SetBackend(nameof(UseJetStream));
        if (!Services.Any(d => d.ServiceType == typeof(INatsConnection) && !d.IsKeyedService))
        {
            Services.AddNatsClient();
        }

        AddJetStreamBackend();
        return this;
    }

    /// <summary>
    /// Runs on NATS JetStream at <paramref name="url"/>, registering the connection with NATS.Net's
    /// <c>services.AddNatsClient(…)</c>.
    /// </summary>
    /// <param name="url">The server URL, for example <c>nats://127.0.0.1:4222</c>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="url"/> is empty.</exception>
    /// <exception cref="InvalidOperationException">A backend was already chosen, or the application already registered a
    /// connection (configure the URL there, and call <see cref="UseJetStream()"/>).</exception>
    public GofluxBuilder UseJetStream(string url)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        return UseJetStream(nats => nats.ConfigureOptions(o => o.Configure(b => b.Opts = b.Opts with { Url = url })));
    }

    /// <summary>
    /// Runs on NATS JetStream, registering the connection with NATS.Net's <c>services.AddNatsClient(configure)</c>.
    /// </summary>
    /// <param name="configure">Configures NATS.Net's builder (options, connection, pool size).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">A backend was already chosen, or the application already registered a
    /// connection (configure it there, and call <see cref="UseJetStream()"/>).</exception>
    public GofluxBuilder UseJetStream(Action<NatsBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        if (Services.Any(d => d.ServiceType == typeof(INatsConnection) && !d.IsKeyedService))
        {
            throw new InvalidOperationException("A NATS connection is already registered: configure it where it is registered and call UseJetStream() without arguments to reuse it.");
        }

        SetBackend(nameof(UseJetStream));
        Services.AddNatsClient(configure);
        AddJetStreamBackend();
        return this;
    }

    /// <summary>
    /// Declares a stream, created (or updated to this configuration) when the host starts, before any consumer.
    /// </summary>
    /// <param name="config">NATS.Net's stream configuration; the same object serves both backends.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The stream has no name, or a stream of that name is already declared.</exception>
    public GofluxBuilder AddStream(StreamConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrWhiteSpace(config.Name, "config.Name");
        if (_registry.Streams.Any(s => s.Name == config.Name))
        {
            throw new ArgumentException($"Stream '{config.Name}' is already declared.", nameof(config));
        }

        _registry.Streams.Add(config);
        return this;
    }

    /// <summary>
    /// Declares a consumer on a declared stream, created (or updated in place) when the host starts, after the streams.
    /// </summary>
    /// <param name="stream">The stream's name; it must be declared with <see cref="AddStream"/>.</param>
    /// <param name="config">NATS.Net's consumer configuration, with a durable name.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is empty, the consumer has no name, or it is already
    /// declared on that stream.</exception>
    public GofluxBuilder AddConsumer(string stream, ConsumerConfig config)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentNullException.ThrowIfNull(config);
        var name = config.Name ?? config.DurableName;
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"A consumer declared on stream '{stream}' needs a name (ConsumerConfig.Name or DurableName).", nameof(config));
        }

        if (_registry.Consumers.Any(c => c.Stream == stream && c.Name == name))
        {
            throw new ArgumentException($"Consumer '{name}' is already declared on stream '{stream}'.", nameof(config));
        }

        _registry.Consumers.Add(new ConsumerDeclaration(stream, name, config));
        return this;
    }

    /// <summary>
    /// Registers <see cref="IPublisher{T}"/> as a singleton on the chosen backend. The codec comes from the container: an
    /// <c>IMessageEncoder&lt;T&gt;</c>, else a <c>JsonTypeInfo&lt;T&gt;</c>, else <c>JsonSerializerOptions</c>, else
    /// the web defaults (<c>JsonSerializerDefaults.Web</c>, where reflection-based serialization is enabled).
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <returns>This builder.</returns>
    public GofluxBuilder AddPublisher<T>()
    {
        if (!_registry.PublishedTypes.Contains(typeof(T)))
        {
            _registry.PublishedTypes.Add(typeof(T));
            _registry.CodecChecks.Add(sp => GofluxCodecs.Encoder<T>(sp));
            Services.TryAddSingleton<IPublisher<T>>(sp => sp.GetRequiredService<GofluxFactory>().CreatePublisher<T>());
        }

        return this;
    }

    /// <summary>
    /// Registers a <see cref="BoundPublisher{T}"/> for <paramref name="subject"/>, as a keyed singleton whose key is the
    /// subject (inject it with <c>[FromKeyedServices("orders.created")] BoundPublisher&lt;Order&gt;</c>), and the
    /// <see cref="IPublisher{T}"/> behind it (see <see cref="AddPublisher{T}()"/>).
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="subject">The literal subject.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is not a valid publish subject.</exception>
    public GofluxBuilder AddPublisher<T>(string subject)
    {
        Subjects.ValidatePublishSubject(subject);
        AddPublisher<T>();
        Services.TryAddKeyedSingleton(subject, (sp, _) => new BoundPublisher<T>(sp.GetRequiredService<IPublisher<T>>(), subject));
        return this;
    }

    /// <summary>
    /// Runs a hosted consumer: while the host runs, the messages of <paramref name="consumer"/> go to a
    /// <typeparamref name="THandler"/> resolved from a new scope for each message.
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <typeparam name="THandler">The handler; register it yourself (usually <c>services.AddScoped&lt;THandler&gt;()</c>).</typeparam>
    /// <param name="stream">The stream, declared with <see cref="AddStream"/>.</param>
    /// <param name="consumer">The consumer, declared with <see cref="AddConsumer"/>.</param>
    /// <param name="configure">Middleware, settlement, concurrency; or <see langword="null"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="stream"/> or <paramref name="consumer"/> is empty, or the consumer
    /// already has a handler.</exception>
    public GofluxBuilder AddHandler<T, THandler>(string stream, string consumer, Action<GofluxHandlerBuilder<T>>? configure = null)
        where THandler : class, IMessageHandler<T>
        => AddHandlerCore(stream, consumer, typeof(THandler), static (sp, m, ct) => sp.GetRequiredService<THandler>().HandleAsync(m, ct), configure);

    /// <summary>
    /// Runs a hosted consumer whose messages go to <paramref name="handler"/>, called with the service provider of a new
    /// scope for each message.
    /// </summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="stream">The stream, declared with <see cref="AddStream"/>.</param>
    /// <param name="consumer">The consumer, declared with <see cref="AddConsumer"/>.</param>
    /// <param name="handler">The handler: the message, the scope's services and the shutdown token.</param>
    /// <param name="configure">Middleware, settlement, concurrency; or <see langword="null"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> or <paramref name="consumer"/> is empty, or the consumer
    /// already has a handler.</exception>
    public GofluxBuilder AddHandler<T>(string stream, string consumer, Func<Message<T>, IServiceProvider, CancellationToken, ValueTask> handler, Action<GofluxHandlerBuilder<T>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddHandlerCore(stream, consumer, null, (sp, m, ct) => handler(m, sp, ct), configure);
    }

    internal void Complete()
    {
        if (_registry.Backend is null)
        {
            throw new InvalidOperationException("AddGoflux needs a backend: call UseJetStream(…), or UseBackend(…) (for example with the in-memory engine's InMemoryBackend).");
        }
    }

    private GofluxBuilder AddHandlerCore<T>(string stream, string consumer, Type? handlerType, Func<IServiceProvider, Message<T>, CancellationToken, ValueTask> invoke, Action<GofluxHandlerBuilder<T>>? configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        if (_registry.Handlers.Any(h => h.Stream == stream && h.Consumer == consumer))
        {
            throw new ArgumentException($"Consumer '{consumer}' on stream '{stream}' already has a hosted handler; raise its MaxConcurrency instead of adding another.", nameof(consumer));
        }

        var builder = new GofluxHandlerBuilder<T>();
        configure?.Invoke(builder);
        var registration = new HandlerRegistration<T>(stream, consumer, handlerType, invoke, builder.Build());
        _registry.Handlers.Add(registration);
        _registry.CodecChecks.Add(sp => GofluxCodecs.Decoder<T>(sp));
        GofluxServiceCollectionExtensions.AddHandlerOptions(Services, _registry, stream, consumer, builder.ApplyTo);
        return this;
    }

    private void SetBackend(string choice)
    {
        if (_registry.Backend is { } chosen)
        {
            throw new InvalidOperationException($"A backend was already chosen ({chosen}); call exactly one of UseJetStream(…) or UseBackend(…).");
        }

        _registry.Backend = choice;
    }

    private void AddJetStreamBackend()
        => Services.TryAddSingleton<IGofluxBackend>(sp => new JetStreamBackend(new NatsJSContext(sp.GetRequiredService<INatsConnection>())));
}
