using NATS.Client.JetStream.Models;

namespace Goflux.Hosting.Internal;

internal enum GofluxBackendKind
{
    None = 0,
    InMemory,
    JetStream,
}

/// <summary>Everything <c>AddGoflux</c> declared; read once when the host starts.</summary>
internal sealed class GofluxRegistry
{
    public string Section { get; set; } = "Goflux";

    public GofluxBackendKind Backend { get; set; }

    public List<StreamConfig> Streams { get; } = [];

    public List<ConsumerDeclaration> Consumers { get; } = [];

    public List<HandlerRegistration> Handlers { get; } = [];

    public HashSet<Type> PublishedTypes { get; } = [];

    public List<Func<IServiceProvider, object>> CodecChecks { get; } = [];
}

internal sealed record ConsumerDeclaration(string Stream, string Name, ConsumerConfig Config);
