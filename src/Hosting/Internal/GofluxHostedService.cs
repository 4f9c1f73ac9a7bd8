using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Goflux.Hosting.Internal;

/// <summary>
/// Runs first when the host starts: checks the declarations, creates the topology, starts every hosted consumer and
/// waits until each listens. Stops them gracefully when the host stops.
/// </summary>
internal sealed class GofluxHostedService(
    IServiceProvider services,
    GofluxRegistry registry,
    GofluxFactory factory,
    IOptionsMonitor<GofluxHandlerOptions> handlerOptions) : IHostedLifecycleService, IAsyncDisposable
{
    private readonly ILogger _logger = factory.Logger<GofluxHostedService>();
    private readonly List<HostedConsumer> _consumers = [];

    /// <summary>Gets the hosted consumers started so far.</summary>
    public IReadOnlyList<HostedConsumer> Consumers
    {
        get
        {
            lock (_consumers)
            {
                return [.. _consumers];
            }
        }
    }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        Check();

        // goflux starts before the OpenTelemetry host service: build the providers now (when registered) so that their
        // listeners see the first messages a consumer handles.
        _ = services.GetService<TracerProvider>();
        _ = services.GetService<MeterProvider>();

        var timeout = factory.Options.StartTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var backend = factory.Backend;
        try
        {
            foreach (var stream in registry.Streams)
            {
                await Step($"creating or updating stream '{stream.Name}'", async () => await backend.CreateOrUpdateStreamAsync(stream, deadline.Token).ConfigureAwait(false), backendCall: true).ConfigureAwait(false);
                Log.StreamReady(_logger, stream.Name!, backend.Name);
            }

            foreach (var consumer in registry.Consumers)
            {
                await Step($"creating or updating consumer '{consumer.Name}' on stream '{consumer.Stream}'", async () => await backend.CreateOrUpdateConsumerAsync(consumer.Stream, consumer.Config, deadline.Token).ConfigureAwait(false), backendCall: true).ConfigureAwait(false);
                Log.ConsumerReady(_logger, consumer.Name, consumer.Stream, backend.Name);
            }

            foreach (var handler in registry.Handlers)
            {
                var declaration = registry.Consumers.First(c => c.Stream == handler.Stream && c.Name == handler.Consumer);
                var hosted = handler.Create(services, factory, handlerOptions.Get(GofluxHandlerOptions.NameOf(handler.Stream, handler.Consumer)), declaration, registry.Streams.First(st => st.Name == handler.Stream));
                lock (_consumers)
                {
                    _consumers.Add(hosted);
                }

                await Step($"starting hosted consumer '{handler.Consumer}' on stream '{handler.Stream}'", async () => await hosted.StartAsync(deadline.Token).ConfigureAwait(false)).ConfigureAwait(false);
            }
        }
        catch
        {
            await StopConsumersAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        // A backend's GofluxException already says what was done (BackendErrors); other failures are prefixed with it.
        async Task Step(string what, Func<ValueTask> step, bool backendCall = false)
        {
            try
            {
                await step().ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                var error = new TimeoutException($"goflux could not start on {backend.Name}: {what} did not complete within {registry.Section}:StartTimeout ({timeout}).", ex);
                Log.StartFailed(_logger, error);
                throw error;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var code = (ex as GofluxException)?.ErrorCode;
                var detail = ex.Message.TrimEnd('.');
                if (code is { } c && !detail.Contains("err_code", StringComparison.Ordinal))
                {
                    detail += string.Create(CultureInfo.InvariantCulture, $" (err_code {c})");
                }

                var failure = backendCall && ex is GofluxException ? detail : $"{what} failed: {detail}";
                var error = new GofluxException((ex as GofluxException)?.Stage ?? GofluxStage.Subscribe, $"goflux could not start on {backend.Name}: {failure}.", ex, errorCode: code);
                Log.StartFailed(_logger, error);
                throw error;
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => StopConsumersAsync(cancellationToken);

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var consumer in Consumers)
        {
            await consumer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Task StopConsumersAsync(CancellationToken cancellationToken)
        => Task.WhenAll(Consumers.Select(c => c.StopAsync(cancellationToken)));

    /// <summary>Checks the declarations before anything touches the transport; lists every problem at once.</summary>
    private void Check()
    {
        var problems = new List<string>();
        foreach (var consumer in registry.Consumers)
        {
            if (!registry.Streams.Any(s => s.Name == consumer.Stream))
            {
                problems.Add($"consumer '{consumer.Name}' is declared on stream '{consumer.Stream}', which is not declared (add AddStream(new StreamConfig(\"{consumer.Stream}\", …)))");
            }
        }

        var isService = services.GetService<IServiceProviderIsService>();
        foreach (var handler in registry.Handlers)
        {
            if (!registry.Streams.Any(s => s.Name == handler.Stream))
            {
                problems.Add($"hosted consumer '{handler.Consumer}' reads stream '{handler.Stream}', which is not declared (add AddStream(new StreamConfig(\"{handler.Stream}\", …)))");
            }
            else if (!registry.Consumers.Any(c => c.Stream == handler.Stream && c.Name == handler.Consumer))
            {
                problems.Add($"hosted consumer '{handler.Consumer}' is not declared on stream '{handler.Stream}' (add AddConsumer(\"{handler.Stream}\", new ConsumerConfig(\"{handler.Consumer}\")))");
            }

            if (handler.HandlerType is { } type)
            {
                if (isService is not null && !isService.IsService(type))
                {
                    problems.Add($"handler type '{type.FullName}' of hosted consumer '{handler.Consumer}' is not registered (add services.AddScoped<{type.Name}>())");
                }
                else
                {
                    try
                    {
                        using var scope = services.CreateScope();
                        _ = scope.ServiceProvider.GetRequiredService(type);
                    }
                    catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
                    {
                        problems.Add($"handler type '{type.FullName}' of hosted consumer '{handler.Consumer}' cannot be created: {ex.Message}");
                    }
                }
            }
        }

        foreach (var check in registry.CodecChecks)
        {
            try
            {
                check(services);
            }
            catch (InvalidOperationException ex)
            {
                problems.Add(ex.Message);
            }
        }

        if (problems.Count > 0)
        {
            var error = new InvalidOperationException("goflux could not start: " + string.Join("; ", problems) + ".");
            Log.StartFailed(_logger, error);
            throw error;
        }
    }
}
