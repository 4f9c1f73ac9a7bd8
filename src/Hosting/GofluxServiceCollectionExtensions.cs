using Goflux.Hosting.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Goflux.Hosting;

/// <summary>
/// Registers goflux in a service collection.
/// </summary>
public static class GofluxServiceCollectionExtensions
{
    /// <summary>
    /// Registers goflux: the backend, the topology created when the host starts, publishers and hosted consumers, and the
    /// options bound from configuration and validated at start.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Declares the backend, streams, consumers, publishers and handlers.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">No backend was chosen, or goflux is already registered.</exception>
    /// <remarks>
    /// <para>
    /// The host's start runs goflux first (its hosted service is registered ahead of every other): it checks the
    /// declarations (every handler's consumer declared, every consumer's stream declared, every handler type registered,
    /// a codec for every payload type), creates or updates the streams, then the consumers, then starts every hosted
    /// consumer and completes only when all of them listen. Any failure stops the host's start with a message that names
    /// the stream or consumer and the server's error code; no hosted service of the application has started by then.
    /// </para>
    /// <para>
    /// On stop, hosted consumers stop pulling, let running handlers finish within the host's shutdown timeout and leave
    /// every other pulled message unsettled: the server redelivers them after the consumer's ack wait.
    /// </para>
    /// </remarks>
    public static IServiceCollection AddGoflux(this IServiceCollection services, Action<GofluxBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        if (services.Any(d => d.ServiceType == typeof(GofluxRegistry)))
        {
            throw new InvalidOperationException("AddGoflux was already called on this service collection; declare everything in one call.");
        }

        var registry = new GofluxRegistry();
        var builder = new GofluxBuilder(services, registry);
        configure(builder);
        builder.Complete();

        services.AddSingleton(registry);
        services.AddOptions();
        services.AddSingleton<IConfigureOptions<GofluxOptions>>(sp => new ConfigureNamedOptions<GofluxOptions>(
            Options.DefaultName,
            o => Bind(sp, registry.Section, o)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GofluxOptions>, GofluxOptionsValidator>());
        services.AddOptions<GofluxOptions>().ValidateOnStart();
        services.TryAddSingleton<GofluxFactory>();
        services.TryAddSingleton<GofluxHostedService>();

        // First among hosted services: the topology exists and every consumer listens before any other service starts.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(sp => sp.GetRequiredService<GofluxHostedService>()));
        return services;
    }

    internal static void AddHandlerOptions(IServiceCollection services, GofluxRegistry registry, string stream, string consumer, Action<GofluxHandlerOptions> fromCode)
    {
        var name = GofluxHandlerOptions.NameOf(stream, consumer);
        services.Configure(name, fromCode);
        services.AddSingleton<IConfigureOptions<GofluxHandlerOptions>>(sp => new ConfigureNamedOptions<GofluxHandlerOptions>(
            name,
            o => Bind(sp, GofluxHandlerOptionsValidator.SectionOf(registry.Section, stream, consumer), o)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GofluxHandlerOptions>, GofluxHandlerOptionsValidator>());
        services.AddOptions<GofluxHandlerOptions>(name).ValidateOnStart();
    }

    private static void Bind(IServiceProvider services, string section, object options)
    {
        if (services.GetService<IConfiguration>() is { } configuration)
        {
            switch (options)
            {
                case GofluxOptions o:
                    configuration.GetSection(section).Bind(o);
                    break;
                case GofluxHandlerOptions h:
                    configuration.GetSection(section).Bind(h);
                    break;
                default:
                    break;
            }
        }
    }
}
