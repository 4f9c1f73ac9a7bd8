using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Goflux.Hosting.Internal;

/// <summary>Builds publishers and subscriber options from the container: codecs, loggers, clock, telemetry switches.</summary>
internal sealed class GofluxFactory(IServiceProvider services, IGofluxBackend backend, IOptions<GofluxOptions> options)
{
    public IGofluxBackend Backend => backend;

    public GofluxOptions Options => options.Value;

    public TimeProvider TimeProvider { get; } = services.GetService<TimeProvider>() ?? TimeProvider.System;

    /// <summary>Gets the host's meter factory (registered by every Generic Host), so metrics belong to this container.</summary>
    public IMeterFactory? MeterFactory { get; } = services.GetService<IMeterFactory>();

    public IPublisher<T> CreatePublisher<T>()
    {
        var o = options.Value;
        return backend.CreatePublisher(GofluxCodecs.Encoder<T>(services), new PublisherOptions
        {
            EnableTelemetry = o.EnableTelemetry,
            DeduplicateByMessageId = o.DeduplicateByMessageId,
            Logger = Logger<IPublisher<T>>(),
            TimeProvider = TimeProvider,
            MeterFactory = MeterFactory,
        });
    }

    public SubscriberOptions SubscriberOptions<T>(int maxMessages) => new()
    {
        // The hosted consumer's pipeline settles (auto-ack or retry-ack); the transport never does.
        ManualAck = true,
        EnableTelemetry = options.Value.EnableTelemetry,
        MaxMessages = maxMessages,
        Logger = Logger<ISubscriber<T>>(),
        TimeProvider = TimeProvider,
        MeterFactory = MeterFactory,
    };

    public ILogger Logger<TCategory>() => services.GetService<ILogger<TCategory>>() ?? (ILogger)NullLogger.Instance;
}
